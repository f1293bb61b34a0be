// Task discovery (SPEC §8): the plan's tasks joined with the service's claims — what is free, taken, blocked or done.
import type { ActiveClaimView, ClaimsListing, CompletedClaimView } from "./claims.ts";
import type { PlanTask, Plans } from "./plan.ts";

/** A task free to claim. */
export interface AvailableTask {
  id: string;
  name: string;
  file: string;
  priority: number | undefined;
}

/** A task some session holds. */
export interface ClaimedTask extends AvailableTask {
  session: string;
  branch: string;
  since: string;
  /** True when the holder is the asking session. */
  yours: boolean;
}

/** A pending task waiting for unfinished tasks. */
export interface BlockedTask extends AvailableTask {
  blocked_by: string[];
}

/** A task listed by its plan status (in_progress, complete, deferred, skipped, or an unknown status as written). */
export interface StatusTask extends AvailableTask {
  status: string;
}

/** The whole picture `claude-coord tasks` prints (SPEC §8). `claims_known` is false when the service could not be asked. */
export interface TaskDiscovery {
  claims_known: boolean;
  available: AvailableTask[];
  claimed: ClaimedTask[];
  blocked: BlockedTask[];
  /** Tasks by their plan status, other than pending: in_progress, complete, deferred, skipped, unknown ones. */
  by_status: Record<string, StatusTask[]>;
  /** Completions the service lists (last 24 hours), including tasks no plan file defines. */
  recently_completed: CompletedClaimView[];
  warnings: string[];
}

/** Statuses that count as finished for `blocked_by`: the task will not be worked on, so it blocks nothing. */
export const FINISHED_STATUSES: ReadonlySet<string> = new Set(["complete", "skipped"]);

const brief = (t: PlanTask): AvailableTask => ({ id: t.id, name: t.name, file: t.file, priority: t.priority });

/** Priority ascending, tasks without a priority last; ties keep file order (files by path, tasks by position). */
export function byPriority(a: PlanTask, b: PlanTask): number {
  const pa = a.priority ?? Number.POSITIVE_INFINITY;
  const pb = b.priority ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa < pb ? -1 : 1;
  if (a.file !== b.file) return Buffer.compare(Buffer.from(a.file), Buffer.from(b.file));
  return a.index - b.index;
}

/**
 * Joins the plan's tasks with the service's listing (SPEC §8). A task is:
 * - `claimed` when it has an active claim (whatever the plan says);
 * - done when the plan says `complete` or the service lists it as recently completed with outcome
 *   `done` (so nobody redoes just-merged work while the plan still says pending); a completion with
 *   outcome `freed` (released, expired by an operator, PR closed unmerged) leaves the task open:
 *   available at once, and it unblocks nothing (SPEC §10);
 * - `blocked` when pending and a `blocked_by` task is not finished (`complete`, `skipped`, or
 *   recently completed as done); a `blocked_by` naming no known task does not block and is warned about;
 * - `available` when pending, not blocked, not claimed and not recently completed as done — sorted by
 *   priority, then file order;
 * - else listed under its plan status in `by_status`.
 * Active claims of tasks no plan file defines (ad-hoc work) are listed as claimed too.
 * `claims` undefined means the service could not be asked: nothing counts as claimed.
 * `own_session` marks this session's claim. Pure; never throws.
 */
export function discoverTasks(plans: Plans, claims: ClaimsListing | undefined, own_session: string | undefined): TaskDiscovery {
  const warnings = [...plans.warnings];
  const active = new Map<string, ActiveClaimView>((claims?.active ?? []).map((c) => [c.task_id, c]));
  // The newest completion of a task decides (a task freed, claimed again and completed is done); a listing without outcomes (an older service) means done.
  const lastOutcome = new Map<string, string>();
  for (const c of claims?.recently_completed ?? []) lastOutcome.set(c.task_id, c.outcome ?? "done");
  const doneByService = new Set([...lastOutcome].filter(([, o]) => o !== "freed").map(([id]) => id));
  const known = new Map(plans.tasks.map((t) => [t.id, t]));
  const finished = (id: string) => doneByService.has(id) || FINISHED_STATUSES.has(known.get(id)?.status ?? "");
  const out: TaskDiscovery = { claims_known: claims !== undefined, available: [], claimed: [], blocked: [], by_status: {}, recently_completed: claims?.recently_completed ?? [], warnings };
  for (const t of [...plans.tasks].sort(byPriority)) {
    const claim = active.get(t.id);
    if (claim) {
      out.claimed.push({ ...brief(t), session: claim.session, branch: claim.branch, since: claim.claimed_at, yours: own_session?.startsWith(claim.session) ?? false });
      continue;
    }
    if (t.status === "pending" && !doneByService.has(t.id)) {
      for (const b of t.blocked_by.filter((b) => !known.has(b))) warnings.push(`task '${t.id}' (${t.file}) is blocked_by '${b}', which no plan file defines; not blocking on it.`);
      const waiting = t.blocked_by.filter((b) => known.has(b) && !finished(b));
      if (waiting.length > 0) out.blocked.push({ ...brief(t), blocked_by: waiting });
      else out.available.push(brief(t));
      continue;
    }
    const status = t.status === "pending" ? "complete" : t.status;
    (out.by_status[status] ??= []).push({ ...brief(t), status });
  }
  for (const c of claims?.active ?? []) {
    if (known.has(c.task_id)) continue;
    out.claimed.push({ id: c.task_id, name: c.task_id, file: c.plan_file, priority: undefined, session: c.session, branch: c.branch, since: c.claimed_at, yours: own_session?.startsWith(c.session) ?? false });
  }
  return out;
}
