// Tests of src/git/spawn-record.ts: records found only where spawn wrote them, the exclude line added once, the main checkout's root.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { excludeWorkerDir, listSpawnRecords, mainCheckoutRoot, writePrompt, writeSpawnRecord } from "../../src/git/spawn-record.ts";
import { tempDir } from "../helpers/e2e.ts";

let dir: string;
beforeEach(() => {
  dir = tempDir("spawn-record");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rec = (task_id: string) => ({ task_id, branch: `claude/${task_id}`, worktree: `/w/${task_id}`, base_sha: "a".repeat(40), spawned_at: "2026-01-05T20:00:00Z" });

test("records are listed by task id; a worktree without one, or with a broken one, is not spawn's and is left out", () => {
  const common = join(dir, ".git");
  for (const name of ["b", "a", "other", "broken", "partial"]) mkdirSync(join(common, "worktrees", name), { recursive: true });
  writeSpawnRecord(join(common, "worktrees", "b"), rec("task-b"));
  writeSpawnRecord(join(common, "worktrees", "a"), rec("task-a"));
  writeFileSync(join(common, "worktrees", "broken", "claude-coord-spawn.json"), "{ not json");
  writeFileSync(join(common, "worktrees", "partial", "claude-coord-spawn.json"), JSON.stringify({ task_id: "x" }));
  expect(listSpawnRecords(common).map((f) => [f.record.task_id, f.head_gitdir])).toEqual([
    ["task-a", join(common, "worktrees", "a")],
    ["task-b", join(common, "worktrees", "b")],
  ]);
  expect(listSpawnRecords(join(dir, "nothing"))).toEqual([]);
});

test("the exclude line is added once, after what the file holds, and the prompt is written into the worker folder", () => {
  const common = join(dir, ".git");
  mkdirSync(join(common, "info"), { recursive: true });
  writeFileSync(join(common, "info", "exclude"), "*.log");
  excludeWorkerDir(common);
  excludeWorkerDir(common);
  expect(readFileSync(join(common, "info", "exclude"), "utf8")).toBe("*.log\n# claude-coord spawn: worker prompt and log\n/.claude-coord/\n");
  const file = writePrompt(join(dir, "wt"), "# Task\n");
  expect([file, readFileSync(file, "utf8")]).toEqual([join(dir, "wt", ".claude-coord", "prompt.md"), "# Task\n"]);
});

test("the main checkout is the folder of a common git dir named .git, else the checkout's own root", () => {
  expect(mainCheckoutRoot({ root: "/w/task-1", gitdir: "/src/widgets/.git" })).toBe("/src/widgets");
  expect(mainCheckoutRoot({ root: "/w/task-1", gitdir: "/srv/widgets.git" })).toBe("/w/task-1");
});
