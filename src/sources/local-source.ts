// A repository on this host (a working repo or a bare one), read live on every request.
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { CoordError } from "../core/errors.ts";
import type { CurrentMain } from "../core/repo.ts";
import { planTokenAt } from "../git/checkout.ts";
import { GitReadError } from "../git/read-error.ts";
import { listRefs, resolveRef } from "../git/refs.ts";
import type { RepoConfig, RepoSource } from "./source.ts";

/**
 * The git dir of a repository at `path`: `path/.git` (a directory, or a `gitdir:` file, followed
 * to its common dir), or `path` itself when it is a bare repository. Throws `GitReadError`.
 */
export function repoGitdir(path: string): string {
  const isDir = (p: string): boolean => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const dotgit = join(path, ".git");
  let gitdir: string | undefined;
  if (isDir(dotgit)) gitdir = dotgit;
  else {
    try {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotgit, "utf8"));
      if (m?.[1] !== undefined) gitdir = isAbsolute(m[1]) ? m[1] : resolve(path, m[1]);
    } catch {
      // Not a working repo: maybe a bare one.
    }
  }
  gitdir ??= path;
  try {
    const common = readFileSync(join(gitdir, "commondir"), "utf8").trim();
    gitdir = isAbsolute(common) ? common : resolve(gitdir, common);
  } catch {
    // Not a worktree.
  }
  if (!isDir(join(gitdir, "objects")) || !isDir(join(gitdir, "refs"))) {
    throw new GitReadError(`${path} is not a git repository`);
  }
  return gitdir;
}

/**
 * A local repository source: every `current()` reads `refs/heads/<main>` of the repository as it is
 * on disk now, and computes the token with the shared plan-history code (cached under `cache_dir`).
 */
export class LocalSource implements RepoSource {
  /** The resolved git dir, found once and found again only after a read fails. */
  private gitdir: string | undefined;

  constructor(
    private readonly entry: RepoConfig,
    private readonly opts: { path: string; cache_dir: string },
  ) {}

  /** Main's head and token now. `presented_commit` is not needed: the repository is read live. */
  async current(_presented_commit: string): Promise<CurrentMain> {
    try {
      this.gitdir ??= repoGitdir(this.opts.path);
      const gitdir = this.gitdir;
      const ref = `refs/heads/${this.entry.main_branch}`;
      const head_sha = resolveRef({ gitdir }, ref);
      if (head_sha === undefined) throw new GitReadError(`branch "${this.entry.main_branch}" does not exist`);
      const { token } = await planTokenAt({ gitdir, head_sha, plan_path: this.entry.plan_path, cache_dir: this.opts.cache_dir });
      return { head_sha, token };
    } catch (e) {
      this.gitdir = undefined;
      throw this.unavailable(e);
    }
  }

  /** Branch names under `refs/heads/`, sorted. */
  async listBranches(): Promise<string[]> {
    try {
      const refs = listRefs({ gitdir: repoGitdir(this.opts.path) }, "refs/heads/");
      return [...refs.keys()].map((r) => r.slice("refs/heads/".length)).sort();
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  private unavailable(e: unknown): CoordError {
    if (e instanceof CoordError) return e;
    const reason = e instanceof Error ? e.message : String(e);
    return new CoordError("upstream_unavailable", `Cannot read repository "${this.entry.name}": ${reason}`, {
      repo: this.entry.name,
    });
  }
}
