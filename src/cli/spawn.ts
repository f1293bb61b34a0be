// `claude-coord spawn`: one worker per task — a branch and a git worktree from main, a new session saved for it, the claim, the registration, the prompt, and optionally the agent command (SPEC §14).
import { spawn as spawnProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, openSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { defineCommand } from "citty";
import type { ClaimsListing } from "../core/claims.ts";
import { sessionPrefix } from "../core/claims.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import { SPAWN_DEFAULTS, promptText, spawnBranch, taskSlug } from "../core/spawn.ts";
import type { PlanTask } from "../core/plan.ts";
import { discoverTasks } from "../core/tasks.ts";
import { toRfc3339 } from "../core/time.ts";
import { findCheckout } from "../git/checkout.ts";
import { isValidRefName } from "../git/refs.ts";
import { EXEC_LOG_FILE, excludeWorkerDir, mainCheckoutRoot, writeAtomic, writePrompt, writeSpawnRecord } from "../git/spawn-record.ts";
import { GitCommandError, gitBinary } from "../git/git-cli.ts";
import { addWorktree, branchExists, deleteBranch, discardWorktree, fetchMain, hasRemote, refSha } from "../git/worktrees.ts";
import { repeated } from "./args.ts";
import { type ClientContext, loadContext, repoAuth, sessionFile } from "./context.ts";
import { asCoordError, EXIT, EXIT_FOR, processTerminal, reportError } from "./output.ts";
import { findTask, localPlans } from "./plan-lookup.ts";

/** One worker spawn made. */
export interface SpawnedWorker {
  task_id: string;
  branch: string;
  worktree: string;
  /** The session's 8-character prefix; the full id is only in `session_file`. */
  session: string;
  session_file: string;
  fence: number;
  plan_file: string;
  prompt_file: string;
  /** The `--exec` command's log and process id; null without --exec. */
  log_file: string | null;
  pid: number | null;
}

/** A task spawn did not start, and why. */
export interface SkippedTask {
  task_id: string;
  /** `claimed` (another session holds or won it), `branch_exists`, `worktree_exists`, `git_failed`. */
  reason: "claimed" | "branch_exists" | "worktree_exists" | "git_failed";
  detail: string;
}

/** What `spawn --json` prints. */
export interface SpawnReport {
  repo: string;
  /** What the branches were created from: `origin/<main>` or, without origin, the local `<main>`. */
  base_ref: string;
  base_sha: string;
  /** How many workers were asked for (the count, or the number of named tasks). */
  requested: number;
  spawned: SpawnedWorker[];
  skipped: SkippedTask[];
  warnings: string[];
}

/** Where the worktrees go: `spawn_worktree_dir` relative to the main checkout, default `../<main checkout dir>-worktrees`. */
export function worktreeDir(ctx: ClientContext): string {
  const mainRoot = mainCheckoutRoot(ctx.checkout);
  return resolve(mainRoot, ctx.config.spawn_worktree_dir ?? `../${basename(mainRoot)}-worktrees`);
}

/**
 * The environment of an `--exec` command: this process's, minus every variable that would name a
 * session (`*SESSION_ID`, e.g. CLAUDE_COORD_SESSION_ID, CLAUDE_CODE_SESSION_ID of the orchestrator's
 * own session) and Claude Code's CLAUDE_ENV_FILE, so the worker acts as the id saved for its
 * worktree; plus CLAUDE_COORD_PROMPT_FILE, the prompt's absolute path.
 */
export function workerEnv(base: Record<string, string | undefined>, prompt_file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || /SESSION_ID$/i.test(k) || k === "CLAUDE_ENV_FILE") continue;
    env[k] = v;
  }
  env.CLAUDE_COORD_PROMPT_FILE = prompt_file;
  return env;
}

/** Starts `sh -c <cmd>` in `cwd`, detached, stdin closed, stdout and stderr appended to `log_file`; returns its pid. */
function startDetached(cmd: string, cwd: string, env: Record<string, string>, log_file: string): number {
  const fd = openSync(log_file, "a");
  try {
    const child = spawnProcess("/bin/sh", ["-c", cmd], { cwd, env, detached: true, stdio: ["ignore", fd, fd] });
    child.unref();
    return child.pid ?? -1;
  } finally {
    closeSync(fd);
  }
}

