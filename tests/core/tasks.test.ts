// Tests of task discovery (src/core/tasks.ts): available, claimed, blocked, plan statuses and recent completions.
import { describe, expect, test } from "bun:test";
import type { ClaimsListing } from "../../src/core/claims.ts";
import { readPlans } from "../../src/core/plan.ts";
import { discoverTasks } from "../../src/core/tasks.ts";

const plans = (tasks: Record<string, unknown>[], more: { path: string; text: string }[] = []) =>
  readPlans([{ path: "context/plan.json", text: JSON.stringify({ tasks }) }, ...more]);
const active = (task_id: string, session = "aaaaaaaa") => ({ session, task_id, branch: `claude/${task_id}`, plan_file: "context/plan.json", claimed_at: "2026-01-05T20:00:00Z", fence: 1 });
const done = (task_id: string) => ({ ...active(task_id), completed_at: "2026-01-05T21:00:00Z", completion_reason: "client_completed" as const, outcome: "done" as const, pr_url: null });
const freed = (task_id: string, completion_reason: "released" | "admin_expired" | "branch_removed", completed_at = "2026-01-05T21:00:00Z") => ({
  ...active(task_id),
  completed_at,
  completion_reason,
  outcome: "freed" as const,
  pr_url: null,
});
const none: ClaimsListing = { active: [], recently_completed: [] };

describe("discoverTasks follows outcomes (SPEC §10)", () => {
  for (const reason of ["released", "admin_expired", "branch_removed"] as const) {
    test(`a task freed by ${reason} is available again at once and its dependents stay blocked`, () => {
      const d = discoverTasks(plans([{ id: "t" }, { id: "dep", blocked_by: "t" }]), { active: [], recently_completed: [freed("t", reason)] }, undefined);
      expect(d.available.map((t) => t.id)).toEqual(["t"]);
      expect(d.blocked.map((t) => [t.id, t.blocked_by])).toEqual([["dep", ["t"]]]);
      expect(d.by_status).toEqual({});
    });
  }

  test("a task freed and then completed as done counts as done (the newest completion decides)", () => {
    const listing = { active: [], recently_completed: [freed("t", "released", "2026-01-05T20:30:00Z"), done("t")] };
    const d = discoverTasks(plans([{ id: "t" }, { id: "dep", blocked_by: "t" }]), listing, undefined);
    expect(d.available.map((t) => t.id)).toEqual(["dep"]);
    expect(d.by_status).toEqual({ complete: [{ id: "t", name: "t", file: "context/plan.json", priority: undefined, status: "complete" }] });
  });
});

describe("discoverTasks", () => {
  test("available tasks sort by priority (none last), then file order", () => {
    const p = readPlans([
      { path: "context/a.json", text: JSON.stringify({ tasks: [{ id: "a-nopri" }, { id: "a-3", priority: 3 }, { id: "a-1", priority: 1 }] }) },
      { path: "context/b.json", text: JSON.stringify({ tasks: [{ id: "b-1", priority: 1 }, { id: "b-nopri" }] }) },
    ]);
    expect(discoverTasks(p, none, undefined).available.map((t) => t.id)).toEqual(["a-1", "b-1", "a-3", "a-nopri", "b-nopri"]);
  });

  test("a claimed task is listed with its holder, marked when it is this session's, and ad-hoc claims too", () => {
    const d = discoverTasks(plans([{ id: "x" }, { id: "y" }]), { active: [active("x", "bbbbbbbb"), active("hotfix", "aaaaaaaa")], recently_completed: [] }, "aaaaaaaa-full-id");
    expect(d.available.map((t) => t.id)).toEqual(["y"]);
    expect(d.claimed.map((t) => [t.id, t.session, t.branch, t.yours])).toEqual([
      ["x", "bbbbbbbb", "claude/x", false],
      ["hotfix", "aaaaaaaa", "claude/hotfix", true],
    ]);
  });

  const blocking: { name: string; blocker: Record<string, unknown>; listing?: ClaimsListing; blocked: boolean }[] = [
    { name: "a pending blocker blocks", blocker: { id: "b" }, blocked: true },
    { name: "an in_progress blocker blocks", blocker: { id: "b", status: "in_progress" }, blocked: true },
    { name: "a deferred blocker blocks", blocker: { id: "b", status: "deferred" }, blocked: true },
    { name: "a complete blocker does not block", blocker: { id: "b", status: "complete" }, blocked: false },
    { name: "a skipped blocker does not block", blocker: { id: "b", status: "skipped" }, blocked: false },
    { name: "a blocker the service lists as recently completed does not block", blocker: { id: "b" }, listing: { active: [], recently_completed: [done("b")] }, blocked: false },
  ];
  for (const row of blocking) {
    test(row.name, () => {
      const d = discoverTasks(plans([{ id: "t", blocked_by: ["b"] }, row.blocker]), row.listing ?? none, undefined);
      expect(d.blocked.map((t) => [t.id, t.blocked_by])).toEqual(row.blocked ? [["t", ["b"]]] : []);
      expect(d.available.some((t) => t.id === "t")).toBe(!row.blocked);
    });
  }

  test("a blocked_by naming no known task does not block and is warned about", () => {
    const d = discoverTasks(plans([{ id: "t", blocked_by: "ghost" }]), none, undefined);
    expect(d.available.map((t) => t.id)).toEqual(["t"]);
    expect(d.warnings).toEqual(["task 't' (context/plan.json) is blocked_by 'ghost', which no plan file defines; not blocking on it."]);
  });

  test("plan statuses are listed under their status, unknown ones as written; a task the service completed counts as done", () => {
    const d = discoverTasks(
      plans([{ id: "p1" }, { id: "ip", status: "in_progress" }, { id: "c", status: "complete" }, { id: "df", status: "deferred" }, { id: "sk", status: "skipped" }, { id: "rv", status: "review" }, { id: "merged" }]),
      { active: [], recently_completed: [done("merged")] },
      undefined,
    );
    expect(d.available.map((t) => t.id)).toEqual(["p1"]);
    expect(Object.fromEntries(Object.entries(d.by_status).map(([k, v]) => [k, v.map((t) => t.id)]))).toEqual({
      in_progress: ["ip"],
      complete: ["c", "merged"],
      deferred: ["df"],
      skipped: ["sk"],
      review: ["rv"],
    });
    expect(d.recently_completed.map((c) => c.task_id)).toEqual(["merged"]);
  });

  test("with claims unknown nothing counts as claimed and claims_known is false", () => {
    const d = discoverTasks(plans([{ id: "a" }]), undefined, undefined);
    expect([d.claims_known, d.available.map((t) => t.id), d.claimed]).toEqual([false, ["a"], []]);
  });
});
