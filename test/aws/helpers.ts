/**
 * Environment for pointing the real AWS SDK at the test server: static test credentials, the
 * endpoint through AWS_ENDPOINT_URL (as a user would), and no shared files or instance metadata.
 */
import { spawn } from 'node:child_process';
import { validateFiles } from '../../src/config/validate.js';
import { QM } from '../helpers/cli.js';
import type { PolicySet } from '../../src/model/documents.js';

export const TEST_ACCESS_KEY = 'AKIAQMTESTKEY0000001';
/** Must never appear in any output: tests grep for it. */
export const TEST_SECRET = 'qm-test-secret-4f1c9e0b7d2a-never-print';

export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: TEST_SECRET,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/qm-test-aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/qm-test-aws-credentials',
  };
}

/** Set these variables in this process; returns a function that restores the previous values. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  return () => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
}

/** A Driver `aws-east` (spec.aws as given) and a pool `gpu` placed by kubernetes and scaled by it. */
export function awsPolicy(aws = '{region: us-east-1, autoScalingGroup: "agents-{pool}", startTimeout: 2m}', size = '{min: 1, max: 6}'): PolicySet {
  const r = validateFiles([
    { path: 'drivers/aws.yaml', text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: aws-east}\nspec:\n  type: aws\n  aws: ${aws}\n` },
    {
      path: 'pools/gpu.yaml',
      text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: gpu}\nspec:\n  driver: kubernetes\n  provisioner: aws-east\n  region: us-east-1\n  zones: [us-east-1a, us-east-1b]\n  node: {capacity: {cpu: 8, memory: 32Gi}}\n  size: ${size}\n`,
    },
  ]);
  if (!r.policy) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
}

/** The qm binary, asynchronously: the test servers live in this process and must keep answering. */
export function qmAsync(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [QM, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
