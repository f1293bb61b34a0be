// GitHub's REST and GraphQL API as the service uses it (@octokit/core): main's head by conditional request, branch listings, rate limits.
import { Octokit } from "@octokit/core";
import { CoordError } from "../core/errors.ts";
import { VERSION } from "../version.ts";

const HEX40 = /^[0-9a-f]{40}$/;

/** GitHub's rules for an owner (user or organization) and a repository name, as the service accepts them. */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/** A GitHub repository: `owner/name`. */
export interface RepoRef {
  owner: string;
  name: string;
}

/**
 * Splits a whitelist name `owner/name` into its parts. Throws `CoordError("config_error")` when it
 * is not of that form (GitHub: an owner of letters, digits and `-`, at most 39 characters; a name
 * of letters, digits, `.`, `_` and `-`, at most 100 characters, not `.` or `..`).
 */
export function parseRepoName(full_name: string): RepoRef {
  const [owner, name, extra] = full_name.split("/");
  if (extra !== undefined || owner === undefined || name === undefined || !OWNER.test(owner) || !REPO.test(name) || name === "." || name === "..") {
    throw new CoordError(
      "config_error",
      `Repository "${full_name}" has source "github", so its name must be GitHub's owner/name (for example octo-org/octo-repo).`,
      { repo: full_name },
    );
  }
  return { owner, name };
}

/**
 * The web (and git smart HTTP) base URL for an API URL, without a trailing slash:
 * `https://api.github.com` → `https://github.com`; GitHub Enterprise Server's
 * `https://HOST/api/v3` → `https://HOST` (GitHub docs: "REST API endpoints for GitHub Enterprise
 * Server are at http(s)://HOSTNAME/api/v3"). Throws `CoordError("config_error")` naming
 * `github.api_url` for anything else.
 */
