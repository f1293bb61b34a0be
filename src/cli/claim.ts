// `claude-coord claim`: claim one task for this session (first claim wins), by id or the next available one.
import { defineCommand } from "citty";
import type { ClaimResponse } from "../api/schemas.ts";
import { sessionPrefix } from "../core/claims.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import type { PlanTask } from "../core/plan.ts";
import { discoverTasks } from "../core/tasks.ts";
import { commonArgs, taskArg } from "./args.ts";
import { type ClientContext, type CommonFlags, loadContext, repoAuth, requireBranch, requireSession } from "./context.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";
import { findTask, localPlans } from "./plan-lookup.ts";

type Auth = Awaited<ReturnType<typeof repoAuth>>;

/** The task's own words, for the agent that is about to start it. */
function taskDetails(t: PlanTask | undefined): string[] {
  if (!t) return [];
  const lines = ["", `Task: ${t.name}`];
  if (t.steps.length > 0) lines.push("Steps:", ...t.steps.map((s, i) => `  ${i + 1}. ${s}`));
  if (t.acceptance_criteria.length > 0) lines.push("Acceptance criteria:", ...t.acceptance_criteria.map((s) => `  - ${s}`));
  return lines;
}

function claimedOutcome(r: ClaimResponse, session_id: string, branch: string, plan_file: string, task: PlanTask | undefined, withTask: boolean): Outcome {
  const data = {
    ...r,
    plan_file,
    branch,
    session: sessionPrefix(session_id),
    ...(withTask ? { task: task ? { name: task.name, steps: task.steps, acceptance_criteria: task.acceptance_criteria } : null } : {}),
  };
  return {
    data,
    text: () =>
      [
        `Claimed task '${r.task_id}' (fence ${r.fence}) for session ${sessionPrefix(session_id)} on branch ${branch}.`,
        plan_file ? `Plan file: ${plan_file}` : "Plan file: (none: ad-hoc task)",
        ...(withTask ? taskDetails(task) : []),
        "",
        `When the work is merged, run: claude-coord complete --task ${r.task_id}`,
      ].join("\n"),
  };
}

/**
 * `claim --next` (SPEC §8): claims the first available task; when another session wins it, tries
 * the next. Throws CoordError `no_task_available` (exit 1) when none is left, and passes on every
 * other error (session_has_claim, stale_token, ...) at once.
 */
async function claimNext(ctx: ClientContext, auth: Auth, session_id: string, branch: string): Promise<Outcome> {
  const plans = await localPlans(ctx, auth.commit_sha);
  const listing = await ctx.client.claims({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha });
  const d = discoverTasks(plans, listing, session_id);
  let lost = 0;
  for (const t of d.available) {
    const task = plans.tasks.find((p) => p.id === t.id);
    try {
      const r = await ctx.client.claim({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, task_id: t.id, branch, plan_file: t.file });
      return claimedOutcome(r, session_id, branch, t.file, task, true);
    } catch (e) {
      if (!isCoordError(e, "conflict")) throw e;
      lost++;
    }
  }
  throw new CoordError("no_task_available", "No available task is left to claim.", { claimed: d.claimed.length, blocked: d.blocked.length, lost });
}

/** The flags of `claim` (and the MCP tool `claim`). */
export type ClaimFlags = CommonFlags & { task?: string; next?: boolean; branch?: string; "plan-file"?: string };

/**
 * Claims `--task` or `--next` for this session (SPEC §4, §8); the service records the session as
 * working on it. Returns the outcome (document: the service's answer with plan_file, branch, session and, for
 * --next, the task). Throws CoordError `usage_error` for neither or both flags, and every error of
 * the claim (conflict, session_has_claim, stale_token, no_task_available, ...).
 */
export async function claimOutcome(args: ClaimFlags): Promise<Outcome> {
  if (args.next === true && args.task !== undefined) {
    throw new CoordError("usage_error", "'claude-coord claim' takes --task or --next, not both.", { action: "Run 'claude-coord claim --next' or 'claude-coord claim --task <id>'." });
  }
  if (args.next !== true && (args.task === undefined || args.task.trim() === "")) {
    throw new CoordError("usage_error", "'claude-coord claim' needs --task or --next.", { action: "Run 'claude-coord tasks' to see the available tasks, then 'claude-coord claim --task <id>' or 'claude-coord claim --next'." });
  }
  const ctx = await loadContext(args);
  const session_id = requireSession(ctx);
  const branch = await requireBranch(ctx, args.branch);
  const auth = await repoAuth(ctx);
  if (args.next === true) return claimNext(ctx, auth, session_id, branch);
  const task_id = args.task as string;
  let plan_file = args["plan-file"];
  let task: PlanTask | undefined;
  const warnings: string[] = [];
  if (plan_file === undefined) {
    task = findTask(await localPlans(ctx, auth.commit_sha), task_id);
    plan_file = task?.file ?? "";
    if (!task) warnings.push(`WARNING: no plan file under ${ctx.config.plan_path}/ at main defines task '${task_id}'; claiming it as ad-hoc work.`);
  }
  const r = await ctx.client.claim({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, task_id, branch, plan_file });
  return { ...claimedOutcome(r, session_id, branch, plan_file, task, false), warnings };
}

export default defineCommand({
  meta: { name: "claim", description: "Claim a task for this session; exit 1 when another session holds it" },
  args: {
    ...taskArg,
    next: { type: "boolean", description: "claim the first available task of the plan files (tries the next when another session wins)" },
    ...commonArgs,
    branch: { type: "string", description: "the branch of this work (default: the current branch)", valueHint: "branch" },
    "plan-file": { type: "string", description: "the plan file defining the task (default: found at the local main)", valueHint: "path" },
  },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await claimOutcome(args));
  },
});
