/**
 * An EC2 Auto Scaling API test server on 127.0.0.1 that speaks what the installed
 * @aws-sdk/client-auto-scaling sends and reads (its AwsQueryProtocol, @aws-sdk/core): POST / with
 * a form-encoded body `Action=…&Version=2011-01-01&…` (lists as `Name.member.N`), answered with XML
 * in the namespace http://autoscaling.amazonaws.com/doc/2011-01-01/ —
 * `<XResponse><XResult>…</XResult><ResponseMetadata><RequestId>` — and errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` with AWS's
 * statuses. It implements DescribeAutoScalingGroups, SetDesiredCapacity,
 * TerminateInstanceInAutoScalingGroup and DescribeScalingActivities over groups kept in memory;
 * failures can be injected; every request is logged. Requests must be SigV4-signed with a known
 * access key id (the secret is never checked nor logged). Instances it launches get ids `i-0…`,
 * zones round-robin over the group's AvailabilityZones and private addresses from the test's list
 * (`privateIps`), else in 10.0.0.0/16, and are handed to `onLaunch` (the Kubernetes test server
 * registers them as nodes). Requests of EC2's API version (2016-11-15) go to its EC2 half
 * (ec2-server.ts: DescribeInstances of every instance launched), so one AWS_ENDPOINT_URL serves
 * both clients, and one request log shows the order of their calls.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeInstances, EC2_VERSION, ec2Error } from './ec2-server.js';
import type { Ec2Record } from './ec2-server.js';

export const NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

export interface TestInstance {
  id: string;
  zone: string;
  privateIp: string;
  lifecycle: 'Pending' | 'InService' | 'Terminating';
  health: 'Healthy' | 'Unhealthy';
  group: string;
}

export interface TestGroup {
  name: string;
  min: number;
  max: number;
  desired: number;
  zones: string[];
  instances: TestInstance[];
  /** Next zone index for round-robin placement of new instances. */
  nextZone: number;
}

export interface TestActivity {
  ActivityId: string;
  AutoScalingGroupName: string;
  Description: string;
  Cause: string;
  StartTime: string;
  StatusCode: string;
  Progress: number;
}

export interface LoggedRequest {
  action: string;
  params: Record<string, string>;
  /** The SigV4 access key id the request was signed with. */
  accessKeyId: string | undefined;
  status: number;
}

export interface InjectedError {
  code: string;
  message?: string;
  status?: number;
  type?: 'Sender' | 'Receiver';
  /** How many matching requests fail (default 1). */
  times?: number;
}

export interface AutoScalingServerOptions {
  /** Access key ids accepted (default: any signed request). */
  accessKeyIds?: string[];
  /** Called for every instance launched (after the response is sent). */
  onLaunch?: (i: TestInstance) => void | Promise<void>;
  /** Called for every instance terminated. */
  onTerminate?: (i: TestInstance) => void | Promise<void>;
  /** Private addresses of the instances launched, in launch order (then 10.0.x.y). */
  privateIps?: string[];
  /** Largest DescribeInstances page, whatever MaxResults asks (to exercise NextToken). */
  ec2PageSize?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const el = (name: string, inner: string | number | boolean) => `<${name}>${typeof inner === 'string' ? inner : String(inner)}</${name}>`;
const text = (name: string, value: string) => el(name, esc(value));
const list = (name: string, items: string[]) => (items.length ? el(name, items.map((i) => el('member', i)).join('')) : `<${name}/>`);

const ACCOUNT = '123456789012';

export class AutoScalingServer {
  readonly groups = new Map<string, TestGroup>();
  readonly requests: LoggedRequest[] = [];
  readonly activities: TestActivity[] = [];
  /** Every instance launched, as EC2 reports it (terminated ones stay, as in EC2). */
  readonly ec2 = new Map<string, Ec2Record>();
  private readonly injected = new Map<string, InjectedError[]>();
  private server: http.Server | undefined;
  private seq = 0;
  private pendingHooks: Promise<unknown>[] = [];
  url = '';

  constructor(
    private readonly opts: AutoScalingServerOptions = {},
    /** The region in ARNs. */
    readonly region = 'us-east-1',
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.pendingHooks);
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** Wait for the onLaunch/onTerminate hooks started so far. */
  async settled(): Promise<void> {
    const hooks = this.pendingHooks;
    this.pendingHooks = [];
    await Promise.all(hooks);
  }

  /** A group with `desired` instances already running (their onLaunch hooks run too). */
  addGroup(name: string, g: { min: number; max: number; desired?: number; zones: string[] }): TestGroup {
    const group: TestGroup = { name, min: g.min, max: g.max, desired: 0, zones: [...g.zones], instances: [], nextZone: 0 };
    this.groups.set(name, group);
    this.launch(group, g.desired ?? g.min);
    return group;
  }

  /** The next `times` requests of `action` fail with this error. */
  inject(action: string, error: InjectedError): void {
    const q = this.injected.get(action) ?? [];
    q.push({ times: 1, ...error });
    this.injected.set(action, q);
  }

  /** Logged action names, in order. */
  actions(): string[] {
    return this.requests.map((r) => r.action);
  }

