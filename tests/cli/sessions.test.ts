// Tests of src/cli/sessions.ts's text: a spawned session's worktree path is printed under it.
import { expect, test } from "bun:test";
import { sessionsText } from "../../src/cli/sessions.ts";
import { FIXED_NOW, FIXED_STATE } from "../fixtures/board-state.ts";

test("a session with a worktree gets a 'Worktree:' line under its entry; one without gets none", () => {
  const sessions = FIXED_STATE.sessions.map((s) => (s.session === "aaaaaaaa" ? { ...s, worktree: "/srv/widgets-worktrees/task-a" } : s));
  const lines = sessionsText("acme/widgets", { sessions }, undefined, FIXED_NOW).split("\n");
  const a = lines.findIndex((l) => l.startsWith("- aaaaaaaa "));
  expect(lines[a + 1]).toBe("    Worktree: /srv/widgets-worktrees/task-a");
  expect(lines.filter((l) => l.includes("Worktree:"))).toEqual(["    Worktree: /srv/widgets-worktrees/task-a"]);
});
