// The git binary: the one runner for every git command the CLI runs (spawn, prune, fetching main, deepening a shallow clone), and a clone's shallow boundary.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A git command that failed: its arguments, exit code (null: it could not start or timed out) and stderr (trimmed). */
export class GitCommandError extends Error {
  readonly args: readonly string[];
  readonly exit_code: number | null;
  readonly stderr: string;

  constructor(args: readonly string[], exit_code: number | null, stderr: string) {
    super(`git ${args.join(" ")} failed (${exit_code === null ? "did not run" : `exit ${exit_code}`}): ${stderr || "no output"}`);
    this.name = "GitCommandError";
    this.args = args;
    this.exit_code = exit_code;
    this.stderr = stderr;
  }
}

/** What one git run gave: its exit code (null: it could not start or timed out), its stdout, and its stderr trimmed. */
export interface GitRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The git binary on PATH, or null when there is none. */
export function gitBinary(path: string | undefined = process.env.PATH): string | null {
  return Bun.which("git", { PATH: path ?? "" });
}

/**
 * Runs `git -C <cwd> <args>` with stdin closed and a fixed environment (no terminal prompts, C
 * locale, no pager), bounded by `timeout_ms` when given. Never throws: a missing binary or a
 * timeout is `code: null` with a stderr that says so.
 */
export function runGit(cwd: string, args: readonly string[], timeout_ms?: number): GitRun {
  const git = gitBinary();
  if (git === null) return { code: null, stdout: "", stderr: "git is not on PATH" };
  let r: ReturnType<typeof Bun.spawnSync>;
  try {
    r = Bun.spawnSync([git, "-C", cwd, ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", GIT_PAGER: "cat" },
      ...(timeout_ms === undefined ? {} : { timeout: timeout_ms }),
    });
  } catch (e) {
    // The OS refused to start the binary (permissions, a broken PATH entry).
    return { code: null, stdout: "", stderr: `cannot run git: ${e instanceof Error ? e.message : String(e)}` };
  }
  const stdout = r.stdout?.toString() ?? "";
  const stderr = (r.stderr?.toString() ?? "").trim();
  if (r.exitCode === null || r.signalCode) {
    return { code: null, stdout, stderr: stderr || `git ${args[0] ?? ""} ${timeout_ms === undefined ? "was killed" : `timed out after ${timeout_ms / 1000} s`}` };
  }
  return { code: r.exitCode, stdout, stderr };
}

/** Runs git in `cwd` and returns its stdout trimmed; throws GitCommandError when it exits non-zero or cannot run. */
export function git(cwd: string, ...args: string[]): string {
  const r = runGit(cwd, args);
  if (r.code !== 0) throw new GitCommandError(args, r.code, r.stderr);
  return r.stdout.trim();
}

/**
 * The commits listed in `<gitdir>/shallow` (a shallow clone's boundary: git treats them as roots,
 * so a path's newest change at or beyond them is unknown). Empty when the clone is complete. Never throws.
 */
export function shallowCommits(gitdir: string): Set<string> {
  try {
    return new Set(
      readFileSync(join(gitdir, "shallow"), "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /^[0-9a-f]{40}$/.test(l)),
    );
  } catch {
    return new Set();
  }
}
