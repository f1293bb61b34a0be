// Tests of src/cli/watch.ts's pure parts: a whole frame for the fixed state, event lines, aligned one-line columns.
import { expect, test } from "bun:test";
import { columns, describeEvent, frameJson, frameText, newNeeds, renderWatchFrame } from "../../src/cli/watch.ts";
import { FIXED_NOW, FIXED_STATE } from "../fixtures/board-state.ts";

test("a frame shows sessions (stuck first with reason, options and the answer command; stale marked), claims, completions with PRs, the human's messages and the last event", () => {
  const frame = renderWatchFrame({ ...FIXED_STATE, messages_of: "human" }, FIXED_NOW, "live; Ctrl-C to quit", { id: 12, type: "claimed", data: { session: "aaaaaaaa", task_id: "task-a" } });
  expect(frame).toBe(
    [
      "claude-coord watch: acme/widgets at 2026-01-05T20:00:00Z (live; Ctrl-C to quit)",
      "",
      "NEEDS YOU: 3",
      " !! STUCK       bbbbbbbb  task-b  for 12 min  claude-coord send --to-session bbbbbbbb --subject <text> --body <decision>",
      " !! PLAN READY  eeeeeeee  -       for 30 s    claude-coord approve eeeeeeee | claude-coord reject eeeeeeee --message <why>",
      " !! PR READY    cccccccc  task-c  for 30 min  https://github.com/acme/widgets/pull/42",
      "",
      "SESSIONS: 5 (1 stuck, 1 stale)",
      " !! STUCK              bbbbbbbb  claude/b  task-b  45%   12m ago",
      "        reason: Auth/Security decision needed",
      "        context: Token refresh approach unclear: sliding or fixed expiration?",
      "        options: 1. sliding  2. fixed  3. ask user preference",
      "        answer: claude-coord send --to-session bbbbbbbb --subject <text> --body <decision>",
      "    planning_complete  eeeeeeee  claude/e  -       -     30s ago  plan in context/e.md",
      "    working            aaaaaaaa  claude/a  task-a  80%   2m ago   tests passing | 2 left",
      "    complete           cccccccc  claude/c  task-c  100%  30m ago  PR https://github.com/acme/widgets/pull/42",
      "    working (STALE)    dddddddd  claude/d  task-d  -     45m ago",
      "",
      "ACTIVE CLAIMS: 3",
      "  task-a  aaaaaaaa  claude/a  since 2h 5m ago   fence 1",
      "  task-b  bbbbbbbb  claude/b  since 1h 50m ago  fence 3",
      "  task-d  dddddddd  claude/d  since 1h 30m ago  fence 4",
      "",
      "RECENTLY COMPLETED: 2",
      "  task-c  cccccccc  completed               30m ago  https://github.com/acme/widgets/pull/42",
      "  old-1   ffffffff  expired by an operator  8h ago",
      "",
      "RECENT MESSAGES: 3",
      "  #3  bbbbbbbb -> aaaaaaaa   40m ago  API contract",
      "  #5  cccccccc -> broadcast  29m ago  PR ready",
      "  #6  human -> aaaaaaaa      5m ago   Use sliding expiration",
      "",
      "Last event: #12 aaaaaaaa claimed task-a",
    ].join("\n"),
  );
});

test("read with a repo token (no messages) and empty, a frame says (none) in each part", () => {
  const empty = { ...FIXED_STATE, messages_of: null, claims: { active: [], recently_completed: [] }, sessions: [], messages: [] };
  expect(renderWatchFrame(empty, FIXED_NOW, "one frame: --once", undefined)).toBe(
    [
      "claude-coord watch: acme/widgets at 2026-01-05T20:00:00Z (one frame: --once)",
      "",
      "NEEDS YOU: 0",
      "  (nothing)",
      "",
      "SESSIONS: 0 (0 stuck, 0 stale)",
      "  (none in the last 24 hours)",
      "",
      "ACTIVE CLAIMS: 0",
      "  (none)",
      "",
      "RECENTLY COMPLETED: 0",
      "  (none)",
      "",
      "Last event: (none yet)",
    ].join("\n"),
  );
});

