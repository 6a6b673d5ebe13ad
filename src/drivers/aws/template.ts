/**
 * Name templates of the aws provisioner: `agents-{pool}` gives a pool its Auto Scaling group,
 * `ssh://ubuntu@{privateIp}` gives an instance the address a Docker-placed node carries. Pure.
 */

/** Placeholders each template may use (qm validate rejects any other). */
export const GROUP_PLACEHOLDERS = ['pool', 'region'] as const;
export const ADDRESS_PLACEHOLDERS = ['privateIp', 'instanceId', 'zone', 'pool'] as const;

export const DEFAULT_GROUP_TEMPLATE = 'agents-{pool}';
export const DEFAULT_ADDRESS_TEMPLATE = 'ssh://ubuntu@{privateIp}';

/** `{name}`, but not an environment reference `${env:NAME}` (resolved before rendering). */
const PLACEHOLDER = /(?<!\$)\{([^{}]*)\}/g;

/** The `{name}` placeholders of a template, in order of appearance (duplicates kept). */
export function placeholders(template: string): { name: string; index: number }[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => ({ name: m[1]!, index: m.index! }));
}

/** Replace every placeholder with its value; unknown ones stay as written (validation names them). */
export function render(template: string, values: Readonly<Record<string, string | undefined>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}

/** True when the template needs a value that only EC2 knows (the private address). */
export function needsPrivateIp(template: string): boolean {
  return placeholders(template).some((p) => p.name === 'privateIp');
}

/** Names of Auto Scaling groups: 1–255 characters, no control characters (AWS's own limit). */
export function groupNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 255) return `is ${name.length} characters long (Auto Scaling allows 255)`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains control characters';
  return undefined;
}

/** AWS region names as AWS spells them: us-east-1, eu-central-2, us-gov-west-1, cn-north-1. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
