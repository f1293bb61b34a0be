// Tests of src/cli/spawn.ts's pure parts: --count, the worker's environment, the table.
import { expect, test } from "bun:test";
import { parseCount, spawnTable, workerEnv } from "../../src/cli/spawn.ts";
import { CoordError } from "../../src/core/errors.ts";

test("--count takes 1 to 50 (default 1); anything else is a usage error naming the flag", () => {
  expect([parseCount(undefined), parseCount("1"), parseCount(" 7 "), parseCount("50")]).toEqual([1, 1, 7, 50]);
  for (const bad of ["0", "51", "-1", "2.5", "three", ""]) {
    let err: unknown;
    try {
      parseCount(bad);
    } catch (e) {
      err = e;
    }
    expect([bad, (err as CoordError).code, (err as CoordError).details.field]).toEqual([bad, "usage_error", "count"]);
  }
});

test("the worker's environment drops every session-id variable and CLAUDE_ENV_FILE, keeps the rest, and names the prompt", () => {
  const env = workerEnv(
    {
      PATH: "/bin",
      CLAUDE_COORD_URL: "http://127.0.0.1:1",
      CLAUDE_COORD_SESSION_ID: "orchestrator-0000000",
      CLAUDE_CODE_SESSION_ID: "orchestrator-claude-1",
      CODEX_SESSION_ID: "codex-1234567890",
      CLAUDE_ENV_FILE: "/tmp/env",
      UNSET: undefined,
    },
    "/w/.claude-coord/prompt.md",
  );
  expect(env).toEqual({ PATH: "/bin", CLAUDE_COORD_URL: "http://127.0.0.1:1", CLAUDE_COORD_PROMPT_FILE: "/w/.claude-coord/prompt.md" });
});

test("the table has one aligned row per worker under TASK, BRANCH, WORKTREE, SESSION", () => {
  const w = (task_id: string, worktree: string) => ({ task_id, branch: `claude/${task_id}`, worktree, session: "0f3c2a1b", session_file: "", fence: 1, plan_file: "", prompt_file: "", log_file: null, pid: null });
  expect(spawnTable([w("a", "/w/a"), w("longer-id", "/worktrees/longer-id")])).toEqual([
    "TASK       BRANCH            WORKTREE              SESSION",
    "a          claude/a          /w/a                  0f3c2a1b",
    "longer-id  claude/longer-id  /worktrees/longer-id  0f3c2a1b",
  ]);
});
