// A repository on GitHub (source = "github"): a mirror over authenticated smart HTTP, main's head by conditional REST request, branches by GraphQL.
import { HttpSource, type HttpSourceOptions } from "./http-source.ts";
import { GitHubError, parseRepoName, type GitHubApi, type GitHubCredentials, type GitHubFailure, type RepoRef } from "./github-api.ts";
import type { CurrentMain } from "../core/repo.ts";
import type { RepoConfig, RepoSource } from "./source.ts";

/** What every GitHub source of one service shares: the API client, the credentials, GitHub's git URL. */
export interface GitHubContext {
  api: GitHubApi;
  credentials: GitHubCredentials;
  /** `https://github.com`, or `https://HOST` for GitHub Enterprise Server (see `gitBaseUrl`). */
  git_base_url: string;
}

/** Where one GitHub source keeps its mirror and token cache, and its clock. */
export interface GitHubSourceConfig {
  mirror_dir: string;
  cache_dir: string;
  /** Epoch milliseconds. */
  now: () => number;
  /** Timeouts and HTTP client of the git side (tests). */
  http?: HttpSourceOptions;
}

/** REST failures after which main's head is asked of git smart HTTP instead (it has no REST rate limit). */
const GIT_FALLBACK: ReadonlySet<GitHubFailure> = new Set(["rate_limited", "server_error", "network"]);

/**
 * A whitelisted GitHub repository (SPEC §2, §5 `source = "github"`). The token is computed by the
 * same history code as the client's, on a bare mirror of main fetched over git smart HTTP with the
 * credentials (`<git_base_url>/<owner>/<name>.git`), never from GitHub's path-history endpoints.
 *
 * Main's head is looked up at most every `head_ttl_ms` (and at once for a commit the mirror lacks,
 * or after `refreshNow`), by a conditional REST request (`GitHubApi.mainHead`: 304 while main is
 * unchanged, which costs no rate limit); the mirror is fetched only when main moved. When the REST
 * call is rate limited or GitHub's API fails, the head is read from git's ref advertisement instead,
 * so a client gets 503 `upstream_unavailable` only when neither can answer.
 */
export class GitHubSource implements RepoSource {
  readonly repo: RepoRef;
  private readonly mirror: HttpSource;

  /** Throws `CoordError("config_error")` when `entry.name` is not GitHub's `owner/name`. Makes no request. */
  constructor(
    private readonly entry: RepoConfig,
    private readonly github: GitHubContext,
    cfg: GitHubSourceConfig,
  ) {
    this.repo = parseRepoName(entry.name);
    const url = `${github.git_base_url}/${this.repo.owner}/${this.repo.name}.git`;
    this.mirror = new HttpSource(entry, {
      ...cfg.http,
      url,
      mirror_dir: cfg.mirror_dir,
      cache_dir: cfg.cache_dir,
      now: cfg.now,
      lookupHead: (known) => this.lookupHead(known),
      authorization: () => github.credentials.gitAuthorization(this.repo),
      onUnauthorized: () => {
        github.credentials.invalidate(this.repo);
      },
    });
  }

  /** Main's head and token (see the class). Throws `CoordError("upstream_unavailable")`. */
  current(presented_commit: string): Promise<CurrentMain> {
    return this.mirror.current(presented_commit);
  }

  /** True when the mirror lacks `presented_commit` (see `HttpSource.lacksCommit`). */
  lacksCommit(presented_commit: string): boolean {
    return this.mirror.lacksCommit(presented_commit);
  }

  /** Every branch of the repository, sorted (one GraphQL request per 100 branches). Throws GitHubError. */
  listBranches(): Promise<string[]> {
    return this.github.api.listBranches(this.repo);
  }

  /** A push to main was announced: look main up and fetch now (see `HttpSource.refreshNow`). */
  refreshNow(): Promise<void> {
    return this.mirror.refreshNow();
  }

  private async lookupHead(known: string | undefined): Promise<string> {
    try {
      return await this.github.api.mainHead(this.repo, this.entry.main_branch, known);
    } catch (e) {
      if (!(e instanceof GitHubError) || !GIT_FALLBACK.has(e.failure)) throw e;
      try {
        return await this.mirror.remoteHead();
      } catch {
        throw e;
      }
    }
  }
}
