/**
 * The test server as a process, for trying kubectl by hand:
 *   node scripts/k8s-test-server.mjs [--port 6443] [--token T] [--nodes 3] [--pods 0] [--metrics] [--kubeconfig DIR]
 * Prints the URL and the kubeconfig path; stops on SIGINT/SIGTERM.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeKubeconfig } from './kubeconfig.js';
import { KubeServer } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' }, token: { type: 'string' }, nodes: { type: 'string', default: '3' },
    pods: { type: 'string', default: '0' }, metrics: { type: 'boolean', default: false }, kubeconfig: { type: 'string' },
    namespace: { type: 'string', default: 'agents' },
  },
});

const server = new KubeServer({ token: values.token, metrics: values.metrics, namespaces: [values.namespace!] });
await server.listen(Number(values.port));
const zones = ['zone-a', 'zone-b', 'zone-c'];
for (let i = 0; i < Number(values.nodes); i++) {
  server.addNode({ name: `node-${i}`, zone: zones[i % 3], region: 'region-1', labels: { 'quartermaster.dev/pool': 'default' } });
}
for (let i = 0; i < Number(values.pods); i++) {
  server.addPod({ name: `pod-${i}`, namespace: values.namespace, nodeName: `node-${i % Math.max(1, Number(values.nodes))}`, requests: { cpu: '100m', memory: '64Mi' }, labels: { app: 'demo' } });
}
const path = writeKubeconfig(values.kubeconfig ?? join(tmpdir(), `qm-kube-${process.pid}`), server.url, { namespace: values.namespace, token: values.token });
console.log(`Kubernetes test server on ${server.url}\nkubeconfig: ${path}\n  kubectl --kubeconfig ${path} get nodes`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
