// The git operations of spawn and prune (SPEC §14): fetch main, add and remove worktrees, delete branches, and the checks that guard a removal.
import { existsSync } from "node:fs";
import { git, GitCommandError, runGit } from "./git-cli.ts";

/** True when the repository at `cwd` has a remote named `name`. Never throws. */
export function hasRemote(cwd: string, name: string): boolean {
  return runGit(cwd, ["remote", "get-url", name]).code === 0;
}

/** `git fetch origin <main>` (updates `refs/remotes/origin/<main>`). Throws GitCommandError when it fails. */
export function fetchMain(cwd: string, main_branch: string): void {
  git(cwd, "fetch", "--quiet", "origin", `refs/heads/${main_branch}:refs/remotes/origin/${main_branch}`);
}

/** The sha a ref points to, or undefined when it does not exist. Never throws. */
export function refSha(cwd: string, ref: string): string | undefined {
  const r = runGit(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** True when the local branch `refs/heads/<branch>` exists. */
export function branchExists(cwd: string, branch: string): boolean {
  return refSha(cwd, `refs/heads/${branch}`) !== undefined;
}

/**
 * `git worktree add --no-track -b <branch> <path> <base>`: a new branch at `base` checked out in a
 * new worktree at `path` (no upstream, so the worker's first push sets its own). Throws
 * GitCommandError when the branch or the path already exists or `base` is unknown.
 */
export function addWorktree(cwd: string, path: string, branch: string, base: string): void {
  git(cwd, "worktree", "add", "--quiet", "--no-track", "-b", branch, path, base);
}

/**
 * `git worktree remove <path>` (without --force: git itself refuses a worktree with changes or
 * untracked files, ignored files excepted); for a worktree whose directory is gone,
 * `git worktree prune` drops its record. Throws GitCommandError when git refuses.
 */
export function removeWorktree(cwd: string, path: string): void {
  if (existsSync(path)) git(cwd, "worktree", "remove", path);
  else git(cwd, "worktree", "prune");
}

/** Removes a worktree and its directory whatever it holds (`--force`); used to undo a spawn that lost its claim. */
export function discardWorktree(cwd: string, path: string): void {
  git(cwd, "worktree", "remove", "--force", path);
}

/** `git branch -D <branch>` when it exists. Throws GitCommandError when git refuses (e.g. it is checked out elsewhere). */
export function deleteBranch(cwd: string, branch: string): void {
  if (branchExists(cwd, branch)) git(cwd, "branch", "-D", "--quiet", branch);
}

/**
 * The paths `git status --porcelain` lists in the worktree at `path` (changed, staged and
 * untracked files; ignored ones are not). Empty for a clean worktree or a missing directory.
 * Throws GitCommandError when git cannot read it.
 */
export function uncommittedPaths(path: string): string[] {
  if (!existsSync(path)) return [];
  const args = ["status", "--porcelain", "--untracked-files=all"];
  const r = runGit(path, args);
  if (r.code !== 0) throw new GitCommandError(args, r.code, r.stderr);
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => l.slice(3));
}

/**
 * How many commits of `ref` are on no remote-tracking branch and not in `main_ref`: the work
 * that would be lost if the branch were deleted. 0 for a ref that does not exist.
 */
export function unpushedCount(cwd: string, ref: string, main_ref: string): number {
  if (refSha(cwd, ref) === undefined) return 0;
  return Number(git(cwd, "rev-list", "--count", ref, "--not", "--remotes", main_ref));
}

/**
 * True when `branch` holds commits beyond `base_sha` and all of them are in `main_ref` (merged,
 * fast-forwarded or rebased-and-merged). A branch still at its base is not "merged": it has no
 * work yet. False for a branch that does not exist.
 */
export function isMerged(cwd: string, branch: string, base_sha: string, main_ref: string): boolean {
  const tip = refSha(cwd, `refs/heads/${branch}`);
  if (tip === undefined || tip === base_sha) return false;
  return runGit(cwd, ["merge-base", "--is-ancestor", tip, main_ref]).code === 0;
}
