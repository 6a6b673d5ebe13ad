/**
 * A local GitHub: an HTTP server on 127.0.0.1 answering the REST endpoints `qm pr` calls, with
 * answers built from GitHub's own examples (test/fixtures/github/rest-openapi-examples.json) and
 * the real webhook payloads, and the validation GitHub does (50 annotations per call, 65,536
 * characters per comment, a full commit SHA as a check run's head_sha, a token on every request). Faults can be injected: a 5xx, a primary or
 * a secondary rate limit, for the next n matching requests.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'github');

type Json = Record<string, unknown>;
const examples = (JSON.parse(readFileSync(path.join(FIXTURES, 'rest-openapi-examples.json'), 'utf8')) as { operations: Record<string, { responses: Record<string, { examples?: Record<string, unknown> }> }> }).operations;

/** GitHub's example response of an operation (a deep copy to modify). */
export function example(op: string, status = '200', name = 'default'): Json {
  const ex = examples[op]?.responses[status]?.examples;
  const v = ex?.[name] ?? Object.values(ex ?? {})[0];
  if (v === undefined) throw new Error(`no example for ${op} ${status}`);
  const copy = JSON.parse(JSON.stringify(v)) as unknown;
  return (Array.isArray(copy) ? copy[0] : copy) as Json;
}

/** A real webhook payload (a deep copy to modify). */
export function payload(event: string, action: string): Json {
  return JSON.parse(readFileSync(path.join(FIXTURES, 'webhook-payloads', event, `${action}.payload.json`), 'utf8')) as Json;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Json | undefined;
  authorization: string | undefined;
  status: number;
}

export type FaultKind = '502' | 'rate-limit' | 'secondary-rate-limit';

export interface PullSpec {
  number: number;
  headSha: string;
  baseSha: string;
  baseRef?: string;
  headRef?: string;
  author?: string;
  fork?: boolean;
  mergeable?: boolean | null;
  state?: 'open' | 'closed';
  draft?: boolean;
}

export interface StoredComment extends Json {
  id: number;
  issue: number;
  body: string;
}

export interface StoredCheck extends Json {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  output: { title?: string; summary?: string; annotations: Json[] };
}

