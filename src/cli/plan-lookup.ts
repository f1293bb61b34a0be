// Finds the plan file that defines a task at the local main, for `claim`'s default --plan-file.
import { taskIds } from "../core/plan.ts";
import { readPlanFiles } from "../git/plan-files.ts";
import type { ClientContext } from "./context.ts";

/**
 * The path of the first plan file (by path order) at `head_sha` whose `tasks` define `task_id`,
 * or undefined when none does. Files that are not valid JSON are skipped (SPEC §6).
 */
export async function findPlanFile(ctx: ClientContext, head_sha: string, task_id: string): Promise<string | undefined> {
  const files = await readPlanFiles(ctx.checkout.gitdir, head_sha, ctx.config.plan_path);
  for (const f of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(f.text);
    } catch {
      continue;
    }
    if (taskIds(parsed).includes(task_id)) return f.path;
  }
  return undefined;
}
