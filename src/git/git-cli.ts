// The git binary for deepening a shallow clone (SPEC §10), bounded in time, and the clone's shallow boundary. Never touches the worktree.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** What one git run gave: its exit code (null: it could not start or timed out) and its stderr, trimmed. */
export interface GitRun {
  code: number | null;
  stderr: string;
}

/** The git binary on PATH, or null when there is none. */
export function gitBinary(path: string | undefined = process.env.PATH): string | null {
  return Bun.which("git", { PATH: path ?? "" });
}

/**
 * Runs `git -C <root> <args>` with stdin closed, no terminal prompts (`GIT_TERMINAL_PROMPT=0`) and
 * a timeout (default 120 000 ms). Never throws: a missing binary or a timeout is `code: null`.
 */
export function runGit(root: string, args: readonly string[], timeout_ms = 120_000): GitRun {
  const git = gitBinary();
  if (git === null) return { code: null, stderr: "git is not on PATH" };
  const r = Bun.spawnSync([git, "-C", root, ...args], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
    timeout: timeout_ms,
  });
  const stderr = r.stderr.toString().trim();
  if (r.exitCode === null || r.signalCode) return { code: null, stderr: stderr || `git ${args[0] ?? ""} timed out after ${timeout_ms / 1000} s` };
  return { code: r.exitCode, stderr };
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
