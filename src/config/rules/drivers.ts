/**
 * Driver settings the schema cannot check: Docker endpoint addresses the docker driver can speak;
 * an exec driver's block and its `${env:NAME}` references.
 */
import type { DriverDoc, PoolDoc } from '../../model/documents.js';
import { didYouMean } from '../../model/diagnostic.js';
import { DOCKER_SCHEMES, parseEndpoint } from '../../drivers/docker/endpoint.js';
import type { DocumentEntry } from '../validate.js';
import type { Rule, RuleContext } from './context.js';
import { docName, entriesOf } from './context.js';

const SCHEMES = DOCKER_SCHEMES.map((s) => `${s}://`).join(', ');

/** Why the docker driver could never use this address, with a hint; undefined when it could (reachable or not). */
function endpointProblem(address: string): { message: string; hint: string } | undefined {
  // Resolved from the environment at plan time: only the part before the first reference can be judged.
  if (/^\s*\$\{/.test(address)) return undefined;
  const scheme = /^\s*([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(address)?.[1];
  if (scheme !== undefined && !(DOCKER_SCHEMES as readonly string[]).includes(scheme)) {
    const guess = didYouMean(scheme.toLowerCase(), DOCKER_SCHEMES);
    const hint =
      guess ? `did you mean '${address.replace(scheme, guess)}'?`
      : scheme === 'npipe' ? `Windows named pipes are not supported: expose the engine on tcp://host:2376 (with tls) or reach it over ssh://user@host`
      : `write unix:///var/run/docker.sock, tcp://host:2376, https://host:2376 or ssh://user@host`;
    return { message: `'${address}' uses the scheme ${scheme}://, which the docker driver does not speak (it speaks ${SCHEMES})`, hint };
  }
  if (address.includes('${')) return undefined;
  const p = parseEndpoint(address);
  if (p.ok) return undefined;
  return { message: p.message.replace(/;.*$/, ''), hint: `write unix:///var/run/docker.sock, tcp://host:2376, https://host:2376 or ssh://user@host` };
}

function check(ctx: RuleContext, e: DocumentEntry, pointer: string, field: string, address: string): void {
  const p = endpointProblem(address);
  if (p) ctx.report(e, pointer, 'InvalidValue', `${docName(e.doc)}: ${field} ${p.message}`, { hint: p.hint });
}

export const driverSettings: Rule = {
  name: 'driver-settings',
  description: 'Docker endpoints (Driver spec.docker.endpoints, static node addresses of docker pools) use a scheme the docker driver speaks and are well formed',
  check(ctx) {
    const dockerDrivers = new Set<string>(['docker']);
    for (const e of entriesOf(ctx, 'Driver')) {
      if (e.doc.spec.type !== 'docker') continue;
      dockerDrivers.add(e.doc.metadata.name);
      const endpoints = (e.doc.spec.docker as { endpoints?: unknown } | undefined)?.endpoints;
      if (!Array.isArray(endpoints)) continue;
      endpoints.forEach((a, i) => {
        if (typeof a === 'string') check(ctx, e, `/spec/docker/endpoints/${i}`, `spec.docker.endpoints[${i}]`, a);
      });
    }
    unusedEndpoints(ctx);
    for (const e of entriesOf(ctx, 'Driver')) if (e.doc.spec.type === 'exec') checkExec(ctx, e);
    // A Driver document named `docker` of another type shadows the built-in type.
    for (const e of entriesOf(ctx, 'Driver')) if (e.doc.metadata.name === 'docker' && e.doc.spec.type !== 'docker') dockerDrivers.delete('docker');
    for (const e of entriesOf(ctx, 'Pool')) {
      const pool: PoolDoc = e.doc;
      if (!dockerDrivers.has(pool.spec.driver)) continue;
      (pool.spec.nodes ?? []).forEach((n, i) => {
        if (n.address !== undefined) check(ctx, e, `/spec/nodes/${i}/address`, `spec.nodes[${i}].address`, n.address);
      });
    }
  },
};

/** Driver types that only change node counts: a pool's `provisioner`, never its `driver`. */
const PROVISIONER_ONLY = new Set<string>(['clusterapi', 'aws']);

export const driverRoles: Rule = {
  name: 'driver-roles',
  description: 'A provisioner-only driver (clusterapi, aws) is named as a pool\'s provisioner, not as its driver, which must place instances',
  check(ctx) {
    const typeOf = new Map<string, string>();
    for (const e of entriesOf(ctx, 'Driver')) typeOf.set(e.doc.metadata.name, e.doc.spec.type);
    for (const e of entriesOf(ctx, 'Pool')) {
      const pool: PoolDoc = e.doc;
      const type = typeOf.get(pool.spec.driver) ?? pool.spec.driver;
      if (!PROVISIONER_ONLY.has(type)) continue;
      ctx.report(e, '/spec/driver', 'InvalidValue', `${docName(e.doc)}: spec.driver '${pool.spec.driver}' is ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} provisioner, which changes node counts but cannot place instances`, {
        hint: `write provisioner: ${pool.spec.driver} and name a ${type === 'aws' ? 'kubernetes or docker' : 'kubernetes'} Driver as spec.driver`,
      });
    }
  },
};

/** Provisioner types that report the machines of a pool (their addresses replace the docker driver's endpoints). */
const MACHINE_PROVISIONERS = new Set(['aws']);

/**
 * A docker Driver whose every pool takes its machines from a provisioner (an Auto Scaling group's
 * instances through spec.aws.address) never uses its spec.docker.endpoints: say so rather than
 * leave a reader believing the containers run there.
 */
function unusedEndpoints(ctx: RuleContext): void {
  const typeOf = new Map(entriesOf(ctx, 'Driver').map((e) => [e.doc.metadata.name, e.doc.spec.type as string]));
  for (const e of entriesOf(ctx, 'Driver')) {
    if (e.doc.spec.type !== 'docker') continue;
    const endpoints = (e.doc.spec.docker as { endpoints?: unknown } | undefined)?.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length === 0) continue;
    const pools = entriesOf(ctx, 'Pool').map((p) => p.doc as PoolDoc).filter((p) => p.spec.driver === e.doc.metadata.name);
    const fromProvisioner = (p: PoolDoc) => !p.spec.nodes && p.spec.provisioner !== undefined && MACHINE_PROVISIONERS.has(typeOf.get(p.spec.provisioner) ?? p.spec.provisioner);
    if (pools.length === 0 || !pools.every(fromProvisioner)) continue;
    const names = pools.map((p) => `'${p.metadata.name}'`).sort().join(', ');
    const provisioners = [...new Set(pools.map((p) => `'${p.spec.provisioner!}'`))].sort();
    ctx.report(e, '/spec/docker/endpoints', 'InvalidValue', `${docName(e.doc)}: spec.docker.endpoints is not used: the engines of ${pools.length === 1 ? 'its pool' : 'its pools'} ${names} are the machines of ${provisioners.length === 1 ? 'the provisioner' : 'the provisioners'} ${provisioners.join(', ')} (spec.aws.address)`, {
      severity: 'warning',
      hint: 'remove spec.docker.endpoints, or give a pool that should use them no provisioner',
    });
  }
}

/** `${env:NAME}` is the only reference form; `${NAME}`, `$NAME` or `${ENV:NAME}` would reach the program verbatim. */
const REFERENCE = /\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function checkExec(ctx: RuleContext, e: DocumentEntry & { doc: DriverDoc }): void {
  const block = e.doc.spec.exec as { env?: Record<string, unknown> } | undefined;
  if (block === undefined) {
    ctx.report(e, '/spec/type', 'MissingField', `${docName(e.doc)}: type exec needs spec.exec with the program to run`, { hint: 'add exec: {command: ["./drivers/my-driver.py"]}' });
    return;
  }
  for (const [key, value] of Object.entries(block.env ?? {})) {
    if (typeof value !== 'string') continue;
    for (const m of value.matchAll(REFERENCE)) {
      const inner = m[1];
      if (inner !== undefined && /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) continue;
      const name = (inner ?? m[2] ?? '').replace(/^[A-Za-z]+:/, '');
      const fix = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `write \${env:${name}}` : 'write ${env:NAME} with NAME a variable name (letters, digits, _)';
      ctx.report(e, `/spec/exec/env/${key}`, 'InvalidValue', `${docName(e.doc)}: spec.exec.env.${key} holds '${m[0]}', which is not an environment reference qm resolves (the program would get it verbatim)`, { hint: fix });
    }
  }
}
