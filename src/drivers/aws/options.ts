/**
 * The aws provisioner's settings: a Driver document's `spec.aws` (schemas/driver.schema.json), with
 * `${env:NAME}` references resolved and defaults applied. Credentials are never settings: they come
 * from the SDK's standard chain (environment, shared profile, instance or task role).
 */
import type { DriverDoc, PoolDoc } from '../../model/documents.js';
import { parseDuration } from '../../model/quantity.js';
import { resolveEnvRefs } from '../docker/options.js';
import { DEFAULT_ADDRESS_TEMPLATE, DEFAULT_GROUP_TEMPLATE, REGION_PATTERN, render } from './template.js';

export interface AwsOptions {
  /** Region of every group; absent: the pool's region when it is an AWS region, else the SDK's (AWS_REGION, profile). */
  region?: string;
  /** Named profile of the shared config and credentials files; absent: the SDK's default chain. */
  profile?: string;
  /** Auto Scaling group name template, `{pool}` (and `{region}`) replaced. */
  autoScalingGroup: string;
  /** Address a Docker-placed node carries, rendered per instance (`{privateIp}`, `{instanceId}`, `{zone}`). */
  address: string;
  /** Seconds apply waits for the nodes it asked for to register (SPEC §8, default 5m). */
  startTimeout: number;
  /** Problems with the settings, reported by observe (never thrown while the plan is being made). */
  problems: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_START_TIMEOUT = 300;

/** Settings from a Driver document (or none, for the built-in `aws` type). */
export function awsOptions(doc: DriverDoc | undefined, env: Env = process.env): AwsOptions {
  const raw = (doc?.spec.aws ?? {}) as Record<string, unknown>;
  const where = doc ? `Driver '${doc.metadata.name}' spec.aws` : 'the aws driver';
  const problems: string[] = [];
  const str = (field: string): string | undefined => {
    const v = raw[field];
    if (typeof v !== 'string') return undefined;
    const missing: string[] = [];
    const out = resolveEnvRefs(v, env, missing);
    for (const m of missing) problems.push(`${where}.${field} references the environment variable ${m}, which is not set`);
    return out.trim() || undefined;
  };
  let startTimeout = DEFAULT_START_TIMEOUT;
  if (raw.startTimeout !== undefined) {
    const d = parseDuration(raw.startTimeout, `${where}.startTimeout`);
    if (d.ok) startTimeout = d.value;
    else problems.push(`${d.message}${d.hint ? ` (${d.hint})` : ''}`);
  }
  const region = str('region');
  if (region !== undefined && !REGION_PATTERN.test(region)) problems.push(`${where}.region '${region}' is not an AWS region name such as us-east-1`);
  const profile = str('profile');
  return {
    ...(region !== undefined ? { region } : {}),
    ...(profile !== undefined ? { profile } : {}),
    autoScalingGroup: str('autoScalingGroup') ?? DEFAULT_GROUP_TEMPLATE,
    address: str('address') ?? DEFAULT_ADDRESS_TEMPLATE,
    startTimeout,
    problems,
  };
}

/** The region a pool's group lives in, or undefined to let the SDK decide (AWS_REGION, the profile). */
export function regionOf(opts: AwsOptions, pool: PoolDoc): string | undefined {
  if (opts.region) return opts.region;
  return REGION_PATTERN.test(pool.spec.region) ? pool.spec.region : undefined;
}

/** The pool's Auto Scaling group name. */
export function groupOf(opts: AwsOptions, pool: PoolDoc): string {
  return render(opts.autoScalingGroup, { pool: pool.metadata.name, region: regionOf(opts, pool) ?? pool.spec.region });
}
