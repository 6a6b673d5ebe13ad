/**
 * A pool's machines as the docker driver needs them (issue #12): every instance of the pool's Auto
 * Scaling group that is InService is one Docker engine, reached at spec.aws.address rendered for
 * it (`ssh://ubuntu@{privateIp}`, `tcp://{privateIp}:2376`). Instances still launching, or leaving,
 * are not machines yet (or any more); nor is one whose private address EC2 has not reported when
 * the template needs it. The node's name is the instance id: stable for the instance's life and
 * unique, and its providerID lets a scale-down terminate exactly that instance. Pure.
 */
import type { Machine } from '../contract.js';
import type { Group } from './client.js';
import { needsPrivateIp, render } from './template.js';

/** The group's instances in service, sorted by id, as machines of `pool`. */
export function groupMachines(group: Group, pool: string, template: string, privateIps: ReadonlyMap<string, string> = new Map()): Machine[] {
  const needsIp = needsPrivateIp(template);
  const out: Machine[] = [];
  for (const i of [...group.instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (i.lifecycle !== 'InService' || !i.id) continue;
    const ip = privateIps.get(i.id);
    if (needsIp && !ip) continue;
    out.push({ name: i.id, zone: i.zone, address: render(template, { privateIp: ip, instanceId: i.id, zone: i.zone, pool }), providerId: `aws:///${i.zone}/${i.id}` });
  }
  return out;
}

/** The instance ids whose private addresses the template needs (none when it has no {privateIp}). */
export function idsNeedingAddresses(group: Group, template: string): string[] {
  if (!needsPrivateIp(template)) return [];
  return group.instances.filter((i) => i.lifecycle === 'InService' && i.id).map((i) => i.id);
}
