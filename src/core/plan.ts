// Plan files (SPEC §6): TypeBox schemas for the fields claude-coord uses, read tolerantly from real-world shapes.
import { type Static, Type as T } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** The statuses SPEC §6 names; any other string is kept and shown as it is. */
export const KNOWN_STATUSES = ["pending", "in_progress", "complete", "deferred", "skipped"] as const;

/** `blocked_by` as real plan files carry it: null, one task id, or a list (SPEC §6: about 64% / 28% / 8%). */
export const BlockedBy = T.Union([T.Null(), T.String(), T.Array(T.String())]);

/** The fields of a task that claude-coord uses; every other field is ignored. */
export const PlanTaskSchema = T.Object({
  id: T.String({ minLength: 1 }),
  name: T.Optional(T.String()),
  status: T.Optional(T.String()),
  priority: T.Optional(T.Union([T.Number(), T.Null()])),
  blocked_by: T.Optional(BlockedBy),
  steps: T.Optional(T.Array(T.Unknown())),
  acceptance_criteria: T.Optional(T.Array(T.Unknown())),
});
export type PlanTaskJson = Static<typeof PlanTaskSchema>;

/** A plan file as far as claude-coord reads it: an object, maybe with a `tasks` array. */
export const PlanFileSchema = T.Object({
  plan_name: T.Optional(T.Unknown()),
  tasks: T.Optional(T.Unknown()),
});

/** One task of a plan file, normalized. */
export interface PlanTask {
  /** The id to claim: the plain `id`, or `<file stem>/<id>` when several plan files define that id. */
  id: string;
  /** The `id` as written in the file. */
  plain_id: string;
  /** The plan file defining it, repo-relative (`context/plan.json`). */
  file: string;
  /** The task's position in its file (0-based), for file-order sorting. */
  index: number;
  name: string;
  /** `pending` when the file gives none; unknown statuses are kept as written. */
  status: string;
  /** Lower is more urgent; undefined when the file gives none. */
  priority: number | undefined;
  /** Ids of the tasks this one waits for, as written (resolved by task discovery). */
  blocked_by: string[];
  steps: string[];
  acceptance_criteria: string[];
}

/** The outcome of reading one plan file. `error` is set (and tasks empty) when it is not valid JSON or not an object. */
export interface PlanFileResult {
  path: string;
  plan_name: string | undefined;
  tasks: PlanTask[];
  error: string | undefined;
  /** Problems with single tasks that were skipped or fields that were ignored, one sentence each. */
  warnings: string[];
}

/** The ids of `blocked_by` in any of its shapes (null, a string, an array; empty strings dropped). */
export function blockerIds(value: unknown): string[] {
  if (typeof value === "string") return value.trim() === "" ? [] : [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string" && v.trim() !== "");
  return [];
}

function texts(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
}

/**
 * Reads one plan file's text. Never throws: text that is not JSON, or JSON that is not an object,
 * gives `error` naming the file; a file without `tasks` (a pointer file such as current-task.json)
 * gives no tasks; a task without a string `id` is skipped with a warning; a wrong-typed optional
 * field is ignored with a warning. Ids are not yet qualified (see `readPlans`).
 */
export function parsePlanFile(path: string, text: string): PlanFileResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { path, plan_name: undefined, tasks: [], error: `${path} is not valid JSON (${e instanceof Error ? e.message : String(e)})`, warnings: [] };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json) || !Value.Check(PlanFileSchema, json)) {
    return { path, plan_name: undefined, tasks: [], error: `${path} is not a JSON object`, warnings: [] };
  }
  const file = json as { plan_name?: unknown; tasks?: unknown };
  const plan_name = typeof file.plan_name === "string" ? file.plan_name : undefined;
  const warnings: string[] = [];
  if (file.tasks === undefined || file.tasks === null) return { path, plan_name, tasks: [], error: undefined, warnings };
  if (!Array.isArray(file.tasks)) {
    return { path, plan_name, tasks: [], error: undefined, warnings: [`${path}: 'tasks' is not an array; no tasks read from it`] };
  }
  const tasks: PlanTask[] = [];
  file.tasks.forEach((raw: unknown, index: number) => {
    const t = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    if (typeof t.id !== "string" || t.id.trim() === "") {
      warnings.push(`${path}: tasks[${index}] has no string 'id'; skipped`);
      return;
    }
    const field = <K extends keyof PlanTaskJson>(key: K, ok: (v: unknown) => boolean): unknown => {
      const v = t[key];
      if (v === undefined || ok(v)) return v;
      warnings.push(`${path}: task '${t.id}' has a '${key}' of the wrong type; ignored`);
      return undefined;
    };
    const status = field("status", (v) => typeof v === "string") as string | undefined;
    const priority = field("priority", (v) => v === null || (typeof v === "number" && Number.isFinite(v))) as number | null | undefined;
    const blocked = field("blocked_by", (v) => Value.Check(BlockedBy, v));
    const name = field("name", (v) => typeof v === "string") as string | undefined;
    tasks.push({
      id: t.id,
      plain_id: t.id,
      file: path,
      index,
      name: name ?? t.id,
      status: status ?? "pending",
      priority: priority ?? undefined,
      blocked_by: blockerIds(blocked),
      steps: texts(field("steps", Array.isArray)),
      acceptance_criteria: texts(field("acceptance_criteria", Array.isArray)),
    });
  });
  return { path, plan_name, tasks, error: undefined, warnings };
}

