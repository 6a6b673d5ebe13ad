// The Kubernetes API test server as a separate process for the benchmark (so its CPU is not the
// driver's): seeds nodes and pods, prints {"url"} once listening, and on SIGTERM prints its own peak
// RSS and exits.
//   node bench/out/tsc/bench/kubernetes/server.js --nodes 5000 --managed 40000 --unmanaged 10000
import { parseArgs } from 'node:util';
import { KubeServer } from '../../test/kubernetes/server.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '0' }, managed: { type: 'string', default: '0' }, unmanaged: { type: 'string', default: '0' } } });
const nodes = Number(values.nodes);
const server = new KubeServer({ namespaces: ['agents'] });
const zones = ['z-a', 'z-b', 'z-c'];
for (let i = 0; i < nodes; i++) server.addNode({ name: `work-${i}`, zone: zones[i % 3]!, region: 'r1', labels: { 'quartermaster.dev/pool': 'work' }, allocatable: { cpu: '64', memory: '256Gi', pods: '250' } });
for (let i = 0; i < Number(values.managed); i++) {
  server.addPod({
    name: `bot-${i}-abcde`,
    namespace: 'agents',
    nodeName: `work-${i % nodes}`,
    labels: { 'app.kubernetes.io/managed-by': 'quartermaster', 'quartermaster.dev/agent': 'bot', 'quartermaster.dev/instance': `bot-${i}`, 'quartermaster.dev/pool': 'work', 'quartermaster.dev/template': '0123456789abcdef' },
    annotations: { 'quartermaster.dev/plan': `sha256:${'0'.repeat(64)}`, 'quartermaster.dev/requests': '{"cpuMillis":500,"memoryBytes":268435456}', 'quartermaster.dev/started-at': '2026-11-28T10:00:00Z' },
    requests: { cpu: '500m', memory: '256Mi' },
    image: 'registry.local/bot:1',
    phase: 'Running',
  });
}
for (let i = 0; i < Number(values.unmanaged); i++) {
  server.addPod({ name: `web-${i}`, namespace: 'default', nodeName: `work-${i % nodes}`, labels: { app: 'web' }, requests: { cpu: '250m', memory: '128Mi' }, image: 'nginx:1', phase: 'Running' });
}
await server.listen();
const seeded = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => {
    const served = process.cpuUsage(seeded);
    process.stdout.write(`${JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024, cpuSeconds: (served.user + served.system) / 1e6 })}\n`);
    process.exit(0);
  });
});
