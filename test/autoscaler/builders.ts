/** Builders for autoscaler tests: policies from inline YAML, series from value lists, times from ISO strings. */
import { validateFiles } from '../../src/config/validate.js';
import type { MetricRef, PolicySet, ScalingPolicyDoc } from '../../src/model/documents.js';
import type { ObservedState } from '../../src/model/state.js';
import type { MetricData, SeriesPoint } from '../../src/autoscaler/index.js';
import { metricKey } from '../../src/autoscaler/index.js';

/** Unix seconds of an ISO time. */
export const T = (iso: string): number => Date.parse(iso) / 1000;

/** A PolicySet from YAML documents (a pool `p` and an agent `a` are added unless the YAML has its own). */
export function policyFrom(yaml: string): PolicySet {
  const base = [
    /^kind: Pool$/m.test(yaml) ? '' : POOL('p', { min: 1, max: 10, initial: 2 }),
    /^kind: Agent$/m.test(yaml) ? '' : AGENT('a', 1),
  ].filter(Boolean);
  const text = [...base, yaml].join('\n---\n');
  const r = validateFiles([{ path: 'policies/test.yaml', text }]);
  if (!r.policy) throw new Error(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n'));
  return r.policy;
}

export function POOL(name: string, size: { min: number; max: number; initial: number }, cpu = 4): string {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: ${name}}
spec:
  driver: sim
  zones: [z-a]
  node: {capacity: {cpu: ${cpu}, memory: 16Gi}}
  size: {min: ${size.min}, max: ${size.max}, initial: ${size.initial}}`;
}

export function AGENT(name: string, replicas: number, cpu = 1): string {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: ${name}, labels: {app: ${name}}}
spec: {type: worker, owner: team, replicas: ${replicas}, resources: {requests: {cpu: ${cpu}, memory: 1Gi}}}`;
}

/** A ScalingPolicy document; `spec` is YAML indented by four spaces under spec:. */
export function SP(name: string, target: string, spec: string): string {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: ${name}}
spec:
  target: ${target}
${spec.replace(/^/gm, '  ')}`;
}

export const METRIC_SOURCES = `apiVersion: quartermaster.dev/v1alpha1
kind: MetricSource
metadata: {name: h}
spec: {file: {path: m.csv}}
---
apiVersion: quartermaster.dev/v1alpha1
kind: MetricSource
metadata: {name: prom}
spec: {prometheus: {url: "http://127.0.0.1:9"}}`;

/** The one ScalingPolicy of a set. */
export function onlyPolicy(p: PolicySet): ScalingPolicyDoc {
  return p.scalingPolicies[0]!;
}

/** Points every `step` seconds from `start`, one per value. */
export function series(start: string, step: number, values: readonly number[]): SeriesPoint[] {
  const t0 = T(start);
  return values.map((v, i) => ({ t: t0 + i * step, v }));
}

/** MetricData from {series name → points} for the file source `h`. */
export function data(byName: Record<string, SeriesPoint[] | { error: string }>): MetricData {
  const out: Record<string, { points: SeriesPoint[]; error?: string }> = {};
  for (const [name, v] of Object.entries(byName)) {
    const ref: MetricRef = name.startsWith('prom:') ? { source: 'prom', query: name.slice(5) } : { source: 'h', series: name };
    out[metricKey(ref)] = Array.isArray(v) ? { points: v } : { points: [], error: v.error };
  }
  return out;
}

export const EMPTY_STATE: ObservedState = { nodes: [], instances: [], scalingHistory: [] };
