/**
 * The shared suite on PostgreSQL (QM_TEST_POSTGRES_URL). Skipped without a server on a
 * developer machine; in CI a missing server fails, so the backend is never silently untested.
 */
import { describe, expect, test } from 'vitest';
import { QmError } from '../../src/model/errors.js';
import { openStateStore } from '../../src/state/index.js';
import { postgresHarness } from './harness.js';
import { describeStore } from './store-suite.js';

const url = process.env.QM_TEST_POSTGRES_URL;

if (process.env.CI) {
  test('CI provides a PostgreSQL server for the state store suite (QM_TEST_POSTGRES_URL)', () => {
    expect(url, 'set QM_TEST_POSTGRES_URL (.ci/run starts a server and sets it)').toMatch(/^postgres(ql)?:\/\//);
  });
}

// Without a server the suite is skipped outside CI only: under CI the test above fails instead.
if (url) describeStore('postgres', () => postgresHarness(url));

async function failure(location: string): Promise<{ err: QmError; ms: number }> {
  const started = Date.now();
  const err = await openStateStore(location, { connectTimeoutMs: 3000 }).then(
    async (s) => {
      await s.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QmError);
  return { err: err as QmError, ms: Date.now() - started };
}

describe('state store: postgres connection failures', () => {
  test('an unreachable server: a clear error naming host and port within seconds, never the password', async () => {
    const { err, ms } = await failure('postgres://qm:s3cret-pw@127.0.0.1:1/x');
    expect(err.code).toBe('state');
    expect(err.message).toMatch(/^cannot reach the PostgreSQL state store at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(err.hint).toMatch(/PostgreSQL is running .* 127\.0\.0\.1:1/);
    expect(`${err.message} ${err.hint}`).not.toContain('s3cret-pw');
    expect(ms).toBeLessThan(5000);
  });

  test('localhost refused on both address families still says why', async () => {
    const { err } = await failure('postgresql://qm@localhost:1/x');
    expect(err.message).toMatch(/^cannot reach the PostgreSQL state store at localhost:1: \S/);
  });

  test.skipIf(!url)('a database that does not exist', async () => {
    const u = new URL(url ?? '');
    u.pathname = '/qm_no_such_database';
    const { err } = await failure(u.toString());
    expect(err.message).toContain(`cannot reach the PostgreSQL state store at ${u.hostname}:${u.port || '5432'}`);
    expect(err.message).toContain('qm_no_such_database');
    expect(err.hint).toMatch(/createdb/);
  });
});
