/**
 * Private addresses of instances through EC2 DescribeInstances, needed only to map Docker-placed
 * nodes by `{privateIp}`. @aws-sdk/client-ec2 is not a dependency of qm (the Auto Scaling API does
 * not return addresses): when it is installed next to qm it is loaded on first use, else the
 * lookup is absent and such nodes fail with a sentence saying how to map them instead.
 */
import type { PrivateIpLookup } from './mapping.js';

interface Ec2Module {
  EC2Client: new (config: Record<string, unknown>) => { send(cmd: unknown): Promise<unknown>; destroy(): void };
  DescribeInstancesCommand: new (input: Record<string, unknown>) => unknown;
}

interface DescribeInstancesOutput {
  Reservations?: { Instances?: { InstanceId?: string; PrivateIpAddress?: string }[] }[];
  NextToken?: string;
}

/** The lookup, or undefined when @aws-sdk/client-ec2 is not installed. */
export async function loadPrivateIpLookup(config: Record<string, unknown>): Promise<PrivateIpLookup | undefined> {
  const name = '@aws-sdk/client-ec2'; // a variable, so TypeScript does not require the package
  let mod: Ec2Module;
  try {
    mod = (await import(name)) as Ec2Module;
  } catch {
    return undefined;
  }
  return async (ids) => {
    const out = new Map<string, string>();
    if (!ids.length) return out;
    const client = new mod.EC2Client(config);
    try {
      let token: string | undefined;
      do {
        const res = (await client.send(new mod.DescribeInstancesCommand({ InstanceIds: [...ids], ...(token ? { NextToken: token } : {}) }))) as DescribeInstancesOutput;
        for (const r of res.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId && i.PrivateIpAddress) out.set(i.InstanceId, i.PrivateIpAddress);
        token = res.NextToken;
      } while (token);
    } finally {
      client.destroy();
    }
    return out;
  };
}
