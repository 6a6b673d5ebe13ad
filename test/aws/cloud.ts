/**
 * A small AWS + Kubernetes rig for tests: the Auto Scaling test server whose instances register as
 * Kubernetes nodes (with spec.providerID) in the Kubernetes test server, when `register()` is
 * called (late registration) or at once. Terminated instances' nodes are deleted, as the
 * cloud-controller-manager does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKubeServer } from '../kubernetes/server.js';
import type { KubeServer } from '../kubernetes/server.js';
import { writeKubeconfig } from '../kubernetes/kubeconfig.js';
import { AutoScalingServer } from './autoscaling-server.js';
import type { TestInstance } from './autoscaling-server.js';

export const POOL_LABEL = 'quartermaster.dev/pool';

export interface CloudRig {
  aws: AutoScalingServer;
  kube: KubeServer;
  dir: string;
  kubeconfig: string;
  /** Instances launched but not registered yet (late registration). */
  booting: TestInstance[];
  /** Every termination, with the pods its node still had then (qm must have emptied it first). */
  terminated: { node: string; instanceId: string; podsLeft: number }[];
  /** Register every booting instance as a ready node. */
  register(): void;
  /** From now on, launched instances boot until register() (true) or register at once (false). */
  setLate(late: boolean): void;
  nodeName(i: TestInstance): string;
  close(): Promise<void>;
}

/** `pools`: Auto Scaling group name → the pool its nodes belong to. */
export async function startCloud(opts: { pools: Record<string, string>; allocatable?: Record<string, string>; registerDelayMs?: number }): Promise<CloudRig> {
  const kube = await startKubeServer({ namespaces: ['agents'] });
  const dir = mkdtempSync(path.join(tmpdir(), 'qm-aws-'));
  const kubeconfig = writeKubeconfig(dir, kube.url, { namespace: 'agents' });
  const booting: TestInstance[] = [];
  const terminated: CloudRig['terminated'] = [];
  const nodeName = (i: TestInstance) => `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`;
  const registerOne = (i: TestInstance) =>
    kube.addNode({
      name: nodeName(i), zone: i.zone, region: 'us-east-1', providerID: `aws:///${i.zone}/${i.id}`,
      labels: { [POOL_LABEL]: opts.pools[i.group] ?? i.group }, allocatable: opts.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' },
    });
  let late = false;
  const timers = new Set<NodeJS.Timeout>();
  const aws = new AutoScalingServer({
    onLaunch: (i) => {
      if (late) booting.push(i);
      else if (opts.registerDelayMs) {
        // Boots for a while, then joins the cluster (as a real node does a minute or two after launch).
        booting.push(i);
        const t = setTimeout(() => {
          timers.delete(t);
          const b = booting.indexOf(i);
          if (b < 0) return;
          booting.splice(b, 1);
          registerOne(i);
        }, opts.registerDelayMs);
        timers.add(t);
      } else registerOne(i);
    },
    onTerminate: (i) => {
      terminated.push({ node: nodeName(i), instanceId: i.id, podsLeft: kube.podsOnNode(nodeName(i)).length });
      const b = booting.indexOf(i);
      if (b >= 0) booting.splice(b, 1);
      else if (kube.node(nodeName(i))) kube.deleteNode(nodeName(i));
    },
  });
  await aws.start();
  const rig: CloudRig = {
    aws, kube, dir, kubeconfig, booting, terminated, nodeName,
    register() {
      for (const i of booting.splice(0)) registerOne(i);
    },
    setLate(v) {
      late = v;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await aws.stop();
      await kube.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
