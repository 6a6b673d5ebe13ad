/**
 * The EC2 call the aws provisioner makes: DescribeInstances, for the private addresses of a group's
 * instances (the Auto Scaling API returns ids and zones only), which `{privateIp}` in
 * spec.aws.address needs — Docker-placed pools. The SDK speaks the ec2 query protocol;
 * `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_EC2`) and the credential chain are the SDK's, as for
 * the Auto Scaling client. Failures come back as AwsCallError (client.ts).
 */
import type { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import type * as Ec2Sdk from '@aws-sdk/client-ec2';
import { withRetry } from '../retry.js';
import { AwsCallError, classify } from './client.js';

/** The SDK, loaded on the first call: it is large (seconds to import on a busy machine), and only Docker pools need it. */
type Sdk = typeof Ec2Sdk;
let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdk ??= import('@aws-sdk/client-ec2'));

export interface Ec2Instance {
  id: string;
  /** Absent while EC2 has not given the instance an address yet (pending). */
  privateIp?: string;
  zone: string;
  /** pending, running, shutting-down, terminated, stopping, stopped. */
  state: string;
}

/** Throttling that outlived the SDK's own retries: retried again with backoff (src/drivers/retry.ts). */
export interface ThrottleBackoff {
  attempts: number;
  baseMs: number;
  maxMs: number;
}
export const DEFAULT_THROTTLE_BACKOFF: ThrottleBackoff = { attempts: 4, baseMs: 1000, maxMs: 10_000 };

/**
 * Instance ids per request: DescribeInstances takes at most 200 values per filter, and a filter
 * (not InstanceIds) so that an id EC2 does not know yet (eventual consistency right after a launch)
 * or any more is simply absent rather than failing the whole call with InvalidInstanceID.NotFound.
 */
export const ID_BATCH = 200;
/** Results per page (5–1000); pages are followed through NextToken. */
export const PAGE_SIZE = 200;

/** One EC2 client per region (and profile). */
export class Ec2Api {
  private client: Promise<{ client: EC2Client; sdk: Sdk }> | undefined;

  constructor(
    private readonly config: EC2ClientConfig,
    private readonly backoff: ThrottleBackoff = DEFAULT_THROTTLE_BACKOFF,
  ) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  }

  private connect(): Promise<{ client: EC2Client; sdk: Sdk }> {
    return (this.client ??= loadSdk().then((s) => ({ client: new s.EC2Client(this.config), sdk: s })));
  }

  /** The instances among `ids` that EC2 knows, by id; in batches, following NextToken, throttling retried. */
  async describeInstances(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, Ec2Instance>> {
    const out = new Map<string, Ec2Instance>();
    const unique = [...new Set(ids)].sort();
    for (let i = 0; i < unique.length; i += ID_BATCH) {
      const batch = unique.slice(i, i + ID_BATCH);
      let token: string | undefined;
      do {
        const input = { Filters: [{ Name: 'instance-id', Values: batch }], MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) };
        const res = await withRetry(
          async () => {
            try {
              const { client, sdk: s } = await this.connect();
              return await client.send(new s.DescribeInstancesCommand(input), signal ? { abortSignal: signal } : {});
            } catch (e) {
              throw classify(e, 'DescribeInstances');
            }
          },
          { ...this.backoff, classify: (e) => ({ retry: e instanceof AwsCallError && e.kind === 'throttled' }), signal },
        );
        for (const r of res.Reservations ?? []) {
          for (const x of r.Instances ?? []) {
            if (!x.InstanceId) continue;
            out.set(x.InstanceId, { id: x.InstanceId, zone: x.Placement?.AvailabilityZone ?? '', state: x.State?.Name ?? '', ...(x.PrivateIpAddress ? { privateIp: x.PrivateIpAddress } : {}) });
          }
        }
        token = res.NextToken || undefined;
      } while (token);
    }
    return out;
  }

  close(): void {
    void this.client?.then(({ client }) => client.destroy(), () => undefined);
  }
}
