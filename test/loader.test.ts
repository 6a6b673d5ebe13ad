import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeUtf8, loadRepository } from '../src/config/load.js';
import { validateFiles } from '../src/config/validate.js';
import { QmError } from '../src/model/errors.js';
import { agentYaml, POOL_YAML, tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';

let repos: TempRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.map((r) => r.cleanup()));
  repos = [];
});
async function repo(git = false): Promise<TempRepo> {
  const r = await tempRepo({ git });
  repos.push(r);
  return r;
}

describe('loader: working tree', () => {
  it('reads *.yaml and *.yml under pools/, policies/, agents/ recursively, sorted, and nothing else', async () => {
    const r = await repo();
    await r.write('pools/general.yaml', POOL_YAML);
    await r.write('agents/team-a/chat.yml', agentYaml('chat'));
    await r.write('agents/README.md', '# not yaml');
    await r.write('other/ignored.yaml', 'not: read');
    await r.write('policies/empty.yaml', '# only a comment\n');
    const res = await loadRepository(r.dir);
    expect(res.files.map((f) => f.path)).toEqual(['agents/team-a/chat.yml', 'policies/empty.yaml', 'pools/general.yaml']);
    expect(res.diagnostics).toEqual([]);
    expect(validateFiles(res.files).diagnostics).toEqual([]);
  });

  it('refuses an oversized file before parsing it', async () => {
    const r = await repo();
    await r.write('agents/huge.yaml', '# ' + 'x'.repeat(2000) + '\n');
    const res = await loadRepository(r.dir, { maxFileBytes: 1000 });
    expect(res.files).toEqual([]);
    expect(res.diagnostics).toMatchObject([{ code: 'FileTooLarge', file: 'agents/huge.yaml', line: 1, column: 1 }]);
  });

  it('refuses non-UTF-8 with the position of the first bad byte', async () => {
    const r = await repo();
    await r.write('agents/latin1.yaml', Buffer.concat([Buffer.from('a: 1\nb: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    const res = await loadRepository(r.dir);
    expect(res.diagnostics).toMatchObject([{ code: 'InvalidEncoding', file: 'agents/latin1.yaml', line: 2, column: 7 }]);
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const r = await repo();
    await r.write('pools/bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(POOL_YAML)]));
    const res = await loadRepository(r.dir);
    expect(res.diagnostics).toEqual([]);
    expect(validateFiles(res.files).diagnostics).toEqual([]);
  });

  it('follows symlinks inside the repository and refuses ones that leave it', async () => {
    const outside = await repo();
    await outside.write('secret.yaml', 'password: hunter2\n');
    const r = await repo();
    await r.write('shared/general.yaml', POOL_YAML);
    await r.write('pools/.keep', '');
    await symlink(path.join(r.dir, 'shared/general.yaml'), path.join(r.dir, 'pools/general.yaml'));
    await symlink(path.join(outside.dir, 'secret.yaml'), path.join(r.dir, 'pools/leak.yaml'));
    await symlink(outside.dir, path.join(r.dir, 'agents'));
    const res = await loadRepository(r.dir);
    expect(res.files.map((f) => f.path)).toEqual(['pools/general.yaml']);
    expect(res.diagnostics.map((d) => [d.code, d.file]).sort()).toEqual([
      ['SymlinkOutsideRepository', 'agents'],
      ['SymlinkOutsideRepository', 'pools/leak.yaml'],
    ]);
    expect(res.files.some((f) => f.text.includes('hunter2'))).toBe(false);
  });

  it('reports a missing directory as a usage error', async () => {
    await expect(loadRepository('/nonexistent/qm-policy')).rejects.toBeInstanceOf(QmError);
  });
});

describe('loader: --ref through Git objects', () => {
  it('reads files as they are at a revision, not the working tree, without checking out', async () => {
    const r = await repo(true);
    await r.write('pools/general.yaml', POOL_YAML);
    await r.write('agents/chat.yaml', agentYaml('chat'));
    const first = await r.commit('first');
    await r.write('agents/chat.yaml', agentYaml('chat', '  replicas: 3\n'));
    await r.write('agents/new.yaml', agentYaml('new'));
    await r.commit('second');
    await r.write('agents/uncommitted.yaml', 'broken: [\n');

    const atFirst = await loadRepository(r.dir, { ref: first });
    expect(atFirst.gitCommit).toBe(first);
    expect(atFirst.files.map((f) => f.path)).toEqual(['agents/chat.yaml', 'pools/general.yaml']);
    expect(atFirst.files[0]!.text).not.toContain('replicas');

    const atHead = await loadRepository(r.dir, { ref: 'HEAD' });
    expect(atHead.files.map((f) => f.path)).toEqual(['agents/chat.yaml', 'agents/new.yaml', 'pools/general.yaml']);
    expect(atHead.files[0]!.text).toContain('replicas: 3');
    expect(await r.git.revparse(['--abbrev-ref', 'HEAD'])).toBe('main');
    expect((await r.git.status()).not_added).toContain('agents/uncommitted.yaml');
  });

  it('works from a policy directory below the repository root', async () => {
    const r = await repo(true);
    await r.write('fleet/pools/general.yaml', POOL_YAML);
    await r.write('pools/other.yaml', 'ignored: true\n');
    await r.commit('nested');
    const res = await loadRepository(path.join(r.dir, 'fleet'), { ref: 'HEAD' });
    expect(res.files.map((f) => f.path)).toEqual(['pools/general.yaml']);
  });

  it('applies the same safety checks to Git blobs', async () => {
    const r = await repo(true);
    await r.write('agents/latin1.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]));
    await r.write('agents/big.yaml', '# ' + 'y'.repeat(3000) + '\n');
    await r.write('pools/general.yaml', POOL_YAML);
    await symlink('../../../etc/passwd', path.join(r.dir, 'pools/escape.yaml'));
    await symlink('general.yaml', path.join(r.dir, 'pools/alias.yaml'));
    await r.commit('unsafe');
    const res = await loadRepository(r.dir, { ref: 'HEAD', maxFileBytes: 2000 });
    expect(res.diagnostics.map((d) => [d.code, d.file]).sort()).toEqual([
      ['FileTooLarge', 'agents/big.yaml'],
      ['InvalidEncoding', 'agents/latin1.yaml'],
      ['SymlinkOutsideRepository', 'pools/escape.yaml'],
    ]);
    expect(res.files.map((f) => f.path)).toEqual(['pools/alias.yaml', 'pools/general.yaml']);
  });

  it('names an unknown revision clearly', async () => {
    const r = await repo(true);
    await r.write('pools/general.yaml', POOL_YAML);
    await r.commit('c');
    await expect(loadRepository(r.dir, { ref: 'no-such-branch' })).rejects.toThrow(/Git revision 'no-such-branch' does not exist/);
  });

  it('refuses --ref outside a Git repository', async () => {
    const r = await repo(false);
    await expect(loadRepository(r.dir, { ref: 'HEAD' })).rejects.toThrow(/needs a Git repository/);
  });
});

describe('decodeUtf8', () => {
  it('locates an invalid continuation byte', () => {
    expect(decodeUtf8(Buffer.from([0x61, 0x0a, 0x62, 0xc3, 0x28]))).toEqual({ ok: false, line: 2, column: 2 });
  });
  it('decodes multi-byte text', () => {
    expect(decodeUtf8(Buffer.from('zoné: ü\n'))).toEqual({ ok: true, text: 'zoné: ü\n' });
  });
});
