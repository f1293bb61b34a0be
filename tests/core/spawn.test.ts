// Tests of src/core/spawn.ts: branch and path names of a task, the worker prompt, and the prune decision table.
import { describe, expect, test } from "bun:test";
import type { ClaimsListing } from "../../src/core/claims.ts";
import { type PruneFacts, promptText, pruneDecision, spawnBranch, taskSlug } from "../../src/core/spawn.ts";
import { isValidRefName } from "../../src/git/refs.ts";

describe("names", () => {
  const rows: [string, string, string][] = [
    ["task-1", "task-1", "claude/task-1"],
    ["plan/x", "plan-x", "claude/plan/x"],
    ["a b..c", "a-b..c", "claude/a-b-c"],
    ["..", "-", "claude/-"],
    ["x.lock", "x.lock", "claude/x-lock"],
    ["fix:crash~1", "fix-crash-1", "claude/fix-crash-1"],
  ];
  for (const [id, slug, branch] of rows) {
    test(`task '${id}' gets the worktree folder '${slug}' and the branch '${branch}'`, () => {
      expect(taskSlug(id)).toBe(slug);
      expect(spawnBranch("claude/", id, isValidRefName)).toBe(branch);
    });
  }

  test("a configured prefix is used as is", () => {
    expect(spawnBranch("work/", "t1", isValidRefName)).toBe("work/t1");
    expect(spawnBranch("", "t1", isValidRefName)).toBe("t1");
  });
});

describe("promptText", () => {
  const base = {
    repo: "acme/widgets",
    task_id: "task-1",
    branch: "claude/task-1",
    worktree: "/srv/widgets-worktrees/task-1",
    session: "0f3c2a1b",
    fence: 7,
    base_ref: "origin/main",
    base_sha: "a".repeat(40),
    main_branch: "main",
  };

  test("it carries the task's name, numbered steps and acceptance criteria, and the whole workflow", () => {
    const text = promptText({ ...base, task: { name: "Add export", file: "context/plan.json", steps: ["write it", "test it"], acceptance_criteria: ["exports CSV"] } });
    expect(text.split("\n").slice(0, 1)).toEqual(["# Task task-1: Add export"]);
    expect(text).toContain("## Steps\n\n1. write it\n2. test it\n");
    expect(text).toContain("## Acceptance criteria\n\n- exports CSV\n");
    expect(text).toContain("- Branch: claude/task-1 (created from origin/main at aaaaaaaaaaaa)");
    expect(text).toContain("task `task-1` is already claimed for this session (fence 7)");
    for (const cmd of [
      "claude-coord heartbeat --state planning",
      "claude-coord inbox --unread --ack",
      "claude-coord stuck --reason",
      "git push -u origin claude/task-1",
      `claude-coord reserve '<path or glob>' --reason "task-1"`,
      "claude-coord unreserve --all",
      "claude-coord heartbeat --state complete --task task-1 --pr <pull request URL>",
      "claude-coord complete --task task-1 --pr <pull request URL>",
      "claude-coord release --task task-1",
    ]) {
      expect(text).toContain(cmd);
    }
    expect(text).toContain("Never merge it yourself");
  });

  test("an ad-hoc task says that no plan file defines it and asks the worker to plan its steps", () => {
    const text = promptText({ ...base, task: undefined });
    expect(text).toStartWith("# Task task-1: (ad-hoc task: no plan file defines it)\n");
    expect(text).toContain("- Plan file: (none)");
    expect(text).toContain("(the plan gives no steps");
  });
});

