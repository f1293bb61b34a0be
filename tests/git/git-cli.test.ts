// Tests of src/git/git-cli.ts: the one git runner's answers for success, failure, a missing binary and a timeout, and the shallow boundary.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git, GitCommandError, gitBinary, runGit, shallowCommits } from "../../src/git/git-cli.ts";
import { tempDir } from "../helpers/e2e.ts";

const root = tempDir("git-cli");
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `f` with PATH set to `path`, restoring it after. */
function withPath<T>(path: string, f: () => T): T {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return f();
  } finally {
    process.env.PATH = saved;
  }
}

test("runGit gives git's exit code, stdout and trimmed stderr, in the folder asked", () => {
  git(root, "init", "-q", "-b", "main", "repo");
  const r = runGit(join(root, "repo"), ["symbolic-ref", "HEAD"]);
  expect(r).toEqual({ code: 0, stdout: "refs/heads/main\n", stderr: "" });
  const bad = runGit(join(root, "repo"), ["rev-parse", "--verify", "--quiet", "nope"]);
  expect(bad).toEqual({ code: 1, stdout: "", stderr: "" });
});

test("git returns stdout trimmed and throws GitCommandError with the arguments, exit code and stderr on failure", () => {
  expect(git(join(root, "repo"), "symbolic-ref", "HEAD")).toBe("refs/heads/main");
  let err: unknown;
  try {
    git(join(root, "repo"), "checkout", "-q", "missing-branch");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(GitCommandError);
  const e = err as GitCommandError;
  expect([e.args, e.exit_code]).toEqual([["checkout", "-q", "missing-branch"], 1]);
  expect(e.stderr).toContain("missing-branch");
  expect(e.message).toStartWith("git checkout -q missing-branch failed (exit 1): ");
});

test("a folder that does not exist is git's own failure (exit 128), not an exception", () => {
  const r = runGit(join(root, "absent"), ["status"]);
  expect(r.code).toBe(128);
  expect(r.stderr).toContain("cannot change to");
});

test("without git on PATH, runGit answers code null and git throws GitCommandError saying it did not run", () => {
  expect(gitBinary("")).toBeNull();
  const r = withPath("", () => runGit(root, ["--version"]));
  expect(r).toEqual({ code: null, stdout: "", stderr: "git is not on PATH" });
  expect(() => withPath("", () => git(root, "--version"))).toThrow("git --version failed (did not run): git is not on PATH");
});

test("a run over its timeout is killed and answers code null naming the timeout", () => {
  // Reading a FIFO that no one writes to blocks until the timeout kills git.
  const fifo_dir = join(root, "slow");
  mkdirSync(fifo_dir, { recursive: true });
  Bun.spawnSync(["mkfifo", join(fifo_dir, "pipe")]);
  const r = runGit(fifo_dir, ["hash-object", "pipe"], 300);
  expect(r.code).toBeNull();
  expect(r.stderr).toBe("git hash-object timed out after 0.3 s");
});

test("shallowCommits lists the boundary of a shallow clone and is empty for a complete one or a bad file", () => {
  const gitdir = join(root, "repo", ".git");
  expect(shallowCommits(gitdir)).toEqual(new Set());
  writeFileSync(join(gitdir, "shallow"), `${"a".repeat(40)}\nnot-a-sha\n${"b".repeat(40)}\n`);
  expect(shallowCommits(gitdir)).toEqual(new Set(["a".repeat(40), "b".repeat(40)]));
});
