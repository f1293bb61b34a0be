// Table tests of src/core/notify.ts: which events notify, keys that make repeats identical, and the retry schedule.
import { describe, expect, test } from "bun:test";
import type { EventRecord, EventType } from "../../src/core/events.ts";
import { nextAttemptMs, notificationsOf, RETRY, staleNotification } from "../../src/core/notify.ts";

const ev = (type: EventType, data: Record<string, unknown>, id = 1): EventRecord => ({ id, repo: "o/r", type, data, at_ms: 0 });
const view = (state: string, extra: Record<string, unknown> = {}) => ({
  session: "aaaaaaaa",
  branch: "b",
  state,
  task_id: "t1",
  progress: null,
  note: null,
  stuck: null,
  pr_url: null,
  plan: null,
  first_seen: "2026-01-05T19:00:00Z",
  last_heartbeat: "2026-01-05T20:00:00Z",
  state_since: "2026-01-05T20:00:00Z",
  stale: false,
  ...extra,
});
const AT = "2026-01-05T20:00:00Z";

describe("notificationsOf", () => {
  const rows: [string, EventRecord, string[]][] = [
    ["stuck", ev("heartbeat", view("stuck", { stuck: { reason: "db?", context: null, options: [] } })), ["stuck"]],
    ["planning_complete", ev("heartbeat", view("planning_complete", { plan: "p" })), ["plan_ready"]],
    ["complete with a PR", ev("heartbeat", view("complete", { pr_url: "https://x/pull/1" })), ["pr_ready"]],
    ["complete without a PR", ev("heartbeat", view("complete")), []],
    ["working", ev("heartbeat", view("working")), []],
    ["paused", ev("heartbeat", view("paused")), []],
    ["claimed", ev("claimed", { session: "aaaaaaaa", task_id: "t1", fence: 7 }), ["claimed"]],
    ["completed", ev("completed", { session: "aaaaaaaa", task_id: "t1", fence: 7 }), ["completed"]],
    ["completed with a PR (complete --pr)", ev("completed", { session: "aaaaaaaa", task_id: "t1", fence: 7, pr_url: "https://x/pull/1" }), ["completed", "pr_ready"]],
    ["expired", ev("expired", { session: "aaaaaaaa", task_id: "t1", fence: 7 }), []],
    ["a message to the human", ev("message", { id: 4, from: "aaaaaaaa", to: "human", subject: "help" }), ["message_to_human"]],
    ["a message to a session", ev("message", { id: 5, from: "human", to: "aaaaaaaa", subject: "hi" }), []],
  ];
  for (const [name, e, kinds] of rows) {
    test(`${name} → ${kinds.join(", ") || "nothing"}`, () => {
      expect(notificationsOf(e, AT).map((n): string => n.kind)).toEqual(kinds);
    });
  }

  test("a repeated heartbeat in the same state has the same key; a new entry into the state a new one", () => {
    const key = (extra: Record<string, unknown>) => notificationsOf(ev("heartbeat", view("stuck", { stuck: { reason: "r" }, ...extra })), AT)[0]!.key;
    expect(key({ last_heartbeat: "2026-01-05T20:05:00Z" })).toBe(key({}));
    expect(key({ state_since: "2026-01-05T21:00:00Z" })).not.toBe(key({}));
    const pr = (url: string) => notificationsOf(ev("heartbeat", view("complete", { pr_url: url })), AT)[0]!.key;
    expect(pr("https://x/pull/1")).toBe(pr("https://x/pull/1"));
    expect(pr("https://x/pull/2")).not.toBe(pr("https://x/pull/1"));
    const viaComplete = notificationsOf(ev("completed", { session: "aaaaaaaa", task_id: "t1", fence: 7, pr_url: "https://x/pull/1" }), AT)[1]!.key;
    expect(viaComplete).toBe(pr("https://x/pull/1"));
  });

  test("texts name the repo, the session prefix and what the human can do", () => {
    expect(notificationsOf(ev("heartbeat", view("planning_complete")), AT)[0]!.text).toBe(
      "o/r: session aaaaaaaa (task t1) has a plan ready for review: claude-coord approve aaaaaaaa | claude-coord reject aaaaaaaa --message <why>",
    );
    const pr = notificationsOf(ev("heartbeat", view("complete", { pr_url: "https://x/pull/1" })), AT)[0]!;
    expect([pr.text, pr.url]).toEqual(["o/r: session aaaaaaaa (task t1) has a pull request ready: https://x/pull/1", "https://x/pull/1"]);
  });

  test("stale is keyed by the last heartbeat, so each silence notifies once", () => {
    const v = { ...view("working"), stale: true } as Parameters<typeof staleNotification>[1];
    expect(staleNotification("o/r", v, AT).key).toBe("stale:aaaaaaaa:2026-01-05T20:00:00Z");
  });
});

describe("nextAttemptMs", () => {
  test("1 s after the first failure, doubling, at most an hour apart, and none past 24 h", () => {
    const created = 0;
    expect(nextAttemptMs(1, created, 0)).toBe(1000);
    expect(nextAttemptMs(2, created, 1000)).toBe(3000);
    expect(nextAttemptMs(3, created, 3000)).toBe(7000);
    expect(nextAttemptMs(20, created, 10_000_000)).toBe(10_000_000 + RETRY.max_ms);
    expect(nextAttemptMs(30, created, RETRY.give_up_ms - RETRY.max_ms)).toBe(RETRY.give_up_ms);
    expect(nextAttemptMs(30, created, RETRY.give_up_ms - RETRY.max_ms + 1)).toBeNull();
  });
});