/** Parses --count: an integer from 1 to 50; throws CoordError `usage_error` naming the flag otherwise. */
export function parseCount(text: string | undefined): number {
  if (text === undefined) return 1;
  const t = text.trim();
  if (/^\d{1,2}$/.test(t) && Number(t) >= 1 && Number(t) <= 50) return Number(t);
  throw new CoordError("usage_error", `--count must be an integer from 1 to 50, got '${text}'.`, {
    field: "count",
    action: "Pass how many workers to start, for example 'claude-coord spawn --count 3'.",
  });
}

/** The table of spawned workers: task, branch, worktree, session. */
export function spawnTable(workers: readonly SpawnedWorker[]): string[] {
  const rows = [["TASK", "BRANCH", "WORKTREE", "SESSION"], ...workers.map((w) => [w.task_id, w.branch, w.worktree, w.session])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
}

/** The text report: the table, what was skipped, and the next commands. */
export function spawnText(r: SpawnReport, exec: boolean): string {
  const lines = [`=== Spawned ${r.spawned.length} of ${r.requested} requested workers for ${r.repo} (branches from ${r.base_ref} at ${r.base_sha.slice(0, 12)}) ===`];
  if (r.spawned.length > 0) lines.push(...spawnTable(r.spawned));
  else lines.push("(none)");
  if (r.skipped.length > 0) {
    lines.push("", "Skipped:");
    for (const s of r.skipped) lines.push(`  - ${s.task_id}: ${s.detail}`);
  }
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  if (r.spawned.length > 0) {
    lines.push("", "Each worktree has its task's prompt in .claude-coord/prompt.md (kept out of commits).");
    if (exec) lines.push("The --exec command runs in each worktree; its output goes to .claude-coord/exec.log there.");
    else lines.push(`Start a worker: cd ${r.spawned[0]!.worktree} && claude "$(cat .claude-coord/prompt.md)"`);
    lines.push("Watch them: claude-coord watch", "When their pull requests are merged: claude-coord prune");
  }
  return lines.join("\n");
}

/** A task to spawn: its id, the plan file defining it ("" for ad-hoc work) and its definition. */
interface Candidate {
  id: string;
  file: string;
  task: PlanTask | undefined;
}

interface Plan {
  ctx: ClientContext;
  repo: string;
  auth: Awaited<ReturnType<typeof repoAuth>>;
  base_ref: string;
  base_sha: string;
  dir: string;
  prefix: string;
  exec: string | undefined;
}

/**
 * Makes one worker for `task_id`: worktree first (local and undoable), then the claim (the race
 * is decided by the service); a lost claim removes the worktree and branch again. Returns the
 * worker, or why it was skipped. Errors other than a lost claim (service down, stale token) undo
 * the worktree and are thrown.
 */
async function spawnOne(p: Plan, c: Candidate, warnings: string[]): Promise<SpawnedWorker | SkippedTask> {
  const { id: task_id, file: plan_file, task } = c;
  const root = p.ctx.checkout.root;
  const branch = spawnBranch(p.prefix, task_id, isValidRefName);
  const worktree = join(p.dir, taskSlug(task_id));
  if (branchExists(root, branch)) return { task_id, reason: "branch_exists", detail: `branch ${branch} already exists (an earlier spawn? 'claude-coord prune' removes finished ones)` };
  if (existsSync(worktree)) return { task_id, reason: "worktree_exists", detail: `${worktree} already exists` };
  try {
    addWorktree(root, worktree, branch, p.base_sha);
  } catch (e) {
    if (!(e instanceof GitCommandError)) throw e;
    return { task_id, reason: "git_failed", detail: `git worktree add failed: ${e.stderr}` };
  }
  const undo = () => {
    discardWorktree(root, worktree);
    deleteBranch(root, branch);
  };
  const session_id = randomUUID();
  let fence: number;
  try {
    const r = await p.ctx.client.claim({ repo: p.repo, token: p.auth.token, commit_sha: p.auth.commit_sha, session_id, task_id, branch, plan_file });
    fence = r.fence;
  } catch (e) {
    undo();
    if (!isCoordError(e, "conflict")) throw e;
    const by = (e.details.claimed_by ?? {}) as { session?: string };
    return { task_id, reason: "claimed", detail: `claimed by another session${by.session ? ` (${by.session})` : ""}` };
  }
  const wt = await findCheckout(worktree);
  if (!wt) throw new CoordError("config_error", `git worktree add made ${worktree}, but it is not a git checkout.`);
  const session_file = sessionFile(wt);
  writeAtomic(session_file, `${session_id}\n`);
  writeSpawnRecord(wt.head_gitdir, { task_id, branch, worktree, base_sha: p.base_sha, spawned_at: toRfc3339(Date.now()), session: sessionPrefix(session_id) });
  excludeWorkerDir(p.ctx.checkout.gitdir);
  const prompt_file = writePrompt(
    worktree,
    promptText({ repo: p.repo, task_id, task, branch, worktree, session: sessionPrefix(session_id), fence, base_ref: p.base_ref, base_sha: p.base_sha, main_branch: p.ctx.config.main_branch }),
  );
  await p.ctx.client
    .heartbeat({ repo: p.repo, token: p.auth.token, commit_sha: p.auth.commit_sha, session_id, branch, state: "registered", task_id, worktree })
    .catch((e: unknown) => warnings.push(`session ${sessionPrefix(session_id)} (${task_id}) is claimed but not registered: ${e instanceof Error ? e.message : String(e)}`));
  let log_file: string | null = null;
  let pid: number | null = null;
  if (p.exec !== undefined) {
    log_file = join(worktree, EXEC_LOG_FILE);
    pid = startDetached(p.exec, worktree, workerEnv(process.env, prompt_file), log_file);
  }
  return { task_id, branch, worktree, session: sessionPrefix(session_id), session_file, fence, plan_file, prompt_file, log_file, pid };
}

/** Main as spawn and prune see it after `prepareMain`. */
export interface PreparedMain {
  has_origin: boolean;
  /** `origin/<main>`, or the local `<main>` without origin (or without a fetched origin/<main>). */
  ref: string;
  /** Its sha; undefined when neither ref exists. */
  sha: string | undefined;
}

/**
 * What spawn and prune start with: the git binary (else CoordError `config_error`), then
 * `git fetch origin <main>` when there is an origin (a failure is pushed to `warnings`, and the
 * origin/<main> fetched before is used), and the ref main is read from.
 */
export function prepareMain(ctx: ClientContext, cmd: "spawn" | "prune", warnings: string[]): PreparedMain {
  if (gitBinary() === null) {
    throw new CoordError("config_error", `${cmd} needs the git binary (it runs 'git worktree'), and none was found on PATH.`, { action: `Install git, then run claude-coord ${cmd} again.` });
  }
  const root = ctx.checkout.root;
  const main = ctx.config.main_branch;
  const has_origin = hasRemote(root, "origin");
  if (has_origin) {
    try {
      fetchMain(root, main);
    } catch (e) {
      if (!(e instanceof GitCommandError)) throw e;
      warnings.push(`git fetch origin ${main} failed (${e.stderr}); using the origin/${main} fetched before.`);
    }
  }
  const remote = has_origin ? refSha(root, `refs/remotes/origin/${main}`) : undefined;
  return remote !== undefined ? { has_origin, ref: `origin/${main}`, sha: remote } : { has_origin, ref: main, sha: refSha(root, `refs/heads/${main}`) };
}

/** Runs spawn: prepares main, picks the tasks, makes the workers, prints the report; exit 0 when every requested worker was made, else 1. */
async function runSpawn(ctx: ClientContext, opts: { count: number | undefined; tasks: string[]; exec: string | undefined; json: boolean }): Promise<number> {
  const root = ctx.checkout.root;
  const main = ctx.config.main_branch;
  const warnings: string[] = [];
  const { has_origin, ref: base_ref, sha: base_sha } = prepareMain(ctx, "spawn", warnings);
  if (!has_origin) warnings.push(`no remote 'origin': branching from the local ${main}.`);
  if (base_sha === undefined) {
    throw new CoordError("config_error", `Neither origin/${main} nor ${main} exists in ${root}.`, { action: `Run 'git fetch origin ${main}' (or set main_branch in .claude-coord.toml), then run claude-coord spawn again.` });
  }
  const auth = await repoAuth(ctx);
  const p: Plan = { ctx, repo: auth.repo, auth, base_ref, base_sha, dir: worktreeDir(ctx), prefix: ctx.config.spawn_branch_prefix ?? SPAWN_DEFAULTS.branch_prefix, exec: opts.exec };
  const plans = await localPlans(ctx, auth.commit_sha);
  let candidates: Candidate[];
  if (opts.tasks.length > 0) {
    candidates = opts.tasks.map((id) => {
      const t = findTask(plans, id);
      if (!t) warnings.push(`no plan file under ${ctx.config.plan_path}/ at main defines task '${id}'; spawning it as ad-hoc work.`);
      return { id: t?.id ?? id, file: t?.file ?? "", task: t };
    });
  } else {
    const listing: ClaimsListing = await ctx.client.claims({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha });
    candidates = discoverTasks(plans, listing, undefined).available.map((t) => ({ id: t.id, file: t.file, task: findTask(plans, t.id) }));
  }
  const wanted = opts.tasks.length > 0 ? opts.tasks.length : (opts.count ?? 1);
  const report: SpawnReport = { repo: auth.repo, base_ref, base_sha, requested: wanted, spawned: [], skipped: [], warnings };
  let failure: unknown;
  for (const c of candidates) {
    if (report.spawned.length >= wanted) break;
    try {
      const r = await spawnOne(p, c, warnings);
      if ("fence" in r) report.spawned.push(r);
      else report.skipped.push(r);
    } catch (e) {
      failure = e;
      break;
    }
  }
  if (failure !== undefined) {
    const err = asCoordError(failure);
    if (opts.json) {
      processTerminal.out(JSON.stringify({ ...report, error: { status: err.code, message: err.message, ...err.details } }, null, 2));
      return EXIT_FOR[err.code];
    }
    processTerminal.out(spawnText(report, opts.exec !== undefined));
    return reportError(processTerminal, err, { json: false, cmd: "spawn" });
  }
  processTerminal.out(opts.json ? JSON.stringify(report, null, 2) : spawnText(report, opts.exec !== undefined));
  if (report.spawned.length >= wanted) return EXIT.ok;
  if (!opts.json) {
    processTerminal.err(
      [
        `ERROR: spawned ${report.spawned.length} of ${wanted} requested workers: ${opts.tasks.length > 0 ? "the tasks listed under Skipped were not started" : "no other task is available"}.`,
        "",
        "ACTION REQUIRED: Run 'claude-coord tasks' to see what is claimed, blocked or done, then spawn the tasks you still want with 'claude-coord spawn --task <id>'.",
      ].join("\n"),
    );
  }
  return EXIT.conflict;
}

export default defineCommand({
  meta: { name: "spawn", description: "Start workers: per task a branch, a worktree, a new session with the claim, and the prompt (--exec runs the agent)" },
  args: {
    count: { type: "string", description: "how many of the first available tasks to spawn (default 1)", valueHint: "N" },
    task: { type: "string", description: "a task to spawn (repeatable: --task a --task b)", valueHint: "id" },
    exec: { type: "string", description: "a command run in each worktree, detached, output to .claude-coord/exec.log (e.g. 'claude -p \"$(cat .claude-coord/prompt.md)\"')", valueHint: "cmd" },
    repo: { type: "string", description: "owner/name of the repository (default: .claude-coord.toml, CLAUDE_COORD_REPO)", valueHint: "owner/name" },
    json: { type: "boolean", description: "print one JSON document on stdout instead of text" },
  },
  async run({ args, rawArgs }) {
    const tasks = repeated(rawArgs, "task");
    if (tasks.length > 0 && args.count !== undefined) {
      throw new CoordError("usage_error", "'claude-coord spawn' takes --count or --task, not both.", { action: "Run 'claude-coord spawn --count 3' or 'claude-coord spawn --task <id> [--task <id> ...]'." });
    }
    if (tasks.some((t) => t.trim() === "")) throw new CoordError("usage_error", "--task needs a task id.", { field: "task", action: "Run 'claude-coord tasks' to see the task ids." });
    if (new Set(tasks).size !== tasks.length) throw new CoordError("usage_error", "A task is named twice: one worker per task.", { field: "task", action: "Name each task once." });
    if (args.exec !== undefined && args.exec.trim() === "") throw new CoordError("usage_error", "--exec needs a command.", { field: "exec", action: "Pass the agent command, for example --exec 'claude -p \"$(cat .claude-coord/prompt.md)\"'." });
    const count = tasks.length > 0 ? undefined : parseCount(args.count);
    return runSpawn(await loadContext(args), { count, tasks, exec: args.exec, json: args.json === true });
  },
});
