/**
 * The EC2 half of the AWS test server (autoscaling-server.ts routes here by API version): what the
 * installed @aws-sdk/client-ec2 sends and reads (AwsEc2QueryProtocol, @aws-sdk/core): POST / with a
 * form-encoded body `Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-id&
 * Filter.1.Value.1=i-…&MaxResults=…&NextToken=…` (flattened lists, `InstanceId.N`), answered with XML in
 * http://ec2.amazonaws.com/doc/2016-11-15/ — `<DescribeInstancesResponse><requestId/><reservationSet>
 * <item><instancesSet><item><instanceId/><privateIpAddress/>…` plus `<nextToken/>` — and errors as
 * `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
 */
import type { TestInstance } from './autoscaling-server.js';

export const EC2_VERSION = '2016-11-15';
export const EC2_NS = `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`;

/** An EC2 instance as DescribeInstances reports it: every instance launched, terminated ones too (for a while, as EC2 does). */
export interface Ec2Record {
  instance: TestInstance;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const el = (name: string, inner: string) => `<${name}>${inner}</${name}>`;
const text = (name: string, value: string) => el(name, esc(value));
const STATE_CODE = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 } as const;

export function ec2Error(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response>${el('Errors', el('Error', text('Code', code) + text('Message', message)))}${text('RequestID', requestId)}</Response>`;
}

/** `Name.1`, `Name.2`, … (EC2's flattened lists). */
function flat(p: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; p[`${name}.${i}`] !== undefined; i++) out.push(p[`${name}.${i}`]!);
  return out;
}

function filters(p: Record<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 1; p[`Filter.${i}.Name`] !== undefined; i++) out.set(p[`Filter.${i}.Name`]!, flat(p, `Filter.${i}.Value`));
  return out;
}

function instanceXml(r: Ec2Record): string {
  const i = r.instance;
  const live = r.state !== 'terminated';
  return el('item',
    text('instanceId', i.id) + text('imageId', 'ami-0123456789abcdef0') +
    el('instanceState', el('code', String(STATE_CODE[r.state])) + text('name', r.state)) +
    (live ? text('privateDnsName', `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`) : '<privateDnsName/>') +
    text('instanceType', 'm5.xlarge') + text('launchTime', '2026-11-01T08:00:00.000Z') +
    el('placement', text('availabilityZone', i.zone) + text('tenancy', 'default')) +
    (live ? text('privateIpAddress', i.privateIp) : '') +
    el('tagSet', el('item', text('key', 'aws:autoscaling:groupName') + text('value', i.group))),
  );
}

/**
 * DescribeInstances over `records`: by InstanceId.N (unknown ids fail, as EC2's
 * InvalidInstanceID.NotFound) or by the instance-id / instance-state-name filters (unknown ids are
 * simply absent), paginated by MaxResults (capped at `maxPage`) and NextToken.
 */
export function describeInstances(p: Record<string, string>, records: ReadonlyMap<string, Ec2Record>, requestId: string, maxPage = 1000): { status: number; body: string } {
  const ids = flat(p, 'InstanceId');
  const f = filters(p);
  if (ids.length && p.MaxResults !== undefined) return { status: 400, body: ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults', requestId) };
  const max = p.MaxResults !== undefined ? Number(p.MaxResults) : 1000;
  if (!Number.isInteger(max) || max < 5 || max > 1000) return { status: 400, body: ec2Error('InvalidParameterValue', `Value (${p.MaxResults ?? ''}) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`, requestId) };
  const missing = ids.filter((id) => !records.has(id));
  if (missing.length) return { status: 400, body: ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`, requestId) };
  let all = [...records.values()].sort((a, b) => (a.instance.id < b.instance.id ? -1 : 1));
  if (ids.length) all = all.filter((r) => ids.includes(r.instance.id));
  const byId = f.get('instance-id');
  if (byId) all = all.filter((r) => byId.includes(r.instance.id));
  const byState = f.get('instance-state-name');
  if (byState) all = all.filter((r) => byState.includes(r.state));
  const start = Number(p.NextToken ?? 0);
  const size = Math.min(max, maxPage);
  const page = all.slice(start, start + size);
  const reservations = page.map((r) => el('item', text('reservationId', `r-${r.instance.id.slice(2)}`) + text('ownerId', '123456789012') + '<groupSet/>' + el('instancesSet', instanceXml(r))));
  const next = start + size < all.length ? text('nextToken', String(start + size)) : '';
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${EC2_NS}">${text('requestId', requestId)}${reservations.length ? el('reservationSet', reservations.join('')) : '<reservationSet/>'}${next}</DescribeInstancesResponse>`;
  return { status: 200, body };
}
