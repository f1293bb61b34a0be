// The whitelisted repository and its source as types (no code): the entry as configured, what every source answers, and the two together as the service runs them.
import type { RepoReader } from "../core/repo.ts";

/** One whitelisted repository, as the service configuration describes it (SPEC §5), resolved (a relative local path made absolute). */
export interface RepoConfig {
  /** The name clients use, e.g. `owner/repo`. */
  name: string;
  /** `github`, an `http(s)://` or `file://` git URL, or a local path (a working repo or a bare repo). */
  source: string;
  /** Plan folder relative to the repository root, e.g. `context`. */
  plan_path: string;
  /** Main's branch name, e.g. `main`. */
  main_branch: string;
  /** Remote sources: how long a looked-up head of main is trusted, in milliseconds. */
  head_ttl_ms: number;
}

/** A repository source: main's head and token for core, and the branch list for the branch lifecycle job. */
export interface RepoSource extends RepoReader {
  /**
   * Branch names (`feature/x`, without `refs/heads/`), sorted, never partial. A local source reads
   * them live; an HTTP source asks the remote (one ref advertisement); a GitHub source asks GraphQL
   * (one request per 100 branches). Throws `CoordError("upstream_unavailable")` when the source
   * cannot be read.
   */
  listBranches(): Promise<string[]>;
  /**
   * Remote sources: main moved (a push webhook said so), look it up and fetch now so that the next
   * token check costs no request. Absent on local sources, which are read live anyway.
   */
  refreshNow?(): Promise<void>;
}

/**
 * A whitelisted repository as the service runs it: its configuration and its source. The one type
 * every part of the service passes around (routes, webhooks, the branch lifecycle job), in maps
 * keyed by the lowercased name.
 */
export interface WhitelistedRepo extends RepoConfig {
  reader: RepoSource;
}
