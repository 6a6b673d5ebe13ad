/**
 * Settings of the aws provisioner the schema cannot check: the region's format, the placeholders of
 * the name and address templates, and group names that two pools would share. (A pool that names an
 * aws driver to place is driver-roles' to report, in drivers.ts.)
 */
import type { DriverDoc } from '../../model/documents.js';
import { BUILTIN_DRIVER_TYPES } from '../../model/documents.js';
import { didYouMean } from '../../model/diagnostic.js';
import { DOCKER_SCHEMES, parseEndpoint } from '../../drivers/docker/endpoint.js';
import { ADDRESS_PLACEHOLDERS, DEFAULT_GROUP_TEMPLATE, GROUP_PLACEHOLDERS, groupNameProblem, placeholders, REGION_PATTERN, render } from '../../drivers/aws/template.js';
import type { DocumentEntry } from '../validate.js';
import type { Rule, RuleContext } from './context.js';
import { docName, entriesOf } from './context.js';

const ENV_REF = /\$\{env:[A-Za-z_][A-Za-z0-9_]*\}/;

/** A likely spelling of a mistyped region: `us-east1` → `us-east-1`, `US-EAST-1` → `us-east-1`. */
function regionGuess(region: string): string | undefined {
  const lower = region.toLowerCase().trim().replace(/_/g, '-');
  const fixed = lower.replace(/^([a-z]{2}(?:-[a-z]+)+?)-?(\d{1,2})[a-z]?$/, '$1-$2');
  return fixed !== region && REGION_PATTERN.test(fixed) ? fixed : undefined;
}

function checkTemplate(ctx: RuleContext, e: DocumentEntry, field: string, template: string, allowed: readonly string[]): boolean {
  let ok = true;
  for (const p of placeholders(template)) {
    if ((allowed as readonly string[]).includes(p.name)) continue;
    ok = false;
    const guess = didYouMean(p.name, allowed);
    ctx.report(e, `/spec/aws/${field}`, 'InvalidValue', `${docName(e.doc)}: spec.aws.${field} '${template}' uses the placeholder {${p.name}}, which is not one of ${allowed.map((a) => `{${a}}`).join(', ')}`, { hint: guess ? `did you mean {${guess}}?` : `use ${allowed.map((a) => `{${a}}`).join(', ')}` });
  }
  return ok;
}

export const awsSettings: Rule = {
  name: 'aws-settings',
  description: 'aws provisioners: region names, the placeholders of spec.aws.autoScalingGroup and spec.aws.address, and one Auto Scaling group per pool',
  check(ctx) {
    const awsDrivers = new Map<string, { entry?: DocumentEntry; template: string }>();
    if (!entriesOf(ctx, 'Driver').some((e) => e.doc.metadata.name === 'aws')) awsDrivers.set('aws', { template: DEFAULT_GROUP_TEMPLATE });
    const typeOf = new Map<string, string>(BUILTIN_DRIVER_TYPES.map((t) => [t, t]));
    for (const e of entriesOf(ctx, 'Driver')) typeOf.set(e.doc.metadata.name, e.doc.spec.type);
    for (const e of entriesOf(ctx, 'Driver')) {
      const doc: DriverDoc = e.doc;
      if (doc.spec.type !== 'aws') continue;
      const a = (doc.spec.aws ?? {}) as { region?: unknown; autoScalingGroup?: unknown; address?: unknown };
      let template = DEFAULT_GROUP_TEMPLATE;
      if (typeof a.region === 'string' && !ENV_REF.test(a.region) && !REGION_PATTERN.test(a.region)) {
        const guess = regionGuess(a.region);
        ctx.report(e, '/spec/aws/region', 'InvalidValue', `${docName(doc)}: spec.aws.region '${a.region}' is not an AWS region name`, { hint: guess ? `did you mean '${guess}'?` : 'write it as AWS does: us-east-1, eu-central-1, ap-southeast-2' });
      }
      if (typeof a.autoScalingGroup === 'string') {
        if (checkTemplate(ctx, e, 'autoScalingGroup', a.autoScalingGroup, GROUP_PLACEHOLDERS)) {
          template = a.autoScalingGroup;
          const problem = groupNameProblem(render(template, { pool: 'pool', region: 'us-east-1' }));
          if (problem) ctx.report(e, '/spec/aws/autoScalingGroup', 'InvalidValue', `${docName(doc)}: spec.aws.autoScalingGroup '${template}' renders a group name that ${problem}`, { hint: 'Auto Scaling group names are 1–255 printable characters' });
        } else template = '';
      }
      if (typeof a.address === 'string' && checkTemplate(ctx, e, 'address', a.address, ADDRESS_PLACEHOLDERS)) {
        const names = placeholders(a.address).map((p) => p.name);
        if (!names.includes('privateIp') && !names.includes('instanceId')) {
          ctx.report(e, '/spec/aws/address', 'InvalidValue', `${docName(doc)}: spec.aws.address '${a.address}' is the same for every instance, so no node can be told from another`, { hint: 'put {privateIp} or {instanceId} in it, as in ssh://ubuntu@{privateIp}' });
        } else if (!ENV_REF.test(a.address)) {
          const sample = render(a.address, { privateIp: '10.0.0.1', instanceId: 'i-0123456789abcdef0', zone: 'us-east-1a', pool: 'pool' });
          const p = parseEndpoint(sample);
          if (!p.ok) ctx.report(e, '/spec/aws/address', 'InvalidValue', `${docName(doc)}: spec.aws.address '${a.address}' is not a Docker endpoint the docker driver can reach`, { hint: `write it as ${DOCKER_SCHEMES.filter((s) => s !== 'unix').map((s) => `${s}://`).join(', ')}, e.g. ssh://ubuntu@{privateIp} or tcp://{privateIp}:2376` });
        }
      }
      awsDrivers.set(doc.metadata.name, { entry: e, template });
    }
    // One group per pool: a template without {pool} would make two pools fight over one group.
    const seen = new Map<string, string>();
    for (const e of entriesOf(ctx, 'Pool')) {
      const pool = e.doc;
      const prov = pool.spec.provisioner;
      const d = prov !== undefined && typeOf.get(prov) === 'aws' ? awsDrivers.get(prov) : undefined;
      if (!d || !d.template || pool.spec.nodes) continue;
      const group = render(d.template, { pool: pool.metadata.name, region: pool.spec.region });
      const key = `${prov}\u0000${group}`;
      const other = seen.get(key);
      if (other !== undefined) {
        ctx.report(e, '/spec/provisioner', 'InvalidValue', `${docName(pool)}: its Auto Scaling group '${group}' (Driver '${prov}' spec.aws.autoScalingGroup '${d.template}') is also the group of Pool '${other}'; two pools cannot share one group`, { hint: "put {pool} in the Driver's spec.aws.autoScalingGroup, as in agents-{pool}" });
      } else seen.set(key, pool.metadata.name);
    }
  },
};