  private launch(g: TestGroup, count: number): void {
    for (let k = 0; k < count; k++) {
      const n = ++this.seq;
      const zone = g.zones[g.nextZone++ % g.zones.length]!;
      const privateIp = this.opts.privateIps?.[n - 1] ?? `10.0.${Math.floor(n / 250)}.${(n % 250) + 4}`;
      const inst: TestInstance = { id: `i-0${n.toString(16).padStart(16, '0')}`, zone, privateIp, lifecycle: 'InService', health: 'Healthy', group: g.name };
      g.instances.push(inst);
      this.ec2.set(inst.id, { instance: inst, state: 'running' });
      if (this.opts.onLaunch) this.pendingHooks.push(Promise.resolve(this.opts.onLaunch(inst)));
    }
    g.desired += count;
  }

  private terminate(g: TestGroup, inst: TestInstance): void {
    g.instances = g.instances.filter((i) => i !== inst);
    const rec = this.ec2.get(inst.id);
    if (rec) rec.state = 'terminated';
    if (this.opts.onTerminate) this.pendingHooks.push(Promise.resolve(this.opts.onTerminate(inst)));
  }

  /** AWS's default termination policy, simplified: the zone with the most instances, newest first. */
  private shrink(g: TestGroup, count: number): void {
    for (let k = 0; k < count; k++) {
      const perZone = new Map<string, TestInstance[]>();
      for (const i of g.instances) perZone.set(i.zone, [...(perZone.get(i.zone) ?? []), i]);
      const biggest = [...perZone.values()].sort((a, b) => b.length - a.length)[0];
      if (!biggest) break;
      this.terminate(g, biggest[biggest.length - 1]!);
    }
    g.desired -= count;
  }

  private activity(g: TestGroup, description: string, cause: string): TestActivity {
    const a: TestActivity = { ActivityId: randomUUID(), AutoScalingGroupName: g.name, Description: description, Cause: cause, StartTime: new Date().toISOString(), StatusCode: 'InProgress', Progress: 0 };
    this.activities.push(a);
    return a;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const action = params.Action ?? '';
    const accessKeyId = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
    const entry: LoggedRequest = { action, params, accessKeyId, status: 200 };
    this.requests.push(entry);
    const requestId = randomUUID();
    const send = (status: number, body: string) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const error = (status: number, code: string, message: string, type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender') =>
      params.Version === EC2_VERSION ? send(status, ec2Error(code === 'InvalidClientTokenId' ? 'AuthFailure' : code, message, requestId)) : send(status, `<ErrorResponse xmlns="${NS}">${el('Error', text('Type', type) + text('Code', code) + text('Message', message))}${text('RequestId', requestId)}</ErrorResponse>`);
    const ok = (result: string | undefined) =>
      send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NS}">${result !== undefined ? el(`${action}Result`, result) : ''}${el('ResponseMetadata', text('RequestId', requestId))}</${action}Response>`);

    if (req.method !== 'POST' || !/^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? '')) return error(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    if (this.opts.accessKeyIds && !this.opts.accessKeyIds.includes(accessKeyId ?? '')) return error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (params.Version === EC2_VERSION) return this.handleEc2(action, params, requestId, send);
    if (params.Version !== '2011-01-01') return error(400, 'InvalidAction', `Could not find operation ${action} for version ${params.Version ?? 'NO_VERSION_SPECIFIED'}`);
    const q = this.injected.get(action);
    if (q?.length) {
      const e = q[0]!;
      if (--e.times! <= 0) q.shift();
      return error(e.status ?? 400, e.code, e.message ?? `injected ${e.code}`, e.type);
    }
    switch (action) {
      case 'DescribeAutoScalingGroups': return this.describeGroups(params, ok);
      case 'SetDesiredCapacity': return this.setDesired(params, ok, error);
      case 'TerminateInstanceInAutoScalingGroup': return this.terminateOne(params, ok, error);
      case 'DescribeScalingActivities': return this.describeActivities(params, ok);
      default: return error(400, 'InvalidAction', `Could not find operation ${action} for version 2011-01-01`);
    }
  }

