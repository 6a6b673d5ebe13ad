/**
 * The GitHub REST calls the pull-request workflow makes, as one small facade over Octokit: the
 * flows depend on these methods, not on Octokit, and every failure becomes one redacted sentence.
 */
import { RequestError } from 'octokit';
import { QmError } from '../model/errors.js';
import type { CheckAnnotation } from './annotations.js';
import { noAnswer } from './client.js';
import type { GithubClient } from './client.js';
import type { GatePull, GateReview } from './gate.js';
import { redact } from './redact.js';

export interface PullInfo extends GatePull {
  title?: string;
  html_url?: string;
  base: { ref: string; sha: string; repo: { full_name: string } };
  head: { ref: string; sha: string; repo: { full_name: string } | null };
}

export interface CommentInfo {
  id: number;
  body?: string | undefined;
  html_url?: string | undefined;
  user?: { login: string } | null | undefined;
}

export interface IssueInfo {
  number: number;
  state: string;
  title: string;
  body?: string | null | undefined;
  html_url?: string | undefined;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: CheckAnnotation[];
}

export type CheckConclusion = 'success' | 'neutral' | 'failure';

/** The repository the calls are about, and the token to redact from every message. */
export class GithubApi {
  constructor(
    private readonly octokit: GithubClient,
    readonly owner: string,
    readonly repo: string,
    private readonly token: string,
  ) {}

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.wrap(what, e);
    }
  }

  /** The API's address (GITHUB_API_URL), for messages. */
  get apiUrl(): string {
    return String(this.octokit.request.endpoint.DEFAULTS.baseUrl);
  }

  private wrap(what: string, e: unknown): QmError {
    const none = noAnswer(e);
    if (none) {
      // Not an HTTP 500: nothing answered. Say where, and what to check.
      const url = this.apiUrl;
      return new QmError(
        'io',
        redact(`GitHub API: ${what} in ${this.fullName} failed: ${none.connect ? 'cannot connect to' : 'no answer from'} ${url}: ${none.code}`, [this.token]),
        redact(none.connect ? `nothing answers at ${url}: check GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3; unset for github.com) and the network` : `the connection to ${url} was lost: check the network or a proxy, then run the job again`, [this.token]),
      );
    }
    if (e instanceof RequestError) {
      const detail = typeof e.response?.data === 'object' && e.response?.data && 'message' in e.response.data ? String((e.response.data as { message: unknown }).message) : e.message;
      const hint =
        e.status === 401 ? 'the token is missing or invalid: set GITHUB_TOKEN' :
        e.status === 403 || e.status === 404 ? 'the token lacks a permission the workflow needs (see the GitHub setup section of the README: contents, pull-requests, issues, checks)' :
        e.status >= 500 ? 'GitHub is having trouble; the request was retried with backoff — run the job again later' :
        undefined;
      return new QmError('io', redact(`GitHub API: ${what} in ${this.fullName} failed with ${e.status}: ${detail}`, [this.token]), hint);
    }
    return new QmError('io', redact(`GitHub API: ${what} in ${this.fullName} failed: ${(e as Error)?.message ?? String(e)}`, [this.token]));
  }

  private get r() {
    return { owner: this.owner, repo: this.repo };
  }

  getPull(n: number): Promise<PullInfo> {
    return this.call(`reading pull request #${n}`, async () => (await this.octokit.rest.pulls.get({ ...this.r, pull_number: n })).data as unknown as PullInfo);
  }

  listReviews(n: number): Promise<GateReview[]> {
    return this.call(`listing the reviews of #${n}`, () => this.octokit.paginate(this.octokit.rest.pulls.listReviews, { ...this.r, pull_number: n, per_page: 100 })) as Promise<GateReview[]>;
  }

  /** "admin" | "maintain" | "write" | "triage" | "read" | "none" (role_name when given, as it tells maintain from write). */
  async permission(user: string): Promise<string> {
    const data = await this.call(`reading the permission of @${user}`, async () => (await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...this.r, username: user })).data).catch((e: QmError) => {
      if (/failed with 404/.test(e.message)) return { permission: 'none', role_name: 'none' };
      throw e;
    });
    const role = (data as { role_name?: string }).role_name;
    return role && ['admin', 'maintain', 'write', 'triage', 'read'].includes(role) ? role : data.permission;
  }

  listComments(n: number): Promise<CommentInfo[]> {
    return this.call(`listing the comments of #${n}`, () => this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.r, issue_number: n, per_page: 100 })) as Promise<CommentInfo[]>;
  }

  createComment(n: number, body: string): Promise<CommentInfo> {
    return this.call(`commenting on #${n}`, async () => (await this.octokit.rest.issues.createComment({ ...this.r, issue_number: n, body })).data as CommentInfo);
  }

  updateComment(id: number, body: string): Promise<CommentInfo> {
    return this.call(`updating comment ${id}`, async () => (await this.octokit.rest.issues.updateComment({ ...this.r, comment_id: id, body })).data as CommentInfo);
  }

  createCheck(name: string, headSha: string, fields: { status: 'in_progress' | 'completed'; conclusion?: CheckConclusion; output?: CheckRunOutput; details_url?: string }): Promise<{ id: number }> {
    return this.call(`creating the check run ${name}`, async () => {
      const data = (await this.octokit.rest.checks.create({ ...this.r, name, head_sha: headSha, ...fields })).data;
      return { id: data.id };
    });
  }

  updateCheck(id: number, fields: { status?: 'in_progress' | 'completed'; conclusion?: CheckConclusion; output?: CheckRunOutput }): Promise<void> {
    return this.call(`updating check run ${id}`, async () => {
      await this.octokit.rest.checks.update({ ...this.r, check_run_id: id, ...fields });
    });
  }

  listIssues(label: string, state: 'open' | 'closed' | 'all'): Promise<IssueInfo[]> {
    return this.call(`listing issues labelled ${label}`, () => this.octokit.paginate(this.octokit.rest.issues.listForRepo, { ...this.r, labels: label, state, per_page: 100 })) as Promise<IssueInfo[]>;
  }

  createIssue(title: string, body: string, labels: string[]): Promise<IssueInfo> {
    return this.call('opening an issue', async () => (await this.octokit.rest.issues.create({ ...this.r, title, body, labels })).data as IssueInfo);
  }

  updateIssue(n: number, fields: { body?: string; title?: string; state?: 'open' | 'closed'; state_reason?: 'completed' }): Promise<IssueInfo> {
    return this.call(`updating issue #${n}`, async () => (await this.octokit.rest.issues.update({ ...this.r, issue_number: n, ...fields })).data as IssueInfo);
  }
}