export function gitBaseUrl(api_url: string): string {
  let url: URL;
  try {
    url = new URL(api_url);
  } catch {
    throw apiUrlError(api_url);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw apiUrlError(api_url);
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") throw apiUrlError(api_url);
  const path = url.pathname.replace(/\/+$/, "");
  if (url.hostname.toLowerCase() === "api.github.com" && path === "") return `${url.protocol}//github.com`;
  if (path.endsWith("/api/v3")) return `${url.origin}${path.slice(0, -"/api/v3".length)}`;
  throw apiUrlError(api_url);
}

function apiUrlError(api_url: string): CoordError {
  let shown = api_url;
  try {
    const u = new URL(api_url);
    u.username = "";
    u.password = "";
    shown = u.toString();
  } catch {
    // Not a URL: nothing in it is a credential we could tell apart.
  }
  return new CoordError(
    "config_error",
    `key 'github.api_url' must be https://api.github.com or a GitHub Enterprise Server API URL ending in /api/v3, got ${JSON.stringify(shown)}.`,
    { key: "github.api_url" },
  );
}

/** The GraphQL endpoint for an API URL (GitHub Enterprise Server: `/api/graphql` beside `/api/v3`). */
export function graphqlBaseUrl(api_url: string): string {
  const trimmed = api_url.replace(/\/+$/, "");
  return trimmed.endsWith("/api/v3") ? trimmed.slice(0, -"/v3".length) : trimmed;
}

/** Why a GitHub call gave no answer the service can act on. */
export type GitHubFailure =
  | "unauthorized" // 401: the credentials were refused
  | "forbidden" // 403 that is not a rate limit: the credentials lack a permission
  | "not_found" // 404, or GraphQL NOT_FOUND: no such repository or branch, or no access to it
  | "rate_limited" // primary or secondary rate limit, or backing off after one
  | "server_error" // 5xx
  | "network" // refused, reset, timed out
  | "invalid_response"; // an answer of an unexpected shape

/**
 * A GitHub call that failed: `CoordError("upstream_unavailable")` (503 to clients, exit 2) with the
 * failure kind. Its message names the repository and what GitHub said, never a credential.
 */
export class GitHubError extends CoordError {
  readonly failure: GitHubFailure;

  constructor(failure: GitHubFailure, message: string, repo: string) {
    super("upstream_unavailable", message, { repo });
    this.failure = failure;
  }
}

/** What the API client needs from the credentials (src/sources/github-auth.ts implements it). */
export interface GitHubCredentials {
  /** `none`, a personal access `token`, or a GitHub `app`. */
  readonly kind: "none" | "token" | "app";
  /** The `Authorization` header value for REST and GraphQL calls about `repo`, or undefined (anonymous). Throws GitHubError. */
  apiAuthorization(repo: RepoRef): Promise<string | undefined>;
  /** The `Authorization` header value for git smart HTTP requests to `repo`, or undefined. Throws GitHubError. */
  gitAuthorization(repo: RepoRef): Promise<string | undefined>;
  /** GitHub refused the credential for `repo` (401): drop cached tokens. True when asking again may succeed. */
  invalidate(repo: RepoRef): boolean;
  /** `text` with every secret this credential knows (token, installation tokens, their Basic forms) replaced by `***`. */
  redact(text: string): string;
}

/** Where the API client sends requests and how it logs. */
export interface GitHubApiConfig {
  /** `https://api.github.com` or `https://HOST/api/v3`. */
  api_url: string;
  credentials: GitHubCredentials;
  /** Epoch milliseconds (rate-limit windows are compared against it). */
  now: () => number;
  log: { warn(msg: string): void };
  /** Time allowed for one request, milliseconds (default 10 s). */
  timeout_ms?: number;
  /** Called before each HTTP request to the API (the service counts them: `coord_git_host_requests_total`). */
  on_request?: () => void;
}

/** The most branches pages one listing reads (100 per page): beyond that the listing is not trusted. */
export const MAX_BRANCH_PAGES = 50;
/** Branches per GraphQL page (GitHub's maximum for `first`). */
export const BRANCH_PAGE_SIZE = 100;

/** How long to wait after a secondary rate limit that names no time (GitHub docs: "wait for at least one minute"). */
const DEFAULT_BACKOFF_MS = 60_000;

const BRANCHES_QUERY = `query ($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    refs(refPrefix: "refs/heads/", first: $first, after: $after) {
      nodes { name }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

type Bucket = "core" | "graphql";

interface Answer {
  status: number;
  headers: Record<string, string | number | undefined>;
  data: unknown;
}

interface OctokitFailure {
  name?: unknown;
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** `fetch` with a per-request timeout (octokit sets none by default). */
function timedFetch(timeout_ms: number, on_request: (() => void) | undefined): typeof fetch {
  const f = (input: string | URL | Request, init?: RequestInit) => {
    on_request?.();
    return fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeout_ms) });
  };
  return f as typeof fetch;
}

/**
 * An Octokit (REST + GraphQL) at `api_url` with claude-coord's user agent and a per-request timeout,
 * unauthenticated: callers pass their Authorization header per request.
 */
export function createOctokit(api_url: string, timeout_ms = 10_000, on_request?: () => void): Octokit {
  return new Octokit({
    baseUrl: api_url.replace(/\/+$/, ""),
    userAgent: `claude-coord/${VERSION}`,
    request: { fetch: timedFetch(timeout_ms, on_request) },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

function header(headers: Answer["headers"] | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return v === undefined ? undefined : String(v);
}

/**
 * The GitHub API client of the service. Every request carries the credentials' Authorization
 * header; a 401 with refreshable credentials (a GitHub App) is retried once with a new token.
 *
 * Rate limits (GitHub docs, "Rate limits for the REST API" / "... GraphQL API"): every answer's
 * `x-ratelimit-remaining` / `x-ratelimit-reset` are read; at 0 remaining, or after a 403/429 that
 * is a rate limit (primary: remaining 0, wait until reset; secondary: `retry-after` seconds, else
 * at least one minute), no request of that bucket (REST `core`, `graphql`) is sent until the
 * window ends: calls fail at once with GitHubError `rate_limited`, and the start of each backoff is
 * logged once.
 */
export class GitHubApi {
  readonly octokit: Octokit;
  private readonly blockedUntil = new Map<Bucket, number>();
  /** Last ETag and sha of main's head per `owner/name#branch` (lowercase). */
  private readonly etags = new Map<string, { etag: string; sha: string }>();
  private readonly graphqlBase: string;

  constructor(private readonly cfg: GitHubApiConfig) {
    this.octokit = createOctokit(cfg.api_url, cfg.timeout_ms, cfg.on_request);
    this.graphqlBase = graphqlBaseUrl(cfg.api_url);
  }

  /**
   * The sha `branch` of `repo` points to, by `GET /repos/{owner}/{repo}/commits/{branch}` with
   * `Accept: application/vnd.github.sha` (GitHub docs, "Get a commit": the sha alone) and
   * `If-None-Match` (GitHub docs, "Use conditional requests": a 304 does not count against the
   * primary rate limit). The validator is the ETag of the last answer for that branch, else the
   * quoted `known` sha (the docs of this media type: "providing the local SHA-1 reference as the
   * ETag"); a 304 answers the sha the validator stands for. Throws GitHubError: `not_found` for no
   * such repository or branch (or no access), other failures as classified.
   */
  async mainHead(repo: RepoRef, branch: string, known?: string): Promise<string> {
    const key = `${repo.owner}/${repo.name}#${branch}`.toLowerCase();
    const validator = this.etags.get(key) ?? (known !== undefined && HEX40.test(known) ? { etag: `"${known}"`, sha: known } : undefined);
    const what = `the head of branch "${branch}"`;
    const res = await this.send("core", repo, what, (authorization) =>
      this.octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", {
        owner: repo.owner,
        repo: repo.name,
        ref: branch,
        headers: {
          accept: "application/vnd.github.sha",
          ...(authorization === undefined ? {} : { authorization }),
          ...(validator === undefined ? {} : { "if-none-match": validator.etag }),
        },
      }),
    );
    if (res.status === 304) {
      if (validator === undefined) throw this.failure("invalid_response", repo, `GitHub answered 304 to an unconditional request for ${what}`);
      return validator.sha;
    }
    const text = typeof res.data === "string" ? res.data : res.data instanceof ArrayBuffer ? new TextDecoder().decode(res.data) : "";
    const sha = text.trim().toLowerCase();
    if (!HEX40.test(sha)) throw this.failure("invalid_response", repo, `GitHub answered ${what} with something that is not a commit sha`);
    const etag = header(res.headers, "etag");
    if (etag !== undefined) this.etags.set(key, { etag, sha });
    else this.etags.delete(key);
    return sha;
  }

  /**
   * Every branch name of `repo` (without `refs/heads/`), sorted: GraphQL `repository.refs` with
   * `refPrefix: "refs/heads/"`, 100 per page, so one request for up to 100 branches. Throws
   * GitHubError when any page fails, when the repository is not readable (GraphQL `NOT_FOUND`:
   * GitHub does not tell a missing repository from one the credentials cannot see), or past
   * `MAX_BRANCH_PAGES` pages: a partial listing is never returned.
   */
  async listBranches(repo: RepoRef): Promise<string[]> {
    const names: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < MAX_BRANCH_PAGES; page++) {
      const res = await this.send("graphql", repo, "the branch list", (authorization) =>
        this.octokit.request("POST /graphql", {
          baseUrl: this.graphqlBase,
          query: BRANCHES_QUERY,
          variables: { owner: repo.owner, name: repo.name, first: BRANCH_PAGE_SIZE, after },
          headers: authorization === undefined ? {} : { authorization },
        }),
      );
      const refs = this.branchPage(repo, res);
      names.push(...refs.names);
      if (!refs.next) return names.sort();
      after = refs.next;
    }
    throw this.failure("invalid_response", repo, `more than ${MAX_BRANCH_PAGES * BRANCH_PAGE_SIZE} branches; the listing is not trusted`);
  }

  /** One GraphQL page: its names and the next cursor (null on the last page). Throws GitHubError on errors or a bad shape. */
  private branchPage(repo: RepoRef, res: Answer): { names: string[]; next: string | null } {
    const body = res.data as {
      data?: { repository?: { refs?: { nodes?: unknown; pageInfo?: { hasNextPage?: unknown; endCursor?: unknown } } | null } | null } | null;
      errors?: { type?: unknown; message?: unknown }[];
    } | null;
    const errors = Array.isArray(body?.errors) ? body.errors : [];
    if (errors.length > 0) {
      const types = errors.map((e) => String(e.type ?? ""));
      const first = this.cfg.credentials.redact(String(errors[0]?.message ?? "")).slice(0, 200);
      if (types.includes("RATE_LIMITED")) {
        this.block("graphql", this.cfg.now() + this.resetDelay(res.headers), "rate limit exceeded");
        throw this.failure("rate_limited", repo, `GitHub's GraphQL rate limit is exhausted (${first})`);
      }
      if (types.includes("NOT_FOUND")) throw this.failure("not_found", repo, `GitHub cannot find the repository, or the credentials cannot read it (${first})`);
      if (types.includes("FORBIDDEN")) throw this.failure("forbidden", repo, `GitHub refused the branch list (${first})`);
      throw this.failure("invalid_response", repo, `GitHub answered the branch list with errors (${types.join(", ")}: ${first})`);
    }
    const repository = body?.data?.repository;
    if (repository === null || repository === undefined) throw this.failure("not_found", repo, "GitHub cannot find the repository, or the credentials cannot read it");
    const refs = repository.refs;
    const nodes = refs?.nodes;
    const info = refs?.pageInfo;
    if (!Array.isArray(nodes) || typeof info?.hasNextPage !== "boolean") {
      throw this.failure("invalid_response", repo, "GitHub answered the branch list in an unexpected shape");
    }
    const names: string[] = [];
    for (const n of nodes as { name?: unknown }[]) {
      if (typeof n?.name !== "string" || n.name === "") throw this.failure("invalid_response", repo, "GitHub answered the branch list in an unexpected shape");
      names.push(n.name);
    }
    if (!info.hasNextPage) return { names, next: null };
    if (typeof info.endCursor !== "string") throw this.failure("invalid_response", repo, "GitHub answered the branch list without a next cursor");
    return { names, next: info.endCursor };
  }

  /**
   * Sends one request of `bucket` about `repo`: refuses while backing off, adds the Authorization
   * header, reads the rate-limit headers, retries once after a 401 when the credentials can mint a
   * new token. A 304 is an answer, not a failure. Throws GitHubError.
   */
  private async send(bucket: Bucket, repo: RepoRef, what: string, call: (authorization: string | undefined) => Promise<Answer>): Promise<Answer> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const until = this.blockedUntil.get(bucket);
      if (until !== undefined && this.cfg.now() < until) {
        throw this.failure("rate_limited", repo, `GitHub rate limit: not asking for ${what} before ${new Date(until).toISOString()}`);
      }
      const authorization = await this.cfg.credentials.apiAuthorization(repo);
      try {
        const res = await call(authorization);
        this.noteLimits(bucket, res.status, res.headers, "");
        return res;
      } catch (e) {
        const err = e as OctokitFailure;
        const status = typeof err?.status === "number" ? err.status : undefined;
        const headers = err?.response?.headers;
        if (err?.name === "HttpError" && status === 304 && err.response) {
          return { status: 304, headers: headers ?? {}, data: undefined };
        }
        if (err?.name === "HttpError" && status !== undefined && err.response) {
          const message = this.cfg.credentials.redact(String(err.message ?? "")).slice(0, 200);
          const limited = this.noteLimits(bucket, status, headers ?? {}, message);
          if (limited) throw this.failure("rate_limited", repo, `GitHub rate limit hit asking for ${what} (HTTP ${status}); backing off until ${new Date(this.blockedUntil.get(bucket) ?? 0).toISOString()}`);
          if (status === 401 && attempt === 0 && this.cfg.credentials.invalidate(repo)) continue;
          throw this.failure(kindOf(status), repo, `GitHub answered HTTP ${status} asking for ${what} (${message})`);
        }
        if (e instanceof GitHubError) throw e;
        throw this.failure("network", repo, `GitHub cannot be reached asking for ${what} (${this.networkReason(e)})`);
      }
    }
    throw this.failure("unauthorized", repo, `GitHub refused the credentials twice asking for ${what}`);
  }

  /** Reads the rate-limit headers of an answer; returns true when it was a rate-limit refusal. */
  private noteLimits(bucket: Bucket, status: number, headers: Answer["headers"], message: string): boolean {
    const remaining = header(headers, "x-ratelimit-remaining");
    const retryAfter = Number(header(headers, "retry-after"));
    const refused = status === 403 || status === 429;
    const now = this.cfg.now();
    if (refused && Number.isFinite(retryAfter) && retryAfter >= 0 && header(headers, "retry-after") !== undefined) {
      this.block(bucket, now + Math.max(1, retryAfter) * 1000, `secondary rate limit, retry-after ${retryAfter} s`);
      return true;
    }
    if (refused && remaining === "0") {
      this.block(bucket, now + this.resetDelay(headers), "primary rate limit exhausted");
      return true;
    }
    if (refused && (status === 429 || /rate limit|abuse/i.test(message))) {
      this.block(bucket, now + DEFAULT_BACKOFF_MS, "secondary rate limit");
      return true;
    }
    if (remaining === "0" && status < 400) this.block(bucket, now + this.resetDelay(headers), "primary rate limit used up");
    return false;
  }

  /** Milliseconds until `x-ratelimit-reset` (epoch seconds), at least one second; one minute when absent. */
  private resetDelay(headers: Answer["headers"]): number {
    const reset = Number(header(headers, "x-ratelimit-reset"));
    if (!Number.isFinite(reset) || reset <= 0) return DEFAULT_BACKOFF_MS;
    return Math.max(1000, reset * 1000 - this.cfg.now());
  }

  private block(bucket: Bucket, until_ms: number, why: string): void {
    const current = this.blockedUntil.get(bucket);
    if (current !== undefined && current >= until_ms) return;
    this.blockedUntil.set(bucket, until_ms);
    this.cfg.log.warn(`GitHub ${bucket === "core" ? "REST" : "GraphQL"} API: ${why}; no requests until ${new Date(until_ms).toISOString()}.`);
  }

  private networkReason(e: unknown): string {
    const err = e as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
    if (err?.name === "TimeoutError" || err?.name === "AbortError") return "timed out";
    const code = err?.cause?.code;
    if (typeof code === "string") return code;
    return this.cfg.credentials.redact(String(err?.message ?? e)).slice(0, 200);
  }

  private failure(kind: GitHubFailure, repo: RepoRef, reason: string): GitHubError {
    const full = `${repo.owner}/${repo.name}`;
    return new GitHubError(kind, `Repository "${full}": ${this.cfg.credentials.redact(reason)}.`, full);
  }
}

function kindOf(status: number): GitHubFailure {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server_error";
  return "invalid_response";
}
