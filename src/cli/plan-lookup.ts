// The plan files at the local main, read for `claim` (its default --plan-file), `tasks` and `claim --next`.
import { CoordError } from "../core/errors.ts";
import { type PlanTask, type Plans, readPlans } from "../core/plan.ts";
import { readPlanFiles } from "../git/plan-files.ts";
import type { ClientContext } from "./context.ts";

/** Reads and parses every plan file `<plan_path>/*.json` at `head_sha` (SPEC §6): broken files are warnings, never fatal. */
export async function localPlans(ctx: ClientContext, head_sha: string): Promise<Plans> {
  return readPlans(await readPlanFiles(ctx.checkout.gitdir, head_sha, ctx.config.plan_path));
}

/**
 * The plan task `task_id` names: its (qualified) id, or a plain id defined in exactly one file.
 * Undefined when no plan file defines it (ad-hoc work). Throws CoordError `usage_error` when a
 * plain id is defined in several files, naming the qualified ids to use instead.
 */
export function findTask(plans: Plans, task_id: string): PlanTask | undefined {
  const exact = plans.tasks.find((t) => t.id === task_id);
  if (exact) return exact;
  const plain = plans.tasks.filter((t) => t.plain_id === task_id);
  if (plain.length > 1) {
    throw new CoordError("usage_error", `Task id '${task_id}' is defined in ${plain.length} plan files.`, {
      action: `Claim one of them by its qualified id: ${plain.map((t) => `claude-coord claim --task ${t.id}`).join(" or ")}.`,
    });
  }
  return plain[0];
}
