/**
 * The Auto Scaling calls the provisioner makes, on the AWS SDK for JavaScript v3 (awsQuery over
 * HTTPS; `AWS_ENDPOINT_URL` and the credential chain are the SDK's). Failures come back as
 * AwsCallError with a kind the driver branches on, never on message text.
 */
import type { AutoScalingClient, AutoScalingClientConfig } from '@aws-sdk/client-auto-scaling';
import type * as AwsSdk from '@aws-sdk/client-auto-scaling';

/** The SDK, loaded on the first call: importing it costs ~0.2 s, which commands that never reach AWS should not pay. */
type Sdk = typeof AwsSdk;
let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdk ??= import('@aws-sdk/client-auto-scaling'));

export interface GroupInstance {
  id: string;
  zone: string;
  /** Pending, InService, Terminating, Terminated, … (LifecycleState). */
  lifecycle: string;
  health: string;
}

export interface Group {
  name: string;
  min: number;
  max: number;
  desired: number;
  zones: string[];
  instances: GroupInstance[];
}

export type AwsFailureKind = 'validation' | 'in-progress' | 'throttled' | 'denied' | 'credentials' | 'unreachable' | 'other';

export class AwsCallError extends Error {
  constructor(
    readonly kind: AwsFailureKind,
    /** The AWS error code (ValidationError, ScalingActivityInProgress, …) or the SDK's error name. */
    readonly awsCode: string,
    /** The API action (SetDesiredCapacity, …). */
    readonly operation: string,
    message: string,
  ) {
    super(message);
    this.name = 'AwsCallError';
  }
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'TimeoutError']);

/** Classify what the SDK threw. The message is AWS's own (it never carries credentials). */
export function classify(e: unknown, operation: string): AwsCallError {
  const err = e as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.Code ?? (err.name && err.name !== 'Error' ? err.name : undefined) ?? err.code ?? 'Error';
  const message = (err.message ?? String(e)).replace(/\s+/g, ' ').trim();
  const status = err.$metadata?.httpStatusCode;
  let kind: AwsFailureKind = 'other';
  if (code === 'ValidationError') kind = 'validation';
  else if (code === 'ScalingActivityInProgress' || code === 'ScalingActivityInProgressFault') kind = 'in-progress';
  else if (THROTTLED.has(code)) kind = 'throttled';
  else if (DENIED.has(code) || status === 403) kind = 'denied';
  else if (code === 'CredentialsProviderError') kind = 'credentials';
  else if (NETWORK.has(code) || NETWORK.has(err.code ?? '')) kind = 'unreachable';
  return new AwsCallError(kind, code, operation, message);
}

/** One client per region (and profile): the calls the provisioner needs. */
export class AutoScalingApi {
  private client: Promise<{ client: AutoScalingClient; sdk: Sdk }> | undefined;

  constructor(private readonly config: AutoScalingClientConfig) {
    // The SDK warns on every run under Node < 22 about its releases after January 2027; qm
    // supports Node 20 with the SDK it ships, so the warning is noise on qm's stderr. A user's
    // explicit setting wins.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  }

  private connect(): Promise<{ client: AutoScalingClient; sdk: Sdk }> {
    return (this.client ??= loadSdk().then((s) => ({ client: new s.AutoScalingClient(this.config), sdk: s })));
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw classify(e, operation);
    }
  }

  /** The named groups that exist (absent names are simply missing from the map), in batches of 50, following NextToken. */
  async describeGroups(names: readonly string[], signal?: AbortSignal): Promise<Map<string, Group>> {
    const out = new Map<string, Group>();
    for (let i = 0; i < names.length; i += 50) {
      const batch = names.slice(i, i + 50);
      let token: string | undefined;
      do {
        const res = await this.call('DescribeAutoScalingGroups', () =>
          this.connect().then(({ client, sdk: s }) => client.send(new s.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [...batch], MaxRecords: 50, ...(token ? { NextToken: token } : {}) }), signal ? { abortSignal: signal } : {})),
        );
        for (const g of res.AutoScalingGroups ?? []) {
          if (!g.AutoScalingGroupName) continue;
          out.set(g.AutoScalingGroupName, {
            name: g.AutoScalingGroupName,
            min: g.MinSize ?? 0,
            max: g.MaxSize ?? 0,
            desired: g.DesiredCapacity ?? 0,
            zones: [...(g.AvailabilityZones ?? [])],
            instances: (g.Instances ?? []).map((x) => ({ id: x.InstanceId ?? '', zone: x.AvailabilityZone ?? '', lifecycle: x.LifecycleState ?? '', health: x.HealthStatus ?? '' })),
          });
        }
        token = res.NextToken;
      } while (token);
    }
    return out;
  }

  /** Ask for `desired` instances now, regardless of the group's cooldown (qm has its own). */
  async setDesiredCapacity(group: string, desired: number, signal?: AbortSignal): Promise<void> {
    await this.call('SetDesiredCapacity', () =>
      this.connect().then(({ client, sdk: s }) => client.send(new s.SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: desired, HonorCooldown: false }), signal ? { abortSignal: signal } : {})),
    );
  }

  /** Terminate one instance and lower the group's desired capacity with it (so it is not replaced). */
  async terminateInstance(instanceId: string, signal?: AbortSignal): Promise<{ activityId?: string | undefined; description?: string | undefined }> {
    const res = await this.call('TerminateInstanceInAutoScalingGroup', () =>
      this.connect().then(({ client, sdk: s }) => client.send(new s.TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: true }), signal ? { abortSignal: signal } : {})),
    );
    return { activityId: res.Activity?.ActivityId, description: res.Activity?.Description };
  }

  close(): void {
    void this.client?.then(({ client }) => client.destroy(), () => undefined);
  }
}