export interface FakeGithub {
  url: string;
  owner: string;
  repo: string;
  token: string;
  requests: RecordedRequest[];
  pulls: Map<number, Json>;
  reviews: Map<number, Json[]>;
  comments: StoredComment[];
  checks: StoredCheck[];
  issues: Json[];
  permissions: Map<string, string>;
  addPull(p: PullSpec): void;
  setHead(pr: number, sha: string): void;
  review(pr: number, login: string, state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED', at?: string): void;
  /** The next `times` requests matching method and path answer with the fault. */
  fail(kind: FaultKind, match: { method?: string; path: RegExp }, times?: number): void;
  commentsOn(pr: number): StoredComment[];
  close(): Promise<void>;
}

const user = (login: string, type = 'User'): Json => ({ ...(example('pulls/get').user as Json), login, type });

export async function startFakeGithub(opts: { owner?: string; repo?: string; token?: string } = {}): Promise<FakeGithub> {
  const owner = opts.owner ?? 'acme';
  const repo = opts.repo ?? 'fleet';
  const token = opts.token ?? 'ghs_testtoken0123456789abcdefABCDEF0123';
  const full = `${owner}/${repo}`;
  const faults: { kind: FaultKind; method?: string; path: RegExp; left: number }[] = [];
  let nextId = 1000;
  let issueNumber = 500;
  const gh: Omit<FakeGithub, 'url' | 'close'> = {
    owner,
    repo,
    token,
    requests: [],
    pulls: new Map(),
    reviews: new Map(),
    comments: [],
    checks: [],
    issues: [],
    permissions: new Map(),
    addPull(p) {
      const pr = example('pulls/get');
      const repoObj = (name: string) => ({ ...((pr.base as Json).repo as Json), full_name: name, name: name.split('/')[1], owner: user(name.split('/')[0]!, 'Organization') });
      Object.assign(pr, {
        number: p.number,
        state: p.state ?? 'open',
        locked: false,
        merged: false,
        draft: p.draft ?? false,
        mergeable: p.mergeable === undefined ? true : p.mergeable,
        mergeable_state: p.mergeable === false ? 'dirty' : 'clean',
        user: user(p.author ?? 'alice'),
        head: { ...(pr.head as Json), ref: p.headRef ?? `feature-${p.number}`, sha: p.headSha, repo: repoObj(p.fork ? `mallory/${repo}` : full) },
        base: { ...(pr.base as Json), ref: p.baseRef ?? 'main', sha: p.baseSha, repo: repoObj(full) },
      });
      gh.pulls.set(p.number, pr);
      gh.reviews.set(p.number, []);
    },
    setHead(n, sha) {
      (gh.pulls.get(n)!.head as Json).sha = sha;
    },
    review(n, login, state, at) {
      const r = example('pulls/list-reviews');
      const list = gh.reviews.get(n)!;
      Object.assign(r, { id: nextId++, user: user(login), state, submitted_at: at ?? new Date(Date.UTC(2026, 10, 28, 9, 0, list.length)).toISOString(), commit_id: (gh.pulls.get(n)!.head as Json).sha });
      list.push(r);
    },
    fail(kind, match, times = 1) {
      faults.push({ kind, ...(match.method ? { method: match.method } : {}), path: match.path, left: times });
    },
    commentsOn(n) {
      return gh.comments.filter((c) => c.issue === n);
    },
  };

  let base = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Json | undefined;
      try {
        body = text ? (JSON.parse(text) as Json) : undefined;
      } catch {
        body = undefined;
      }
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body, authorization: req.headers.authorization, status: 0 };
      gh.requests.push(rec);
      const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
        rec.status = status;
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3', ...headers });
        res.end(data === undefined ? '' : JSON.stringify(data));
      };
      const fault = faults.find((f) => f.left > 0 && (!f.method || f.method === rec.method) && f.path.test(rec.path));
      if (fault) {
        fault.left--;
        if (fault.kind === '502') return send(502, { message: 'Server Error' });
        if (fault.kind === 'rate-limit')
          return send(403, { message: 'API rate limit exceeded for installation ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1), 'x-ratelimit-resource': 'core' });
        return send(403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' }, { 'retry-after': '1' });
      }
      const auth = req.headers.authorization ?? '';
      if (auth !== `token ${token}` && auth !== `bearer ${token}` && auth !== `Bearer ${token}`) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      const prefix = `/repos/${owner}/${repo}`;
      if (!rec.path.startsWith(prefix + '/')) return send(404, { message: 'Not Found' });
      const p = rec.path.slice(prefix.length);
      const list = (items: unknown[]) => {
        const per = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
        const page = Number(url.searchParams.get('page') ?? 1);
        const slice = items.slice((page - 1) * per, page * per);
        const headers: Record<string, string> = {};
        if (page * per < items.length) {
          const next = new URL(url.toString());
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${base}${next.pathname}${next.search}>; rel="next"`;
        }
        return send(200, slice, headers);
      };
      let m: RegExpExecArray | null;
      const tooLong = (s: unknown) => typeof s === 'string' && s.length > 65536;
      const invalid = (resource: string, message: string) => send(422, { message: 'Validation Failed', errors: [{ resource, code: 'custom', field: 'body', message }], documentation_url: 'https://docs.github.com/rest' });

      if ((m = /^\/pulls\/(\d+)$/.exec(p)) && rec.method === 'GET') {
        const pr = gh.pulls.get(Number(m[1]));
        return pr ? send(200, pr) : send(404, { message: 'Not Found' });
      }
      if ((m = /^\/pulls\/(\d+)\/reviews$/.exec(p)) && rec.method === 'GET') return list(gh.reviews.get(Number(m[1])) ?? []);
      if ((m = /^\/collaborators\/([^/]+)\/permission$/.exec(p)) && rec.method === 'GET') {
        const login = decodeURIComponent(m[1]!);
        const perm = gh.permissions.get(login) ?? 'read';
        const legacy = perm === 'maintain' ? 'write' : perm === 'triage' ? 'read' : perm;
        return send(200, { permission: legacy, role_name: perm, user: { ...user(login), permissions: { admin: perm === 'admin', maintain: perm === 'maintain' || perm === 'admin', push: legacy === 'write' || legacy === 'admin', triage: perm !== 'read' && perm !== 'none', pull: perm !== 'none' } } });
      }
      if ((m = /^\/issues\/(\d+)\/comments$/.exec(p))) {
        const n = Number(m[1]);
        if (rec.method === 'GET') return list(gh.commentsOn(n));
        if (rec.method === 'POST') {
          if (typeof body?.body !== 'string') return invalid('IssueComment', 'body is missing');
          if (tooLong(body.body)) return invalid('IssueComment', 'body is too long (maximum is 65536 characters)');
          const c = example('issues/create-comment', '201') as StoredComment;
          Object.assign(c, { id: nextId++, issue: n, body: body.body, user: user('github-actions[bot]', 'Bot'), html_url: `https://github.com/${full}/pull/${n}#issuecomment-${nextId - 1}` });
          gh.comments.push(c);
          return send(201, c);
        }
      }
      if ((m = /^\/issues\/comments\/(\d+)$/.exec(p)) && rec.method === 'PATCH') {
        const c = gh.comments.find((x) => x.id === Number(m![1]));
        if (!c) return send(404, { message: 'Not Found' });
        if (tooLong(body?.body)) return invalid('IssueComment', 'body is too long (maximum is 65536 characters)');
        c.body = String(body?.body ?? c.body);
        c.updated_at = new Date().toISOString();
        return send(200, c);
      }
      if (p === '/check-runs' && rec.method === 'POST') {
        if (!body?.name || !body.head_sha) return send(422, { message: 'Invalid request.\n\n"name" and "head_sha" are required' });
        // GitHub looks the commit up: a branch name or a short SHA is no commit.
        if (!/^[0-9a-f]{40}$/.test(String(body.head_sha))) return send(422, { message: `No commit found for SHA: ${String(body.head_sha)}`, documentation_url: 'https://docs.github.com/rest/checks/runs#create-a-check-run' });
        const anns = ((body.output as Json | undefined)?.annotations as Json[] | undefined) ?? [];
        if (anns.length > 50) return send(422, { message: 'Only 50 annotations may be sent per request' });
        const c = example('checks/create', '201') as StoredCheck;
        Object.assign(c, { id: nextId++, name: body.name, head_sha: body.head_sha, status: body.status ?? 'queued', conclusion: body.conclusion ?? null, output: { ...(body.output as Json | undefined), annotations: anns } });
        gh.checks.push(c);
        return send(201, c);
      }
      if ((m = /^\/check-runs\/(\d+)$/.exec(p)) && rec.method === 'PATCH') {
        const c = gh.checks.find((x) => x.id === Number(m![1]));
        if (!c) return send(404, { message: 'Not Found' });
        const out = body?.output as Json | undefined;
        const anns = (out?.annotations as Json[] | undefined) ?? [];
        if (anns.length > 50) return send(422, { message: 'Only 50 annotations may be sent per request' });
        if (body?.status) c.status = String(body.status);
        if (body?.conclusion) {
          c.conclusion = String(body.conclusion);
          c.status = 'completed';
        }
        if (out) c.output = { ...c.output, ...out, annotations: [...c.output.annotations, ...anns] };
        return send(200, c);
      }
      if (p === '/issues' && rec.method === 'GET') {
        const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
        const state = url.searchParams.get('state') ?? 'open';
        return list(gh.issues.filter((i) => (state === 'all' || i.state === state) && labels.every((l) => (i.labels as Json[]).some((x) => x.name === l))));
      }
      if (p === '/issues' && rec.method === 'POST') {
        const issue = { ...(payload('issue_comment', 'created').issue as Json) };
        Object.assign(issue, { id: nextId++, number: ++issueNumber, title: body?.title, body: body?.body, state: 'open', labels: ((body?.labels as string[]) ?? []).map((name) => ({ name })), user: user('github-actions[bot]', 'Bot') });
        delete issue.pull_request;
        gh.issues.push(issue);
        return send(201, issue);
      }
      if ((m = /^\/issues\/(\d+)$/.exec(p)) && rec.method === 'PATCH') {
        const issue = gh.issues.find((i) => i.number === Number(m![1]));
        if (!issue) return send(404, { message: 'Not Found' });
        for (const k of ['title', 'body', 'state', 'state_reason'] as const) if (body?.[k] !== undefined) issue[k] = body[k];
        return send(200, issue);
      }
      return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { ...gh, url: base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) } as FakeGithub;
}
