/**
 * Which EC2 instance a node is. A Kubernetes node says so itself (`spec.providerID`,
 * `aws:///us-east-1a/i-0abc…`); a Docker-placed node only has its address, which is compared with
 * the address template rendered for each of the group's instances. Pure, apart from the optional
 * EC2 lookup of private addresses that the caller passes in.
 */
import type { ObservedNode } from '../../model/state.js';
import type { Group } from './client.js';
import { needsPrivateIp, render } from './template.js';

/** The instance id inside a providerID (`aws:///<zone>/i-…`, also `aws://<zone>/i-…`); undefined otherwise. */
export function instanceIdOf(providerId: string): string | undefined {
  const m = /^aws:\/\/\/?(?:[^/]*\/)?(i-[0-9a-f]{8,17})$/.exec(providerId.trim());
  return m?.[1];
}

/** EC2's private addresses of instances (DescribeInstances); instances EC2 does not report are absent. */
export type PrivateIpLookup = (instanceIds: readonly string[], signal?: AbortSignal) => Promise<Map<string, string>>;

export interface NodeMapping {
  /** Chosen nodes and their instances, in the order the plan named them. */
  found: { node: string; instanceId: string }[];
  /** Chosen nodes that no longer exist, or whose instance already left the group: nothing to do. */
  gone: string[];
  /** Chosen nodes that cannot be mapped, with why (the action fails naming them). */
  unmapped: { node: string; why: string }[];
}

const LEAVING = new Set(['Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated']);

/** Map the plan's chosen nodes onto the group's instances. */
export async function mapNodes(opts: {
  chosen: readonly string[];
  poolNodes: readonly ObservedNode[];
  group: Group;
  pool: string;
  addressTemplate: string;
  privateIps?: PrivateIpLookup | undefined;
  signal?: AbortSignal | undefined;
}): Promise<NodeMapping> {
  const { group } = opts;
  const byName = new Map(opts.poolNodes.map((n) => [n.name, n]));
  const members = new Map(group.instances.map((i) => [i.id, i]));
  const out: NodeMapping = { found: [], gone: [], unmapped: [] };
  let addresses: Map<string, string> | undefined; // rendered address → instance id, built on first need
  const byAddress = async (): Promise<Map<string, string> | string> => {
    if (addresses) return addresses;
    let ips = new Map<string, string>();
    if (needsPrivateIp(opts.addressTemplate)) {
      if (!opts.privateIps) return `its address can only be matched through {privateIp}, which needs EC2 DescribeInstances, and this driver has no EC2 lookup; use {instanceId} in spec.aws.address, or run on Kubernetes where nodes carry spec.providerID`;
      ips = await opts.privateIps(group.instances.map((i) => i.id), opts.signal);
    }
    addresses = new Map();
    for (const i of group.instances) {
      const ip = ips.get(i.id);
      if (needsPrivateIp(opts.addressTemplate) && !ip) continue;
      addresses.set(render(opts.addressTemplate, { privateIp: ip, instanceId: i.id, zone: i.zone, pool: opts.pool }), i.id);
    }
    return addresses;
  };
  for (const name of opts.chosen) {
    const node = byName.get(name);
    if (!node) {
      out.gone.push(name);
      continue;
    }
    let id: string | undefined;
    if (node.providerId) {
      id = instanceIdOf(node.providerId);
      if (!id) {
        out.unmapped.push({ node: name, why: `its providerID '${node.providerId}' is not an EC2 instance (aws:///<zone>/i-…)` });
        continue;
      }
      if (!members.has(id)) {
        // Already terminated by an earlier run (the Node object outlives its instance for a while),
        // or never in this group: either way terminating it through the group is moot or wrong.
        out.gone.push(name);
        continue;
      }
    } else if (node.address) {
      const table = await byAddress();
      if (typeof table === 'string') {
        out.unmapped.push({ node: name, why: table });
        continue;
      }
      id = table.get(node.address);
      if (!id) {
        out.unmapped.push({ node: name, why: `no instance of Auto Scaling group ${group.name} has the address ${node.address} (spec.aws.address '${opts.addressTemplate}')` });
        continue;
      }
    } else {
      out.unmapped.push({ node: name, why: 'it has neither a providerID nor an address to find its instance by' });
      continue;
    }
    if (LEAVING.has(members.get(id)!.lifecycle)) out.gone.push(name);
    else out.found.push({ node: name, instanceId: id });
  }
  return out;
}
