// End-to-end helpers: the compiled binary as service and client, and a real git origin with clones made by the git CLI.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildHost, HOST_BINARY } from "../../scripts/build.ts";
import { removeAtEnd } from "./cleanup.ts";

let built: Promise<string> | undefined;

/** The compiled binary, built once per test process when dist/ has none (the test command builds it first). */
export function binary(): Promise<string> {
  built ??= existsSync(HOST_BINARY) ? Promise.resolve(HOST_BINARY) : buildHost();
  return built;
}

/** A temp dir for one test (its afterAll removes it; the end of the run removes it when the test could not). */
export function tempDir(prefix: string): string {
  return removeAtEnd(mkdtempSync(join(tmpdir(), `coord-${prefix}-`)));
}

/** Runs the git CLI in `cwd`; throws with git's stderr on failure. Returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  const r = Bun.spawnSync(["git", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")} failed in ${cwd}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

let tick = 1_767_600_000;
/** Commits everything in `cwd` with a distinct, increasing timestamp. Returns the new head sha. */
export function commitAll(cwd: string, message: string): string {
  tick += 60;
  const date = `${tick} +0000`;
  git(cwd, "add", "-A");
  const r = Bun.spawnSync(["git", "commit", "-q", "--allow-empty", "-m", message], {
    cwd,
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`git commit failed: ${r.stderr.toString()}`);
  return git(cwd, "rev-parse", "HEAD");
}

/** Merges `branch` into the current branch with a merge commit (no fast-forward), at a distinct timestamp. */
export function mergeNoFf(cwd: string, branch: string, message: string): string {
  tick += 60;
  const date = `${tick} +0000`;
  const r = Bun.spawnSync(["git", "merge", "--no-ff", "-q", "-m", message, branch], {
    cwd,
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    stderr: "pipe",
    stdout: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`git merge ${branch} failed: ${r.stderr.toString()}${r.stdout.toString()}`);
  return git(cwd, "rev-parse", "HEAD");
}

/** Writes a file (creating folders). */
export function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** A plan file's JSON with the given task ids, all pending. */
export function planJson(name: string, ids: string[]): string {
  return `${JSON.stringify(
    { plan_name: name, last_updated: "2026-01-05", tasks: ids.map((id, i) => ({ id, name: `Task ${id}`, status: "pending", priority: i + 1, blocked_by: null, steps: [`do ${id}`], acceptance_criteria: [`${id} works`] })) },
    null,
    2,
  )}\n`;
}

/**
 * A bare origin (what the service reads) and a work clone that pushed to it, with plan files
 * under context/ and a history with merge commits: a feature branch changing one plan file merged
 * with --no-ff, a pointer file without tasks, and a file untouched since the first commit.
 */
export function makeOrigin(root: string, tasks: string[] = ["task-a", "task-b", "task-c", "task-d"]): { origin: string; work: string } {
  const origin = join(root, "origin.git");
  const work = join(root, "author");
  git(root, "init", "-q", "--bare", "-b", "main", origin);
  git(root, "clone", "-q", origin, work);
  write(join(work, "context", "current-task.json"), '{ "task": null, "active_plan": "context/plan.json" }\n');
  write(join(work, "context", "old.json"), planJson("old", ["old-1"]));
  write(join(work, "README.md"), "demo\n");
  commitAll(work, "initial");
  write(join(work, "context", "plan.json"), planJson("plan", tasks));
  commitAll(work, "add plan");
  git(work, "checkout", "-q", "-b", "feature");
  write(join(work, "context", "extra.json"), planJson("extra", ["extra-1", "extra-2"]));
  commitAll(work, "feature: extra plan");
  write(join(work, "src.txt"), "feature code\n");
  commitAll(work, "feature: code");
  git(work, "checkout", "-q", "main");
  write(join(work, "notes.txt"), "main moves on\n");
  commitAll(work, "main: notes");
  mergeNoFf(work, "feature", "merge feature");
  git(work, "push", "-q", "origin", "main");
  return { origin, work };
}

/** A fresh `git init` repository (branch main) at `root/name`, with remote origin at `url` when given. */
export function gitInit(root: string, name: string, url?: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  git(dir, "init", "-q", "-b", "main");
  if (url) git(dir, "remote", "add", "origin", url);
  return dir;
}

/** Clones `origin` into `root/name` on a new branch `claude/<name>`. */
export function cloneSession(origin: string, root: string, name: string): string {
  const dir = join(root, name);
  git(root, "clone", "-q", origin, dir);
  git(dir, "checkout", "-q", "-b", `claude/${name}`);
  return dir;
}

/** The result of a client run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled binary with `args` in `cwd`, the given environment added to a clean one. */
export async function runClient(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<RunResult> {
  const bin = await binary();
  const proc = Bun.spawn([bin, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A running `claude-coord serve` child process. */
export interface ServiceProcess {
  url: string;
  port: number;
  proc: ReturnType<typeof Bun.spawn>;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM and wait for the exit; returns the exit code. */
  stop(): Promise<number>;
}

/**
 * Starts the compiled binary as `serve` with `args` (add `--port 0` to pick a free port) and waits,
 * at most `timeout_ms`, for its "listening on" line. Throws with its output if it exits or times out.
 */
export async function startService(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeout_ms?: number } = {}): Promise<ServiceProcess> {
  const bin = await binary();
  const proc = Bun.spawn([bin, "serve", ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out += dec.decode(chunk);
  };
  const pumps = Promise.all([pump(proc.stdout as ReadableStream<Uint8Array>), pump(proc.stderr as ReadableStream<Uint8Array>)]);
  const deadline = Date.now() + (opts.timeout_ms ?? 15_000);
  let exited: number | undefined;
  proc.exited.then((c) => (exited = c));
  for (;;) {
    const m = /listening on (http:\/\/\S+?:(\d+))/.exec(out);
    if (m) {
      return {
        url: m[1]!,
        port: Number(m[2]),
        proc,
        output: () => out,
        async stop() {
          proc.kill("SIGTERM");
          const code = await proc.exited;
          await pumps;
          return code;
        },
      };
    }
    if (exited !== undefined) throw new Error(`serve exited with ${exited} before listening:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`serve did not listen within the timeout:\n${out}`);
    }
    await Bun.sleep(20);
  }
}

/**
 * Runs a command line exactly as the CLI printed it after `ACTION REQUIRED:` (through `sh -c`), with
 * `claude-coord` on PATH as the compiled binary, in `cwd` with `env` added.
 */
export async function runPrinted(command: string, opts: { cwd: string; env?: Record<string, string> }): Promise<RunResult> {
  const bin = await binary();
  const dir = mkdtempSync(join(tmpdir(), "coord-path-"));
  try {
    symlinkSync(bin, join(dir, "claude-coord"));
    const env = { ...process.env, ...opts.env, PATH: `${dir}:${process.env.PATH ?? ""}` };
    const proc = Bun.spawn(["sh", "-c", command], { cwd: opts.cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
