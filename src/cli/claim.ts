// `claude-coord claim`: claim one task for this session (first claim wins), by id or the next available one.
import { defineCommand } from "citty";
import type { ClaimResponse } from "../api/schemas.ts";
import { sessionPrefix } from "../core/claims.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import type { Plans, PlanTask } from "../core/plan.ts";
import { discoverTasks, FINISHED_STATUSES } from "../core/tasks.ts";
import { commonArgs, taskArg } from "./args.ts";
import { type ClientContext, type CommonFlags, loadContext, repoAuth, requireBranch, requireSession } from "./context.ts";
import { inlineText, type Outcome, printOutcome, processTerminal } from "./output.ts";
import { directiveLines } from "./directive.ts";
import { findTask, localPlans } from "./plan-lookup.ts";

type Auth = Awaited<ReturnType<typeof repoAuth>>;

/** The task's own words, for the agent that is about to start it. */
function taskDetails(t: PlanTask | undefined): string[] {
  if (!t) return [];
  const lines = ["", `Task: ${inlineText(t.name)}`];
  if (t.steps.length > 0) lines.push("Steps:", ...t.steps.map((s, i) => `  ${i + 1}. ${inlineText(s)}`));
  if (t.acceptance_criteria.length > 0) lines.push("Acceptance criteria:", ...t.acceptance_criteria.map((s) => `  - ${inlineText(s)}`));
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
        ...(r.directive ? ["", ...directiveLines(r.directive)] : []),
      ].join("\n"),
  };
}

/**
 * Why claiming `task` deserves a warning (SPEC §10: it still claims): the plan marks it complete
 * (or skipped), or it is blocked — asked of the service only when the plan alone says a blocker is
 * unfinished (the service may list the blocker as done). Undefined when it is fine.
 */
async function planWarning(ctx: ClientContext, auth: Auth, plans: Plans, task: PlanTask, session_id: string): Promise<string | undefined> {
  if (FINISHED_STATUSES.has(task.status)) return `WARNING: the plan marks task '${task.id}' ${task.status} (${task.file}); claimed it anyway. If it is really done, run: claude-coord release --task ${task.id}`;
  const known = new Map(plans.tasks.map((t) => [t.id, t]));
  if (!task.blocked_by.some((b) => known.has(b) && !FINISHED_STATUSES.has(known.get(b)!.status))) return undefined;
  const listing = await ctx.client.claims({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha });
  const blocked = discoverTasks(plans, listing, session_id).blocked.find((t) => t.id === task.id);
  return blocked ? `WARNING: task '${task.id}' is blocked by ${blocked.blocked_by.join(", ")}, which ${blocked.blocked_by.length === 1 ? "is" : "are"} not finished; claimed it anyway.` : undefined;
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
  const mine = listing.active.find((c) => c.session === sessionPrefix(session_id));
  if (mine && d.available.length === 0) {
    // Exit 3 as `claim --task` gives it, not "no task left" (exit 1): this session must finish its claim first.
    // (With tasks available, the service's own answer to the first attempt says so.)
    throw new CoordError("session_has_claim", `This session already has an active claim on task '${mine.task_id}'.`, {
      current_claim: { task_id: mine.task_id, branch: mine.branch, plan_file: mine.plan_file, claimed_at: mine.claimed_at, fence: mine.fence },
    });
  }
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
  throw new CoordError("no_task_available", "No available task is left to claim.", { claimed: d.claimed.filter((t) => !t.yours).length, blocked: d.blocked.length, lost });
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
  const plans = await localPlans(ctx, auth.commit_sha);
  const task = findTask(plans, task_id);
  const warnings: string[] = [];
  if (plan_file === undefined) {
    plan_file = task?.file ?? "";
    if (!task) warnings.push(`WARNING: no plan file under ${ctx.config.plan_path}/ at main defines task '${task_id}'; claiming it as ad-hoc work.`);
  }
  const warning = task ? await planWarning(ctx, auth, plans, task, session_id) : undefined;
  if (warning) warnings.push(warning);
  // Warnings are printed after the answer: a stale token is retried at the new main, where the plan may say otherwise.
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