/** Every plan file read, and their tasks with ids made unique. */
export interface Plans {
  files: PlanFileResult[];
  /** All tasks, files in path order, tasks in file order. */
  tasks: PlanTask[];
  /** Problems worth telling the reader: broken files, skipped tasks, qualified duplicate ids. */
  warnings: string[];
}

/** `context/plan.json` → `plan`. */
export function fileStem(path: string): string {
  return (path.split("/").pop() ?? path).replace(/\.json$/, "");
}

/**
 * Reads every plan file (`files`, sorted by path) with `parsePlanFile`. An id defined in several
 * files is qualified as `<file stem>/<id>` in each (so that each can be claimed), with a warning
 * saying so; a `blocked_by` naming such an id resolves to the task of the same file first.
 * A broken file is reported in `warnings` and the rest are still used (SPEC §6). Never throws.
 */
export function readPlans(files: readonly { path: string; text: string }[]): Plans {
  const results = files.map((f) => parsePlanFile(f.path, f.text));
  const warnings: string[] = [];
  for (const r of results) {
    if (r.error) warnings.push(`${r.error}; its tasks are not listed.`);
    warnings.push(...r.warnings);
  }
  const all = results.flatMap((r) => r.tasks);
  const byId = new Map<string, PlanTask[]>();
  for (const t of all) byId.set(t.plain_id, [...(byId.get(t.plain_id) ?? []), t]);
  for (const [id, defs] of byId) {
    const filesOf = [...new Set(defs.map((d) => d.file))];
    if (defs.length < 2) continue;
    for (const d of defs) d.id = `${fileStem(d.file)}/${id}`;
    warnings.push(`task id '${id}' is defined ${defs.length} times (${filesOf.join(", ")}); claim it as ${defs.map((d) => `'${d.id}'`).join(" or ")}.`);
  }
  for (const t of all) {
    t.blocked_by = t.blocked_by.map((b) => {
      const defs = byId.get(b);
      if (!defs || defs.length < 2) return b;
      return (defs.find((d) => d.file === t.file) ?? defs[0]!).id;
    });
  }
  return { files: results, tasks: all, warnings };
}

/**
 * The ids of the tasks a parsed plan file defines: `tasks[].id` strings, in file order. Files
 * without `tasks` (pointer files) and malformed entries give []. Never throws.
 */
export function taskIds(plan: unknown): string[] {
  if (typeof plan !== "object" || plan === null) return [];
  const tasks = (plan as { tasks?: unknown }).tasks;
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((t) => (typeof t === "object" && t !== null && typeof (t as { id?: unknown }).id === "string" ? [(t as { id: string }).id] : []));
}