  /** The EC2 half: same signing check, same injected errors, EC2's error shape. */
  private handleEc2(action: string, params: Record<string, string>, requestId: string, send: (status: number, body: string) => void): void {
    const q = this.injected.get(action);
    if (q?.length) {
      const e = q[0]!;
      if (--e.times! <= 0) q.shift();
      return send(e.status ?? 400, ec2Error(e.code, e.message ?? `injected ${e.code}`, requestId));
    }
    if (action !== 'DescribeInstances') return send(400, ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`, requestId));
    const r = describeInstances(params, this.ec2, requestId, this.opts.ec2PageSize);
    send(r.status, r.body);
  }

  private describeGroups(p: Record<string, string>, ok: (r: string) => void): void {
    const names = members(p, 'AutoScalingGroupNames');
    const all = [...this.groups.values()].filter((g) => !names.length || names.includes(g.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const max = Number(p.MaxRecords ?? 50);
    const start = Number(p.NextToken ?? 0);
    const page = all.slice(start, start + max);
    const next = start + max < all.length ? text('NextToken', String(start + max)) : '';
    ok(list('AutoScalingGroups', page.map((g) => this.groupXml(g))) + next);
  }

  private groupXml(g: TestGroup): string {
    const arn = `arn:aws:autoscaling:${this.region}:${ACCOUNT}:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${g.name}`;
    const lt = el('LaunchTemplate', text('LaunchTemplateId', 'lt-0123456789abcdef0') + text('LaunchTemplateName', `${g.name}-template`) + text('Version', '$Default'));
    const instances = g.instances.map((i) =>
      text('InstanceId', i.id) + text('InstanceType', 'm5.xlarge') + text('AvailabilityZone', i.zone) + text('LifecycleState', i.lifecycle) + text('HealthStatus', i.health) + lt + el('ProtectedFromScaleIn', false),
    );
    return (
      text('AutoScalingGroupName', g.name) + text('AutoScalingGroupARN', arn) + lt +
      el('MinSize', g.min) + el('MaxSize', g.max) + el('DesiredCapacity', g.desired) + el('DefaultCooldown', 300) +
      list('AvailabilityZones', g.zones.map(esc)) + '<LoadBalancerNames/><TargetGroupARNs/>' +
      text('HealthCheckType', 'EC2') + el('HealthCheckGracePeriod', 300) + list('Instances', instances) +
      text('CreatedTime', '2026-11-01T08:00:00.000Z') + '<SuspendedProcesses/>' + text('VPCZoneIdentifier', 'subnet-0a1b2c3d,subnet-4e5f6a7b') +
      '<EnabledMetrics/><Tags/>' + list('TerminationPolicies', ['Default']) + el('NewInstancesProtectedFromScaleIn', false) +
      text('ServiceLinkedRoleARN', `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`) +
      el('CapacityRebalance', false)
    );
  }

  private setDesired(p: Record<string, string>, ok: (r: undefined) => void, error: (s: number, c: string, m: string) => void): void {
    const g = this.groups.get(p.AutoScalingGroupName ?? '');
    if (!g) return error(400, 'ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${p.AutoScalingGroupName ?? ''}' not found`);
    const n = Number(p.DesiredCapacity);
    if (!Number.isInteger(n)) return error(400, 'ValidationError', "1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null");
    if (n > g.max) return error(400, 'ValidationError', `New SetDesiredCapacity value ${n} is above max value ${g.max} for the AutoScalingGroup.`);
    if (n < g.min) return error(400, 'ValidationError', `New SetDesiredCapacity value ${n} is below min value ${g.min} for the AutoScalingGroup.`);
    if (n > g.desired) {
      this.activity(g, `Launching ${n - g.desired} new EC2 instance(s)`, `At ${new Date().toISOString()} a user request explicitly set group desired capacity changing the desired capacity from ${g.desired} to ${n}.`);
      this.launch(g, n - g.desired);
    } else if (n < g.desired) this.shrink(g, g.desired - n);
    ok(undefined);
  }

  private terminateOne(p: Record<string, string>, ok: (r: string) => void, error: (s: number, c: string, m: string) => void): void {
    const id = p.InstanceId ?? '';
    const g = [...this.groups.values()].find((x) => x.instances.some((i) => i.id === id));
    if (!g) return error(400, 'ValidationError', `Instance Id not found - No managed instance found for instance ID: ${id}`);
    const decrement = p.ShouldDecrementDesiredCapacity === 'true';
    if (p.ShouldDecrementDesiredCapacity === undefined) return error(400, 'ValidationError', "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null");
    if (decrement && g.desired - 1 < g.min) {
      return error(400, 'ValidationError', `Currently, desiredSize equals minSize (${g.min}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`);
    }
    const inst = g.instances.find((i) => i.id === id)!;
    const from = g.desired;
    this.terminate(g, inst);
    g.desired -= 1;
    if (!decrement) this.launch(g, 1); // replaced, as AWS does
    const a = this.activity(g, `Terminating EC2 instance: ${id}`, `At ${new Date().toISOString()} instance ${id} was taken out of service in response to a user request${decrement ? `, shrinking the capacity from ${from} to ${g.desired}` : ''}.`);
    ok(el('Activity', activityXml(a)));
  }

  private describeActivities(p: Record<string, string>, ok: (r: string) => void): void {
    const name = p.AutoScalingGroupName;
    const acts = this.activities.filter((a) => !name || a.AutoScalingGroupName === name).reverse();
    ok(list('Activities', acts.map(activityXml)));
  }
}

function activityXml(a: TestActivity): string {
  return text('ActivityId', a.ActivityId) + text('AutoScalingGroupName', a.AutoScalingGroupName) + text('Description', a.Description) + text('Cause', a.Cause) + text('StartTime', a.StartTime) + text('StatusCode', a.StatusCode) + el('Progress', a.Progress) + text('Details', '{"Subnet ID":"subnet-0a1b2c3d","Availability Zone":"us-east-1a"}');
}

/** `Name.member.1`, `Name.member.2`, … in order. */
function members(p: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; p[`${name}.member.${i}`] !== undefined; i++) out.push(p[`${name}.member.${i}`]!);
  return out;
}
