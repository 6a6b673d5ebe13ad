/** Choosing the store: --state, QM_STATE, the default file; schemes; what messages may show. */
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { QmError } from '../../src/model/errors.js';
import { openStateStore, redactUrl, resolveStateLocation } from '../../src/state/index.js';
import { parseStateLocation } from '../../src/state/location.js';
import { POSTGRES_MIGRATIONS } from '../../src/state/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/state/sqlite/migrations.js';

describe('resolveStateLocation', () => {
  const dir = path.resolve('/repo/policies');
  test.each([
    ['nothing given: <dir>/.qm/state.db', undefined, {}, path.join(dir, '.qm', 'state.db')],
    ['QM_STATE as a file, relative to the working directory', undefined, { QM_STATE: 'elsewhere/s.db' }, path.resolve('elsewhere/s.db')],
    ['QM_STATE as a URL, unchanged', undefined, { QM_STATE: 'postgres://qm@db:5432/qm' }, 'postgres://qm@db:5432/qm'],
    ['--state wins over QM_STATE', '/tmp/flag.db', { QM_STATE: 'postgres://qm@db/qm' }, path.resolve('/tmp/flag.db')],
    ['--state as a postgresql:// URL', 'postgresql://qm@db/qm', {}, 'postgresql://qm@db/qm'],
    ['empty values count as unset', '', { QM_STATE: ' ' }, path.join(dir, '.qm', 'state.db')],
  ])('%s', (_what, flag, env, expected) => {
    expect(resolveStateLocation(dir, flag, env)).toBe(expected);
  });
});

describe('parseStateLocation', () => {
  test.each([
    ['/var/qm/state.db', { kind: 'sqlite', file: '/var/qm/state.db' }],
    ['file:///var/qm/state.db', { kind: 'sqlite', file: '/var/qm/state.db' }],
    ['postgres://qm@db/qm', { kind: 'postgres', url: 'postgres://qm@db/qm' }],
    ['POSTGRESQL://qm@db/qm', { kind: 'postgres', url: 'POSTGRESQL://qm@db/qm' }],
  ])('%s', (location, expected) => {
    expect(parseStateLocation(location)).toEqual(expected);
  });

  test('an unknown scheme is a usage error that hides the password', async () => {
    const err = await openStateStore('mysql://qm:hunter2@db/qm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmError);
    expect((err as QmError).code).toBe('usage');
    expect((err as QmError).message).toBe('the state location mysql://qm:***@db/qm uses the scheme "mysql", which Quartermaster cannot store state in');
  });
});

test('redactUrl hides passwords in the userinfo and the query', () => {
  expect(redactUrl('postgres://qm:s3cret@db:5432/qm?sslmode=require&password=x')).toBe('postgres://qm:***@db:5432/qm?sslmode=require&password=***');
  expect(redactUrl('postgres://qm@db/qm')).toBe('postgres://qm@db/qm');
});

test('both backends have the same migrations, versions 1…n in order', () => {
  const shape = (ms: typeof SQLITE_MIGRATIONS) => ms.map((m) => `${m.version} ${m.name}`);
  expect(shape(POSTGRES_MIGRATIONS)).toEqual(shape(SQLITE_MIGRATIONS));
  expect(SQLITE_MIGRATIONS.map((m) => m.version)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
});