test("a failed refresh is shown below the frame; --json frames are one line each with the status and the last event", () => {
  const f = { state: { ...FIXED_STATE, messages_of: null, sessions: [], messages: [] }, now_ms: FIXED_NOW, status: "live", last_event: undefined, problem: "ERROR: x" };
  expect(frameText(f)).toEndWith("Last event: (none yet)\n\nERROR: x");
  const line = frameJson(f);
  expect(line).not.toContain("\n");
  expect(JSON.parse(line)).toMatchObject({ generated_at: "2026-01-05T20:00:00Z", status: "live", last_event: null, problem: "ERROR: x", repo: "acme/widgets", sessions: [] });
});

test("each event type is described in one line", () => {
  const rows: [string, Record<string, unknown>, string][] = [
    ["claimed", { session: "aaaaaaaa", task_id: "t" }, "#1 aaaaaaaa claimed t"],
    ["completed", { session: "aaaaaaaa", task_id: "t" }, "#1 aaaaaaaa completed t"],
    ["expired", { session: "aaaaaaaa", task_id: "t" }, "#1 claim on t expired"],
    ["heartbeat", { session: "aaaaaaaa", state: "working" }, "#1 aaaaaaaa is working"],
    ["message", { from: "human", to: "broadcast", subject: "hi" }, "#1 message from human to broadcast: hi"],
    ["message", { from: "human", to: "broadcast" }, "#1 message from human to broadcast"],
    ["other", {}, "#1 other"],
  ];
  for (const [type, data, text] of rows) expect(describeEvent({ id: 1, type, data })).toBe(text);
  expect(describeEvent({ id: 2, type: "claimed", data: "not an object" })).toBe("#2 ? claimed ?");
});

test("columns align cells two spaces apart, keep each cell on one line and trim trailing blanks", () => {
  expect(columns([["a", "bb", ""], ["ccc", "d\n  e", "f"]])).toEqual(["a    bb", "ccc  d e  f"]);
});

test("a spawned session's worktree path is shown under its row, before a stuck session's reason", () => {
  const sessions = FIXED_STATE.sessions.map((s) => (s.session === "aaaaaaaa" || s.session === "bbbbbbbb" ? { ...s, worktree: `/srv/w/${s.task_id}` } : s));
  const lines = renderWatchFrame({ ...FIXED_STATE, sessions }, FIXED_NOW, "live", undefined).split("\n");
  const b = lines.indexOf("SESSIONS: 5 (1 stuck, 1 stale)") + 1; // after the NEEDS YOU section
  expect(lines.slice(b, b + 2)).toEqual([" !! STUCK              bbbbbbbb  claude/b  task-b  45%   12m ago", "        worktree: /srv/w/task-b"]);
  const a = lines.findIndex((l) => l.includes("aaaaaaaa  claude/a"));
  expect(lines[a + 1]).toBe("        worktree: /srv/w/task-a");
});

test("live reservations get their own block, and reserve/unreserve events a line each", () => {
  const reservations = [{ id: 3, session: "aaaaaaaa", path: "src/ui/**", exclusive: true, reason: "frontend\nwork", keep: false, created_at: "2026-01-05T19:00:00Z", expires_at: "2026-01-05T23:00:00Z" }];
  const frame = renderWatchFrame({ ...FIXED_STATE, reservations }, FIXED_NOW, "live", undefined);
  expect(frame).toContain("\nRESERVATIONS: 1\n  src/ui/**  aaaaaaaa  exclusive  until 2026-01-05T23:00:00Z  frontend work\n");
  expect(renderWatchFrame({ ...FIXED_STATE, reservations: [] }, FIXED_NOW, "live", undefined)).not.toContain("RESERVATIONS");
  expect(describeEvent({ id: 7, type: "reserved", data: { session: "aaaaaaaa", reservations } })).toBe("#7 aaaaaaaa reserved src/ui/**");
  expect(describeEvent({ id: 8, type: "unreserved", data: { session: "aaaaaaaa", ids: [3], paths: ["src/ui/**"] } })).toBe("#8 aaaaaaaa released src/ui/**");
});

test("a new item in NEEDS YOU counts as fresh (the bell rings once); the first frame and a repeat ring nothing", () => {
  const first = newNeeds(null, FIXED_STATE);
  expect([first.fresh, first.keys.size]).toEqual([0, 3]);
  expect(newNeeds(first.keys, FIXED_STATE).fresh).toBe(0);
  const paused = { ...FIXED_STATE, sessions: FIXED_STATE.sessions.map((s) => (s.session === "aaaaaaaa" ? { ...s, state: "paused" as const } : s)) };
  expect(newNeeds(first.keys, paused).fresh).toBe(1);
});
