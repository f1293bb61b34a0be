// The client's view of a local checkout: where its git dirs are, its branch, main's head and the token.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { computeToken, type PlanState } from "../core/token.ts";
import { readPlanState } from "./plan-history.ts";
import { GitReadError } from "./read-error.ts";
import { headTarget, isValidRefName, type RefDirs, resolveRef } from "./refs.ts";

/** A working tree and its git dirs. */
export interface Checkout {
  /** The working tree's top directory (where `.git` is). */
  root: string;
  /** The common git dir: holds `objects/` and the shared refs. */
  gitdir: string;
  /** The git dir holding this working tree's HEAD (a worktree's own dir; else equal to `gitdir`). */
  head_gitdir: string;
}

/** The plan state of a head and its token (SPEC §2). */
export interface PlanToken {
  state: PlanState;
  /** `sha256:` + 64 hex. */
  token: string;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The common dir of a git dir: what its `commondir` file names (worktrees), else itself. */
function commonDir(gitdir: string): string {
  try {
    const rel = readFileSync(join(gitdir, "commondir"), "utf8").trim();
    return isAbsolute(rel) ? rel : resolve(gitdir, rel);
  } catch {
    return gitdir;
  }
}

/** True for a directory that looks like a bare repository (HEAD, objects/ and refs/ directly in it). */
function isBareRepo(dir: string): boolean {
  return isFile(join(dir, "HEAD")) && isDir(join(dir, "objects")) && isDir(join(dir, "refs"));
}

/**
 * Finds the checkout containing `cwd` by walking up to the first directory with a `.git`: a
 * directory (a normal clone), or a file `gitdir: <path>` (a `git worktree` or a submodule; a
 * worktree's git dir has a `commondir` file naming the shared one). Undefined when there is none,
 * or when the first repository met is bare (a bare repo has no working tree). Never throws.
 */
export async function findCheckout(cwd: string): Promise<Checkout | undefined> {
  let dir = resolve(cwd);
  for (;;) {
    const dotgit = join(dir, ".git");
    if (isDir(dotgit) && isFile(join(dotgit, "HEAD"))) {
      return { root: dir, gitdir: commonDir(dotgit), head_gitdir: dotgit };
    }
    if (isFile(dotgit)) {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotgit, "utf8"));
      if (m?.[1] !== undefined) {
        const head_gitdir = isAbsolute(m[1]) ? m[1] : resolve(dir, m[1]);
        if (isFile(join(head_gitdir, "HEAD"))) return { root: dir, gitdir: commonDir(head_gitdir), head_gitdir };
      }
    }
    if (isBareRepo(dir)) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The branch checked out (`feature/x` for `refs/heads/feature/x`), or null when HEAD is detached or not a branch. Never throws. */
export async function currentBranch(checkout: Checkout): Promise<string | null> {
  const target = headTarget({ gitdir: checkout.gitdir, head_gitdir: checkout.head_gitdir });
  return target?.startsWith("refs/heads/") ? target.slice("refs/heads/".length) : null;
}

/**
 * Main's head as the client sees it (SPEC §2): `refs/remotes/origin/<main_branch>` when it exists,
 * else `refs/heads/<main_branch>` (loose or packed refs), else undefined. 40 hex. Never throws.
 */
export async function resolveMainHead(checkout: RefDirs, main_branch: string): Promise<string | undefined> {
  for (const ref of mainRefs(main_branch, true)) {
    const sha = resolveRef(checkout, ref);
    if (sha !== undefined) return sha;
  }
  return undefined;
}

/** The refs main's head is read from, in order: origin's remote-tracking ref first when `prefer_origin`. */
export function mainRefs(main_branch: string, prefer_origin: boolean): string[] {
  const local = `refs/heads/${main_branch}`;
  return prefer_origin ? [`refs/remotes/origin/${main_branch}`, local] : [local];
}

/** Options of `planToken`. */
export interface PlanTokenOptions {
  /** The common git dir (a checkout's `gitdir`, or a bare repository). */
  gitdir: string;
  /** Main's name, e.g. `main`. */
  main_branch: string;
  /** Plan folder relative to the repository root, e.g. `context`. */
  plan_path: string;
  /** Cache directory for `readPlanState` (created on demand); absent: no disk cache. */
  cache_dir?: string;
  /**
   * Where main's head is read: `"client"` (default) reads `refs/remotes/origin/<main>` and falls
   * back to `refs/heads/<main>`, as SPEC §2 says for the client; `"branch"` reads
   * `refs/heads/<main>` only, as the service does for a repository it owns.
   */
  head_from?: "client" | "branch";
}

/**
 * Main's head, its plan state and its token in one call: the one implementation the client and
 * the service share. Throws `GitReadError` when main's ref is missing, the branch name is invalid,
 * or the history cannot be read.
 */
export async function planToken(opts: PlanTokenOptions): Promise<PlanToken> {
  if (!isValidRefName(`refs/heads/${opts.main_branch}`)) {
    throw new GitReadError(`"${opts.main_branch}" is not a valid branch name`);
  }
  if (!existsSync(opts.gitdir)) throw new GitReadError(`${opts.gitdir} does not exist`);
  const refs = mainRefs(opts.main_branch, (opts.head_from ?? "client") === "client");
  let head_sha: string | undefined;
  for (const ref of refs) {
    head_sha = resolveRef({ gitdir: opts.gitdir }, ref);
    if (head_sha !== undefined) break;
  }
  if (head_sha === undefined) {
    throw new GitReadError(`${refs.join(" and ")} ${refs.length > 1 ? "do" : "does"} not exist in ${opts.gitdir}`);
  }
  return planTokenAt({ gitdir: opts.gitdir, head_sha, plan_path: opts.plan_path, cache_dir: opts.cache_dir });
}

/**
 * True when the repository is a shallow clone (`<gitdir>/shallow` lists boundary commits). Its
 * history ends at the boundary, so a token computed there can differ from the service's for files
 * last changed before it; the client should say so. Never throws.
 */
export function isShallow(gitdir: string): boolean {
  try {
    return readFileSync(join(gitdir, "shallow"), "utf8").trim() !== "";
  } catch {
    return false;
  }
}

/** How many answers `planTokenAt` keeps in memory (the service asks for the same head on every request). */
const MEMO_SIZE = 64;
const memo = new Map<string, PlanToken>();

/**
 * The plan state and token at a known head (see `readPlanState` for the options and errors).
 * Answers are kept in memory per (gitdir, plan_path, head), the last 64, since a commit's history
 * never changes; a shallow repository's are not, as its history can still grow.
 */
export async function planTokenAt(opts: {
  gitdir: string;
  head_sha: string;
  plan_path: string;
  cache_dir?: string;
}): Promise<PlanToken> {
  const key = `${opts.gitdir}\0${opts.plan_path}\0${opts.head_sha}`;
  const known = memo.get(key);
  if (known) return known;
  const state = await readPlanState(opts);
  const answer = { state, token: computeToken(state) };
  if (!isShallow(opts.gitdir)) {
    memo.set(key, answer);
    if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value as string);
  }
  return answer;
}