describe("pruneDecision", () => {
  const S = "0f3c2a1b-aaaa-4bbb-8ccc-123456789abc";
  const active: ClaimsListing = { active: [{ session: "0f3c2a1b", task_id: "t1", branch: "claude/t1", plan_file: "", claimed_at: "2026-01-05T20:00:00Z", fence: 1 }], recently_completed: [] };
  const completed = (outcome?: "done" | "freed"): ClaimsListing => ({
    active: [],
    recently_completed: [
      { session: "0f3c2a1b", task_id: "t1", branch: "claude/t1", plan_file: "", claimed_at: "2026-01-05T20:00:00Z", completed_at: "2026-01-05T21:00:00Z", completion_reason: "client_completed", fence: 1, ...(outcome ? { outcome } : {}) },
    ],
  });
  const facts = (over: Partial<PruneFacts>): PruneFacts => ({ task_id: "t1", branch: "claude/t1", session_ids: [S, "0f3c2a1b"], listing: active, merged: false, main_ref: "origin/main", uncommitted: [], unpushed: 0, is_current: false, ...over });

  const rows: [string, Partial<PruneFacts>, ReturnType<typeof pruneDecision>][] = [
    ["a held claim on an unmerged branch is kept", {}, { action: "keep", why: "its claim on t1 is still active and the branch is not merged" }],
    ["a completed claim is removed, its outcome named", { listing: completed("done") }, { action: "remove", why: "its claim ended (done, client_completed at 2026-01-05T21:00:00Z)" }],
    ["without outcome (older service) a completed claim still counts as ended", { listing: completed() }, { action: "remove", why: "its claim ended (client_completed at 2026-01-05T21:00:00Z)" }],
    ["a claim the service forgot counts as ended", { listing: { active: [], recently_completed: [] } }, { action: "remove", why: "its session 0f3c2a1b holds no active claim on t1 any more" }],
    [
      "a claim now held by another session on another branch counts as ended for this worktree",
      { listing: { active: [{ ...active.active[0]!, session: "99999999", branch: "claude/other" }], recently_completed: [] } },
      { action: "remove", why: "its session 0f3c2a1b holds no active claim on t1 any more" },
    ],
    [
      "a new session saved in the worktree that has not taken the claim over does not end it: the spawned session still holds it",
      { session_ids: ["77777777-aaaa-4bbb-8ccc-123456789abc", "0f3c2a1b"] },
      { action: "keep", why: "its claim on t1 is still active and the branch is not merged" },
    ],
    [
      "a claim on the worktree's branch is its claim, whoever holds it",
      { session_ids: ["77777777-aaaa-4bbb-8ccc-123456789abc"], listing: { active: [{ ...active.active[0]!, session: "55555555" }], recently_completed: [] } },
      { action: "keep", why: "its claim on t1 is still active and the branch is not merged" },
    ],
    ["a merged branch is removed even while the claim is held", { merged: true }, { action: "remove", why: "its branch is merged into origin/main" }],
    ["both reasons are named", { merged: true, listing: completed("done") }, { action: "remove", why: "its claim ended (done, client_completed at 2026-01-05T21:00:00Z) and its branch is merged into origin/main" }],
    ["unknown claims and an unmerged branch: kept", { listing: undefined }, { action: "keep", why: "the claims are unknown (service unavailable) and the branch is not merged" }],
    ["unknown claims and a merged branch: removed", { listing: undefined, merged: true }, { action: "remove", why: "its branch is merged into origin/main" }],
    [
      "uncommitted changes refuse, naming the files",
      { listing: completed("freed"), uncommitted: ["wip.txt", "src/a.ts"] },
      { action: "refuse", why: "its claim ended (freed, client_completed at 2026-01-05T21:00:00Z)", problems: ["2 uncommitted changes (wip.txt, src/a.ts)"] },
    ],
    ["unpushed commits refuse", { merged: true, unpushed: 1 }, { action: "refuse", why: "its branch is merged into origin/main", problems: ["1 unpushed commit (on no remote and not in origin/main)"] }],
    ["prune running inside the worktree refuses", { merged: true, is_current: true }, { action: "refuse", why: "its branch is merged into origin/main", problems: ["prune runs inside it"] }],
    ["a kept worktree is kept whatever it holds", { uncommitted: ["x"], unpushed: 3 }, { action: "keep", why: "its claim on t1 is still active and the branch is not merged" }],
  ];
  for (const [name, over, want] of rows) test(name, () => expect(pruneDecision(facts(over))).toEqual(want));

  test("more than five uncommitted files are cut off with '...'", () => {
    const d = pruneDecision(facts({ merged: true, uncommitted: ["a", "b", "c", "d", "e", "f"] }));
    expect(d).toEqual({ action: "refuse", why: "its branch is merged into origin/main", problems: ["6 uncommitted changes (a, b, c, d, e, ...)"] });
  });
});
