/**
 * The container operations behind plan actions, on one engine, each idempotent: ensure an
 * instance runs on a node (create + start, or nothing when it already runs), wait until it is
 * running, and stop + remove an instance's container on a node. Containers are found by their
 * labels (instance and node), never by name alone, so unmanaged containers are never touched.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineClient } from './engine-client.js';
import { EngineError } from './engine-client.js';
import { isLive, LABEL } from './container-spec.js';

export interface Ensured {
  id: string;
  name: string;
  /** False when the instance already ran there (an idempotent re-run). */
  started: boolean;
}

const notFound = (e: unknown) => e instanceof EngineError && e.status === 404;

/** Make sure `instance` runs on `node` of this engine, creating and starting its container when needed. */
export async function ensureRunning(c: EngineClient, instance: string, node: string, config: Record<string, unknown>): Promise<Ensured> {
  const mine = await c.list([`${LABEL.instance}=${instance}`]);
  const here = mine.filter((x) => x.Labels[LABEL.node] === node);
  const live = here.find((x) => isLive(x.State));
  if (live) return { id: live.Id, name: live.Names[0]?.replace(/^\//, '') ?? instance, started: false };
  // A leftover of an interrupted action (created, or stopped but not removed): start afresh from the current config.
  for (const x of here) await c.remove(x.Id).catch((e: unknown) => { if (!notFound(e)) throw e; });
  // Two nodes may share one engine: a move between them needs a second name until the old container is gone.
  const taken = mine.some((x) => x.Labels[LABEL.node] !== node && x.Names.includes(`/${instance}`));
  const name = taken ? `${instance}.${node}` : instance;
  let id: string;
  try {
    id = await c.create(name, config);
  } catch (e) {
    if (e instanceof EngineError && e.status === 404 && /no such image/i.test(e.message)) {
      const image = String(config.Image);
      try {
        await c.pull(image);
      } catch (p) {
        throw new EngineError(`image ${image} is not on this engine and pulling it failed (${(p as Error).message}); load it there first (docker -H ${c.endpoint.address} load, or docker import)`, (p as EngineError).status ?? 500);
      }
      id = await c.create(name, config);
    } else if (e instanceof EngineError && e.status === 409) {
      throw new EngineError(`a container named ${name} that Quartermaster does not manage already exists; rename or remove it (docker -H ${c.endpoint.address} rename ${name} ${name}-old)`, 409);
    } else throw e;
  }
  await c.start(id);
  return { id, name, started: true };
}

/** Exit codes of a container stopped by a signal from outside (SIGTERM 143, SIGKILL 137), as when its engine shuts down. */
const SIGNALLED = new Set([143, 137]);

/**
 * Before blaming a container that stopped, ask whether its engine is still there: a dockerd that is
 * shutting down stops its containers (exit code 143) and then stops answering. Returns why the engine
 * is gone, or undefined when it answers. A signalled container gets a few tries, as the engine may
 * still answer for a moment while it shuts down.
 */
export async function engineGone(c: EngineClient, exitCode: number | undefined, tries = exitCode !== undefined && SIGNALLED.has(exitCode) ? 4 : 1, pauseMs = 250): Promise<string | undefined> {
  for (let i = 0; i < tries; i++) {
    if (i > 0) await sleep(pauseMs);
    try {
      await c.info(2000);
    } catch (e) {
      if (e instanceof EngineError && !e.unreachable) return undefined;
      return (e as Error).message;
    }
  }
  return undefined;
}

/** The failure of a new container that stopped: the engine's, when it went away, else the container's. */
async function stopped(c: EngineClient, exitCode: number | undefined, message: string): Promise<EngineError> {
  const gone = await engineGone(c, exitCode);
  if (gone === undefined) return new EngineError(message, 500);
  // No status: the engine did not answer, so the driver reports it unreachable and names the host.
  return new EngineError(`the docker engine ${c.endpoint.address} went away while the new container was starting (the container stopped${exitCode !== undefined ? ` with exit code ${exitCode}` : ''}, as when the engine shuts down), and it no longer answers: ${gone}`);
}

/** How long a new container must keep running, unrestarted, before a move removes the old one. */
const SETTLE_MS = 300;

/**
 * Wait until a container runs (and, if it has a health check, is healthy) and keeps running for a
 * moment without restarting; fail fast when it exits or crash-loops (its restart policy would
 * otherwise make it look running between crashes).
 */
export async function waitRunning(c: EngineClient, id: string, timeoutSeconds: number): Promise<void> {
  const deadline = performance.now() + timeoutSeconds * 1000;
  let up: { startedAt: string; restarts: number } | undefined;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    const d = await c.inspect(id);
    const s = d.State;
    if (up && (s.StartedAt !== up.startedAt || d.RestartCount !== up.restarts || !s.Running)) {
      // Once restarted it runs again and reports exit code 0: only a stopped one has its last code.
      const last = s.Running ? '' : `, last exit code ${s.ExitCode}${s.Error ? ` (${s.Error})` : ''}`;
      throw await stopped(c, s.Running ? undefined : s.ExitCode, `the new container keeps stopping (restarted ${d.RestartCount} time${d.RestartCount === 1 ? '' : 's'}${last})`);
    }
    if (up) return;
    if (s.Running && !s.Restarting && (!s.Health || s.Health.Status === 'healthy')) {
      up = { startedAt: s.StartedAt, restarts: d.RestartCount };
      await sleep(SETTLE_MS);
      continue;
    }
    if (s.Status === 'exited' || s.Status === 'dead' || d.RestartCount > 0) throw await stopped(c, s.ExitCode, `the new container exited with code ${s.ExitCode}${s.Error ? ` (${s.Error})` : ''}`);
    if (performance.now() > deadline) throw new EngineError(`the new container is not ${s.Health ? 'healthy' : 'running'} after ${timeoutSeconds}s (state ${s.Status}${s.Health ? `, health ${s.Health.Status}` : ''})`, 500);
    await sleep(delay);
  }
}

/** Stop (with a grace period) and remove the containers of `instance` on `node`; none is fine. Returns how many went. */
export async function stopAndRemove(c: EngineClient, instance: string, node: string, graceSeconds: number): Promise<number> {
  const here = (await c.list([`${LABEL.instance}=${instance}`])).filter((x) => x.Labels[LABEL.node] === node);
  for (const x of here) {
    if (isLive(x.State)) await c.stop(x.Id, graceSeconds).catch((e: unknown) => { if (!notFound(e)) throw e; });
    await c.remove(x.Id).catch((e: unknown) => {
      // 409: the engine is already removing it.
      if (!notFound(e) && !(e instanceof EngineError && e.status === 409)) throw e;
    });
  }
  return here.length;
}

/** After a same-engine move, give the new container the instance's own name again (best effort). */
export async function restoreName(c: EngineClient, ensured: Ensured, instance: string): Promise<void> {
  if (ensured.name === instance) return;
  await c.rename(ensured.id, instance).catch(() => undefined);
}
