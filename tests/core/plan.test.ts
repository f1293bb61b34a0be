// Table-driven tests of the plan-file reader (src/core/plan.ts) over fixtures shaped like real plan files.
import { describe, expect, test } from "bun:test";
import { blockerIds, parsePlanFile, readPlans } from "../../src/core/plan.ts";

const task = (over: Record<string, unknown>) => ({ id: "t", name: "T", status: "pending", priority: 1, blocked_by: null, steps: ["s"], acceptance_criteria: ["a"], ...over });
const file = (tasks: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ plan_name: "P", last_updated: "2026-01-05", ...extra, tasks });

describe("parsePlanFile", () => {
  const rows: { name: string; text: string; tasks: Record<string, unknown>[]; error?: string; warnings?: string[] }[] = [
    {
      name: "a full task with every field",
      text: file([task({ id: "a", name: "Do A", priority: 2, steps: ["one", "two"], acceptance_criteria: ["works"] })]),
      tasks: [{ id: "a", name: "Do A", status: "pending", priority: 2, blocked_by: [], steps: ["one", "two"], acceptance_criteria: ["works"], index: 0 }],
    },
    { name: "a pointer file without tasks", text: JSON.stringify({ task: "a", plan: "context/plan.json", active_plan: "x", next_plan: null }), tasks: [] },
    { name: "tasks: null", text: JSON.stringify({ tasks: null }), tasks: [] },
    { name: "blocked_by as a string", text: file([task({ id: "b", blocked_by: "a" })]), tasks: [{ id: "b", blocked_by: ["a"] }] },
    { name: "blocked_by as an array", text: file([task({ id: "b", blocked_by: ["a", "c", ""] })]), tasks: [{ id: "b", blocked_by: ["a", "c"] }] },
    { name: "blocked_by missing", text: file([{ id: "b" }]), tasks: [{ id: "b", blocked_by: [], status: "pending", name: "b", priority: undefined, steps: [] }] },
    ...["pending", "in_progress", "complete", "deferred", "skipped", "review"].map((status) => ({
      name: `status ${status} kept as written`,
      text: file([task({ status })]),
      tasks: [{ status }],
    })),
    { name: "a missing priority", text: file([task({ priority: undefined })]), tasks: [{ priority: undefined }] },
    { name: "a null priority", text: file([task({ priority: null })]), tasks: [{ priority: undefined }] },
    {
      name: "a task without an id is skipped with a warning",
      text: file([task({ id: undefined }), task({ id: "ok" })]),
      tasks: [{ id: "ok", index: 1 }],
      warnings: ["context/p.json: tasks[0] has no string 'id'; skipped"],
    },
    {
      name: "a wrong-typed field is ignored with a warning",
      text: file([task({ id: "x", priority: "high", steps: "do it" })]),
      tasks: [{ id: "x", priority: undefined, steps: [] }],
      warnings: ["context/p.json: task 'x' has a 'priority' of the wrong type; ignored", "context/p.json: task 'x' has a 'steps' of the wrong type; ignored"],
    },
    { name: "steps that are objects are shown as JSON", text: file([task({ steps: [{ run: "make" }] })]), tasks: [{ steps: ['{"run":"make"}'] }] },
    { name: "tasks that is not an array", text: JSON.stringify({ tasks: { a: 1 } }), tasks: [], warnings: ["context/p.json: 'tasks' is not an array; no tasks read from it"] },
    { name: "not JSON", text: "{ tasks: [", tasks: [], error: "context/p.json is not valid JSON" },
    { name: "JSON that is not an object", text: "[1, 2]", tasks: [], error: "context/p.json is not a JSON object" },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const r = parsePlanFile("context/p.json", row.text);
      expect(r.tasks.length).toBe(row.tasks.length);
      row.tasks.forEach((want, i) => expect(r.tasks[i]).toMatchObject(want));
      if (row.error) expect(r.error).toStartWith(row.error);
      else expect(r.error).toBeUndefined();
      expect(r.warnings).toEqual(row.warnings ?? []);
    });
  }
});

test("blockerIds accepts null, a string or an array, and nothing else", () => {
  expect([blockerIds(null), blockerIds("a"), blockerIds(["a", 1, "b"]), blockerIds(5), blockerIds(undefined)]).toEqual([[], ["a"], ["a", "b"], [], []]);
});

describe("readPlans", () => {
  test("duplicate ids across files are qualified by file, said so, and blocked_by resolves to the same file first", () => {
    const plans = readPlans([
      { path: "context/a.json", text: file([task({ id: "setup" }), task({ id: "build", blocked_by: "setup" })]) },
      { path: "context/b.json", text: file([task({ id: "setup" }), task({ id: "ship", blocked_by: ["setup", "build"] })]) },
    ]);
    expect(plans.tasks.map((t) => [t.id, t.blocked_by])).toEqual([
      ["a/setup", []],
      ["build", ["a/setup"]],
      ["b/setup", []],
      ["ship", ["b/setup", "build"]],
    ]);
    expect(plans.warnings).toEqual(["task id 'setup' is defined 2 times (context/a.json, context/b.json); claim it as 'a/setup' or 'b/setup'."]);
  });

  test("a broken file is named and the good files are still read", () => {
    const plans = readPlans([
      { path: "context/bad.json", text: "{oops" },
      { path: "context/good.json", text: file([task({ id: "g1" }), task({ id: "g2" })]) },
      { path: "context/current-task.json", text: JSON.stringify({ task: "g1" }) },
    ]);
    expect(plans.tasks.map((t) => t.id)).toEqual(["g1", "g2"]);
    expect(plans.warnings.length).toBe(1);
    expect(plans.warnings[0]).toStartWith("context/bad.json is not valid JSON (");
    expect(plans.warnings[0]).toEndWith("; its tasks are not listed.");
  });
});
