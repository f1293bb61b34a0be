// Tests of message addressing (src/core/messages.ts): each address form, ambiguity, nobody matching, views, and the send and ack use cases.
import { describe, expect, test } from "bun:test";
import { claimTask, DEFAULT_POLICY } from "../../src/core/claims.ts";
import { CoordError } from "../../src/core/errors.ts";
import { ackMessages, type MessageTarget, messageView, resolveRecipients, sendMessage } from "../../src/core/messages.ts";
import { applyHeartbeat, DEFAULT_SESSION_POLICY, recordHeartbeat } from "../../src/core/sessions.ts";
import type { ClaimRecord } from "../../src/core/store.ts";
import { clockAt } from "../helpers/clock.ts";
import { MemoryStore } from "../helpers/memory-store.ts";

const T0 = Date.parse("2026-01-05T20:00:00Z");
const session = (id: string, branch: string) => applyHeartbeat(undefined, { repo: "o/r", session_id: id, branch, state: "working" }, T0);
const claim = (session_id: string, task_id: string, branch: string): ClaimRecord => ({ id: 1, repo: "o/r", session_id, task_id, branch, plan_file: "", fence: 1, claimed_at_ms: T0, completed_at_ms: null, completion_reason: null, outcome: null, pr_url: null });
const sessions = [session("aaaaaaaa-1-long-session-id", "claude/a"), session("aaaaaaaa-2-long-session-id", "claude/shared"), session("bbbbbbbb-1-long-session-id", "claude/shared")];
const active = [claim("aaaaaaaa-1-long-session-id", "task-a", "claude/a"), claim("cccccccc-1-long-session-id", "task-c", "claude/c")];

describe("resolveRecipients", () => {
  const rows: [string, MessageTarget, "broadcast" | string[] | string][] = [
    ["broadcast", { broadcast: true }, "broadcast"],
    ["to the session holding a task", { to_task: "task-a" }, ["aaaaaaaa-1-long-session-id"]],
    ["to a task nobody holds", { to_task: "task-z" }, "not_found"],
    ["to a branch with two sessions", { to_branch: "claude/shared" }, ["aaaaaaaa-2-long-session-id", "bbbbbbbb-1-long-session-id"]],
    ["to a branch known only from a claim", { to_branch: "claude/c" }, ["cccccccc-1-long-session-id"]],
    ["to a branch nobody is on", { to_branch: "claude/none" }, "not_found"],
    ["to a session prefix naming one session", { to_session: "bbbbbbbb" }, ["bbbbbbbb-1-long-session-id"]],
    ["to a session known only from its claim, by full id", { to_session: "cccccccc-1-long-session-id" }, ["cccccccc-1-long-session-id"]],
    ["to 9 leading characters of a known id (refused like any 9 characters)", { to_session: "cccccccc-" }, "invalid_request"],
    ["to 20 leading characters of a known id (not a full id)", { to_session: "cccccccc-1-long-sess" }, "not_found"],
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

describe("the send and ack use cases: one transaction each", () => {
  const A = "aaaaaaaa-1111-4111-8111-111111111111";
  const B = "bbbbbbbb-2222-4222-8222-222222222222";
  const policy = { claims: DEFAULT_POLICY, sessions: DEFAULT_SESSION_POLICY };
  const msg = (target: MessageTarget, from_session: string | null = A) => ({ repo: "o/r", from_session, target, subject: "s", body: "b" });

  test("sendMessage stores one message per recipient with a message event each, at the transaction's time; ackMessages marks the recipient's only", async () => {
    const store = new MemoryStore();
    await recordHeartbeat(store, { repo: "o/r", session_id: A, branch: "claude/a", state: "working" }, clockAt(T0));
    await claimTask(store, { repo: "o/r", session_id: B, task_id: "t-b", branch: "claude/b", plan_file: "" }, clockAt(T0), DEFAULT_POLICY);
    const sent = await sendMessage(store, msg({ to_task: "t-b" }), clockAt(T0 + 7), policy);
    expect([sent.recipients, sent.stored.map((m) => [m.to_session, m.created_at_ms - T0])]).toEqual([[B], [[B, 7]]]);
    expect(store.events.filter((e) => e.type === "message").map((e) => [e.at_ms - T0, (e.data as { to: string }).to])).toEqual([[7, "bbbbbbbb"]]);
    expect(await ackMessages(store, { repo: "o/r", session_id: A, ids: [sent.stored[0]!.id] }, clockAt(T0 + 8))).toBe(0);
    expect(await ackMessages(store, { repo: "o/r", session_id: B, ids: [sent.stored[0]!.id] }, clockAt(T0 + 8))).toBe(1);
  });

  test("a message to nobody stores nothing and logs no event; a claim past its TTL receives nothing", async () => {
    const store = new MemoryStore();
    await claimTask(store, { repo: "o/r", session_id: B, task_id: "t-b", branch: "claude/b", plan_file: "" }, clockAt(T0), DEFAULT_POLICY);
    const before = store.events.length;
    await expect(sendMessage(store, msg({ to_task: "nobody" }), clockAt(T0), policy)).rejects.toMatchObject({ code: "not_found" });
    await expect(sendMessage(store, msg({ to_task: "t-b" }), clockAt(T0 + DEFAULT_POLICY.claim_ttl_ms), policy)).rejects.toMatchObject({ code: "not_found" });
    expect([store.messages.length, store.events.length]).toEqual([0, before]);
  });
});
