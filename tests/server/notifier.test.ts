// Tests of src/server/notifier.ts with a fake clock, real SQLite and a receiver on 127.0.0.1: filters, once per target across two processes' stores, retries, giving up, stale sessions.
import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimTask, DEFAULT_POLICY } from "../../src/core/claims.ts";
import { DEFAULT_SESSION_POLICY, type HeartbeatInput, recordHeartbeat } from "../../src/core/sessions.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type NotifierDeps, runNotifier, type NotifyTarget } from "../../src/server/notifier.ts";
import { createEventLog, createSessionStore } from "../../src/storage/activity-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { createNotifyStore } from "../../src/storage/notify-store.ts";

setDefaultTimeout(30_000);
const T0 = Date.parse("2026-01-05T20:00:00Z");
let dir: string;
let db: CoordDatabase;
let now: number;
let answers: number[];
let got: Array<{ body: string }>;
let server: ReturnType<typeof Bun.serve>;
let logs: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-notifier-"));
  db = openDatabase(join(dir, "coord.db"));
  now = T0;
  answers = [];
  got = [];
  logs = [];
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push({ body: await req.text() });
      return new Response("", { status: answers.shift() ?? 200 });
    },
  });
});
afterEach(() => {
  server.stop(true);
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const url = () => `http://127.0.0.1:${server.port}/hook`;
function deps(targets: NotifyTarget[], on: CoordDatabase = db): NotifierDeps {
  return {
    targets,
    repos: ["o/r", "o/other"],
    events: createEventLog(on),
    sessions: createSessionStore(on),
    session_policy: DEFAULT_SESSION_POLICY,
    store: createNotifyStore(on),
    start_after_id: 0,
    clock: () => now,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
  };
}
/** Records a heartbeat as the route does: the session stored and its view logged as an event. */
function beat(repo: string, session_id: string, hb: Omit<HeartbeatInput, "repo" | "session_id" | "branch">) {
  return recordHeartbeat(createClaimStore(db), { repo, session_id, branch: "b", ...hb }, () => now);
}
const kinds = () => got.map((g) => (JSON.parse(g.body) as { type: string; data: { repo: string } }).type.replace("claude-coord.", ""));

test("a target gets only its events and its repos; a repeated heartbeat in the same state adds nothing", async () => {
  const d = deps([{ url: url(), format: "json", events: ["stuck", "claimed"], repos: ["o/r"] }]);
  await beat("o/r", "aaaaaaaa-1111-2222", { state: "stuck", stuck: { reason: "r" } });
  await beat("o/r", "aaaaaaaa-1111-2222", { state: "stuck", stuck: { reason: "r" } });
  await beat("o/r", "aaaaaaaa-1111-2222", { state: "planning_complete" });
  await beat("o/other", "bbbbbbbb-1111-2222", { state: "stuck", stuck: { reason: "r" } });
  await claimTask(createClaimStore(db), { repo: "o/r", session_id: "cccccccc-1111-2222", task_id: "t", branch: "b", plan_file: "" }, () => now, DEFAULT_POLICY);
  expect(await runNotifier(d)).toBe(2);
  expect(await runNotifier(d)).toBe(0);
  expect(kinds()).toEqual(["stuck", "claimed"]);
  expect((await d.store.list()).map((r) => [r.kind, r.status, r.attempts])).toEqual([
    ["stuck", "delivered", 1],
    ["claimed", "delivered", 1],
  ]);
});

test("two processes on one database file deliver each notification once", async () => {
  const other = openDatabase(join(dir, "coord.db"));
  try {
    const targets: NotifyTarget[] = [{ url: url(), format: "slack", events: ["stuck", "plan_ready", "pr_ready"] }];
    for (let i = 0; i < 10; i++) await beat("o/r", `s${i}ssssss-1111-2222`, { state: "stuck", stuck: { reason: `r${i}` } });
    const [a, b] = await Promise.all([runNotifier(deps(targets)), runNotifier(deps(targets, other))]);
    expect(a + b).toBe(10);
    expect(got.length).toBe(10);
    expect(new Set(got.map((g) => g.body)).size).toBe(10);
  } finally {
    other.close();
  }
});

test("failures retry after 1 s, then 2 s, ...; after 24 h the delivery is given up and logged without the URL", async () => {
  const d = deps([{ url: url(), format: "discord", events: ["stuck"] }]);
  answers = Array(100).fill(500);
  await beat("o/r", "aaaaaaaa-1111-2222", { state: "stuck", stuck: { reason: "r" } });
  expect(await runNotifier(d)).toBe(0);
  expect(got.length).toBe(1);
  now += 999;
  await runNotifier(d);
  expect(got.length).toBe(1);
  now += 1;
  await runNotifier(d);
  expect(got.length).toBe(2);
  now += 2000;
  await runNotifier(d);
  expect(got.length).toBe(3);
  for (let i = 0; i < 40 && (await d.store.list())[0]!.status === "pending"; i++) {
    now += 3_600_000;
    await runNotifier(d);
  }
  const [row] = await d.store.list();
  expect(row!.status).toBe("failed");
  expect(got.length).toBeLessThan(40);
  expect(logs.at(-1)).toMatch(/^notify: stuck for o\/r session aaaaaaaa to notify\[0\] \(discord\) failed \(HTTP 500, attempt \d+\); giving up after 24 h$/);
  expect(logs.join("\n")).not.toContain(url());
});

test("a repo without a cursor starts at start_after_id: earlier events are not replayed", async () => {
  await beat("o/r", "aaaaaaaa-1111-2222", { state: "stuck", stuck: { reason: "old" } });
  const d = { ...deps([{ url: url(), format: "json", events: ["stuck"] } as NotifyTarget]), start_after_id: await createEventLog(db).latestId() };
  expect(await runNotifier(d)).toBe(0);
  await beat("o/r", "bbbbbbbb-1111-2222", { state: "stuck", stuck: { reason: "new" } });
  expect(await runNotifier(d)).toBe(1);
  expect((JSON.parse(got[0]!.body) as { data: { session: string } }).data.session).toBe("bbbbbbbb");
});

test("a session silent past the stale interval notifies stale once per silence", async () => {
  const d = deps([{ url: url(), format: "ntfy", events: ["stale"] }]);
  await beat("o/r", "aaaaaaaa-1111-2222", { state: "working" });
  expect(await runNotifier(d)).toBe(0);
  now += DEFAULT_SESSION_POLICY.stale_ms + 1;
  expect(await runNotifier(d)).toBe(1);
  now += 60_000;
  expect(await runNotifier(d)).toBe(0);
  expect(got[0]!.body).toBe("o/r: session aaaaaaaa has sent no heartbeat since 2026-01-05T20:00:00Z (its claim still holds)");
});
