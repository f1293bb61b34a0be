// Plan files (SPEC §6): the task ids a plan file defines, read tolerantly from real-world shapes.

/**
 * The ids of the tasks a parsed plan file defines: `tasks[].id` strings, in file order. Files
 * without `tasks` (pointer files such as current-task.json) and malformed entries give [].
 * Never throws.
 */
export function taskIds(plan: unknown): string[] {
  if (typeof plan !== "object" || plan === null) return [];
  const tasks = (plan as { tasks?: unknown }).tasks;
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((t) => (typeof t === "object" && t !== null && typeof (t as { id?: unknown }).id === "string" ? [(t as { id: string }).id] : []));
}
