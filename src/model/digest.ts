/** Canonical JSON and sha256 digests: same value, same bytes, same digest. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth; undefined fields dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** "sha256:<hex>" of the canonical JSON of a value (or of a string as is). */
export function digest(value: unknown): string {
  return 'sha256:' + createHash('sha256').update(typeof value === 'string' ? value : canonicalJson(value)).digest('hex');
}

/**
 * What an instance of an agent is made from — runtime (image, command, env, …) and resources —
 * as a short digest. Drivers record it on each instance they start; an instance whose recorded
 * template differs from its agent's current one is recreated (within the disruption budget).
 */
export function templateDigest(agent: { spec: { runtime: unknown; resources: unknown } }): string {
  // Drivers ask once per action: one digest per (immutable) agent document.
  let d = templates.get(agent);
  if (d === undefined) {
    d = digest({ runtime: agent.spec.runtime, resources: agent.spec.resources }).slice('sha256:'.length, 'sha256:'.length + 16);
    templates.set(agent, d);
  }
  return d;
}

const templates = new WeakMap<object, string>();
