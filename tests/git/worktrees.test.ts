// Tests of src/git/worktrees.ts against real repositories made with the git CLI: merged, unpushed and uncommitted checks, add/remove, and errors.
import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GitCommandError } from "../../src/git/git-cli.ts";
import { addWorktree, branchExists, deleteBranch, fetchMain, hasRemote, isMerged, refSha, removeWorktree, uncommittedPaths, unpushedCount } from "../../src/git/worktrees.ts";
import { commitAll, git, tempDir } from "../helpers/e2e.ts";

// Every test runs several git commands: slower than bun's 5 s default on a loaded machine.
setDefaultTimeout(30_000);

let root: string;
let repo: string;
let base: string;

beforeEach(() => {
  root = tempDir("worktrees");
  git(root, "init", "-q", "--bare", "-b", "main", "origin.git");
  git(root, "clone", "-q", join(root, "origin.git"), "repo");
  repo = join(root, "repo");
  writeFileSync(join(repo, "a.txt"), "a\n");
  base = commitAll(repo, "initial");
  git(repo, "push", "-q", "origin", "main");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test("a new worktree's branch is not merged (no work yet), holds nothing unpushed, is clean and tracks nothing", () => {
  const wt = join(root, "wt");
  addWorktree(repo, wt, "claude/t", base);
  expect([branchExists(repo, "claude/t"), refSha(wt, "HEAD"), isMerged(repo, "claude/t", base, "origin/main"), unpushedCount(repo, "refs/heads/claude/t", "origin/main"), uncommittedPaths(wt)]).toEqual([
    true,
    base,
    false,
    0,
    [],
  ]);
  // No upstream: the worker's first push sets its own, never origin/main.
  expect(() => git(wt, "rev-parse", "--abbrev-ref", "claude/t@{upstream}")).toThrow("no upstream configured");
});

test("a commit counts as unpushed until pushed, and the branch as merged once main holds it", () => {
  const wt = join(root, "wt");
  addWorktree(repo, wt, "claude/t", base);
  writeFileSync(join(wt, "b.txt"), "b\n");
  commitAll(wt, "work");
  expect([unpushedCount(repo, "refs/heads/claude/t", "origin/main"), isMerged(repo, "claude/t", base, "origin/main")]).toEqual([1, false]);
  git(wt, "push", "-q", "origin", "claude/t");
  expect(unpushedCount(repo, "refs/heads/claude/t", "origin/main")).toBe(0);
  git(repo, "merge", "-q", "--ff-only", "claude/t");
  git(repo, "push", "-q", "origin", "main");
  fetchMain(repo, "main");
  expect(isMerged(repo, "claude/t", base, "origin/main")).toBe(true);
});

test("uncommitted paths list changed and untracked files; removeWorktree refuses them, and removes a clean one", () => {
  const wt = join(root, "wt");
  addWorktree(repo, wt, "claude/t", base);
  writeFileSync(join(wt, "a.txt"), "changed\n");
  writeFileSync(join(wt, "new.txt"), "new\n");
  expect(uncommittedPaths(wt).sort()).toEqual(["a.txt", "new.txt"]);
  expect(() => removeWorktree(repo, wt)).toThrow(GitCommandError);
  git(wt, "checkout", "-q", "--", "a.txt");
  rmSync(join(wt, "new.txt"));
  removeWorktree(repo, wt);
  deleteBranch(repo, "claude/t");
  expect([existsSync(wt), branchExists(repo, "claude/t")]).toEqual([false, false]);
});

test("a worktree whose folder is gone is dropped from git's list by removeWorktree", () => {
  const wt = join(root, "wt");
  addWorktree(repo, wt, "claude/t", base);
  rmSync(wt, { recursive: true, force: true });
  removeWorktree(repo, wt);
  expect(git(repo, "worktree", "list", "--porcelain")).not.toContain(wt);
});

test("adding a worktree for an existing branch fails with git's message; fetching from a missing origin fails too", () => {
  addWorktree(repo, join(root, "one"), "claude/t", base);
  let err: unknown;
  try {
    addWorktree(repo, join(root, "two"), "claude/t", base);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(GitCommandError);
  expect((err as GitCommandError).stderr).toContain("already exists");
  git(repo, "remote", "set-url", "origin", join(root, "nowhere.git"));
  expect(hasRemote(repo, "origin")).toBe(true);
  expect(hasRemote(repo, "upstream")).toBe(false);
  expect(() => fetchMain(repo, "main")).toThrow(GitCommandError);
});
