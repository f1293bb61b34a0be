// The repository reader core needs to check tokens: the service's view of a repo's main.
import { CoordError } from "./errors.ts";

/** Main's current head and the token computed for it (SPEC §2). */
export interface CurrentMain {
  /** 40 lowercase hex. */
  head_sha: string;
  /** `sha256:` + 64 hex. */
  token: string;
}

/**
 * A source of truth for one whitelisted repository (a local path, a git URL, GitHub).
 * Implementations live in `src/sources/`.
 */
export interface RepoReader {
  /**
   * Main's current head and its token. `presented_commit` is the commit the client computed its
   * token at: a remote source that does not have that commit refreshes before answering (SPEC §2).
   * Throws `CoordError("upstream_unavailable")` when the source cannot be read.
   */
  current(presented_commit: string): Promise<CurrentMain>;
  /**
   * Remote sources: true when `presented_commit` is a commit id the source's copy lacks, so that
   * `current` would look main up on the git host first. The service rate-limits those (SPEC §15)
   * before calling `current`. Absent on sources that never call a host.
   */
  lacksCommit?(presented_commit: string): boolean;
}

/**
 * Checks a presented token against the source's current main (SPEC §2). Returns main when both the
 * token and the commit match. Throws CoordError `stale_token` (details: current_commit, your_commit)
 * when either differs; passes on `upstream_unavailable` from the reader.
 */
export async function verifyToken(reader: RepoReader, token: string, commit_sha: string): Promise<CurrentMain> {
  const main = await reader.current(commit_sha);
  if (main.token !== token || main.head_sha !== commit_sha) {
    throw new CoordError("stale_token", "Repository state has changed since session start.", {
      current_commit: main.head_sha,
      your_commit: commit_sha,
    });
  }
  return main;
}
