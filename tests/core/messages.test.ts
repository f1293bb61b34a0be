// Tests of message addressing (src/core/messages.ts): each address form, ambiguity, nobody matching, and views.
import { describe, expect, test } from "bun:test";
import { CoordError } from "../../src/core/errors.ts";
import { type MessageTarget, messageView, resolveRecipients } from "../../src/core/messages.ts";
import { applyHeartbeat } from "../../src/core/sessions.ts";
import type { ClaimRecord } from "../../src/core/store.ts";

const T0 = Date.parse("2026-01-05T20:00:00Z");
const session = (id: string, branch: string) => applyHeartbeat(undefined, { repo: "o/r", session_id: id, branch, state: "working" }, T0);
const claim = (session_id: string, task_id: string, branch: string): ClaimRecord => ({ id: 1, repo: "o/r", session_id, task_id, branch, plan_file: "", fence: 1, claimed_at_ms: T0, completed_at_ms: null, completion_reason: null });
const sessions = [session("aaaaaaaa-1", "claude/a"), session("aaaaaaaa-2", "claude/shared"), session("bbbbbbbb-1", "claude/shared")];
const active = [claim("aaaaaaaa-1", "task-a", "claude/a"), claim("cccccccc-1", "task-c", "claude/c")];

describe("resolveRecipients", () => {
  const rows: [string, MessageTarget, "broadcast" | string[] | string][] = [
    ["broadcast", { broadcast: true }, "broadcast"],
    ["to the session holding a task", { to_task: "task-a" }, ["aaaaaaaa-1"]],
    ["to a task nobody holds", { to_task: "task-z" }, "not_found"],
    ["to a branch with two sessions", { to_branch: "claude/shared" }, ["aaaaaaaa-2", "bbbbbbbb-1"]],
    ["to a branch known only from a claim", { to_branch: "claude/c" }, ["cccccccc-1"]],
    ["to a branch nobody is on", { to_branch: "claude/none" }, "not_found"],
    ["to a session prefix naming one session", { to_session: "bbbbbbbb" }, ["bbbbbbbb-1"]],
    ["to a session known only from its claim", { to_session: "cccccccc-1" }, ["cccccccc-1"]],
    ["to an ambiguous prefix", { to_session: "aaaaaaaa" }, "ambiguous"],
    ["to a prefix under 8 characters", { to_session: "bbbb" }, "invalid_request"],
    ["to a prefix nobody has", { to_session: "dddddddd" }, "not_found"],
  ];
  for (const [name, target, want] of rows) {
    test(name, () => {
      let got: unknown;
      try {
        got = resolveRecipients(target, sessions, active);
      } catch (e) {
        got = (e as CoordError).code;
      }
      expect(Array.isArray(got) ? [...(got as string[])].sort() : got).toEqual(want);
    });
  }
});

test("views show prefixes, human and broadcast, never full ids", () => {
  const v = messageView({ id: 3, repo: "o/r", from_session: null, to_session: "aaaaaaaa-1234", subject: "s", body: "b", created_at_ms: T0 }, false);
  expect(v).toEqual({ id: 3, from: "human", to: "aaaaaaaa", subject: "s", body: "b", sent_at: "2026-01-05T20:00:00Z", read: false });
  expect(messageView({ id: 4, repo: "o/r", from_session: "bbbbbbbb-99", to_session: null, subject: "s", body: "b", created_at_ms: T0 }, true)).toMatchObject({ from: "bbbbbbbb", to: "broadcast", read: true });
});
