#!/usr/bin/env node
// Runs the Kubernetes API test server (test/kubernetes/) as a process: compiles it with tsc into
// bench/out/k8s-server, then starts it with the given arguments (see test/kubernetes/standalone.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench/out/k8s-server');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--outDir', out, '--rootDir', root, '--module', 'nodenext',
  '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', join(root, 'test/kubernetes/standalone.ts')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
await import(join(out, 'test/kubernetes/standalone.js'));
