// HTTP tests of src/server/control-routes.ts through app.handle: the human's pause, resume, approve and reject, and the directive a session reads.
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App } from "../../src/server/app.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { activityApp, callApp, HEAD, TOKEN } from "../helpers/activity-app.ts";

setDefaultTimeout(30_000);
const ADMIN = "admin-token-0123456789";
const A = "aaaaaaaa-1111-2222-3333";
const B = "bbbbbbbb-1111-2222-3333";
const A2 = "aaaaaaaa-9999-8888-7777";
const T0 = Date.parse("2026-01-05T20:00:00Z");
let dir: string;
let db: CoordDatabase;
let now: number;
let app: App;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-controls-"));
  db = openDatabase(join(dir, "coord.db"));
  now = T0;
  app = activityApp(db, ADMIN, () => now);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { repo: "o/r", token: TOKEN, commit_sha: HEAD };
const q = new URLSearchParams(auth).toString();
const admin = { authorization: `Bearer ${ADMIN}` };
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callApp(app, method, path, body, headers);
const beat = (session_id: string, state: string, extra: Record<string, unknown> = {}) =>
  call("POST", "/heartbeat", { ...auth, session_id, branch: "claude/a", state, ...extra });
const control = (session: string, action: string, message?: string, headers: Record<string, string> = admin) =>
  call("POST", "/sessions/control", { repo: "o/r", session, action, ...(message === undefined ? {} : { message }) }, headers);
const directive = (session_id: string) => call("GET", `/sessions/directive?${q}`, undefined, { "x-session-id": session_id });
const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("controls", () => {
  test("pause keeps the session paused whatever it reports, with the human's message in every heartbeat answer; resume restores the state it had", async () => {
    await beat(A, "working", { task_id: "t1" });
    now += 1000;
    expect(await control("aaaaaaaa", "pause", "Stop: main is being rebased")).toEqual({ status: 200, body: { status: "ok", session: "aaaaaaaa", action: "pause", state: "paused" } });
    now += 1000;
    const hb = await beat(A, "working");
    expect(hb.body).toEqual({ status: "ok", session: "aaaaaaaa", state: "paused", unread: 0, directive: { action: "pause", message: "Stop: main is being rebased", at: at(T0 + 1000) } });
    expect((await beat(A, "stuck", { stuck: { reason: "why paused?" } })).body.state).toBe("paused");
    expect((await directive(A)).body).toEqual({ session: "aaaaaaaa", state: "paused", directive: { action: "pause", message: "Stop: main is being rebased", at: at(T0 + 1000) } });
    now += 1000;
    expect((await control(A, "resume")).body.state).toBe("working");
    expect((await beat(A, "working")).body).toMatchObject({ state: "working", directive: { action: "resume", message: null } });
    const listed = (await call("GET", `/sessions?${q}`)).body.sessions[0];
    expect([listed.state, listed.state_since]).toEqual(["working", at(T0 + 3000)]);
  });

  test("approve moves a plan-ready session to working and reject back to planning, each with its message; a new plan clears the old decision", async () => {
    await beat(A, "planning_complete", { plan: "1. tests\n2. code" });
    expect((await directive(A)).body.directive).toBeNull();
    expect((await control("aaaaaaaa", "reject", "Split task 2")).body.state).toBe("planning");
    expect((await directive(A)).body.directive).toMatchObject({ action: "reject", message: "Split task 2" });
    await beat(A, "planning_complete", { plan: "1. tests\n2a. code\n2b. docs" });
    expect((await directive(A)).body.directive).toBeNull();
    expect((await control("aaaaaaaa", "approve")).body.state).toBe("working");
    expect((await directive(A)).body).toMatchObject({ state: "working", directive: { action: "approve", message: null } });
  });

  test("the claim answer carries the directive of a paused session", async () => {
    await beat(A, "working");
    await control("aaaaaaaa", "pause", "hold on");
    const r = await call("POST", "/claim", { ...auth, session_id: A, task_id: "t9", branch: "claude/a" });
    expect(r.body).toMatchObject({ status: "claimed", directive: { action: "pause", message: "hold on" } });
  });

  test("only the admin token controls: none or a repo token is 401; the body is validated first (400 naming the field)", async () => {
    await beat(A, "working");
    expect((await control("aaaaaaaa", "pause", "x", {})).status).toBe(401);
    expect((await control("aaaaaaaa", "pause", "x", { authorization: "Bearer wrong-token-000000000" })).status).toBe(401);
    expect(await control("aaaaaaaa", "explode")).toMatchObject({ status: 400, body: { status: "invalid_request", field: "action" } });
    expect((await call("POST", "/sessions/control", { repo: "other/repo", session: "aaaaaaaa", action: "pause" }, admin)).status).toBe(403);
    expect((await directive(A)).body).toEqual({ session: "aaaaaaaa", state: "working", directive: null });
  });

  test("a session is addressed by exactly its 8-character prefix or its full id: other lengths 400, unknown 404; a second session cannot take a live prefix, so the prefix keeps naming the first", async () => {
    await beat(A, "working");
    await beat(B, "working");
    expect(await control("aaaaaaaa-", "pause")).toMatchObject({ status: 400, body: { field: "session" } });
    expect(await control("aaaa", "pause")).toMatchObject({ status: 400, body: { field: "session" } });
    expect((await control("cccccccc", "pause")).status).toBe(404);
    expect((await control("aaaaaaaa-1111-2222-0000", "pause")).status).toBe(404);
    expect(await beat(A2, "working")).toMatchObject({ status: 409, body: { status: "session_prefix_taken" } });
    expect((await control(A2, "pause")).status).toBe(404);
    expect((await control("aaaaaaaa", "pause")).body.state).toBe("paused");
    expect((await directive(A)).body.directive).toMatchObject({ action: "pause" });
  });

  test("the directive of a session never seen is null with state null; a session silent past the listing window keeps its pause but shows no state", async () => {
    expect((await directive(B)).body).toEqual({ session: "bbbbbbbb", state: null, directive: null });
    await beat(A, "working");
    await control("aaaaaaaa", "pause", "hold on");
    now += 24 * 3_600_000 + 1;
    expect((await directive(A)).body).toEqual({ session: "aaaaaaaa", state: null, directive: { action: "pause", message: "hold on", at: at(T0) } });
  });

  test("resume of a session that is not paused is 400 naming 'action'; the directive needs X-Session-Id", async () => {
    await beat(A, "working");
    expect(await control("aaaaaaaa", "resume")).toMatchObject({ status: 400, body: { field: "action" } });
    expect(await call("GET", `/sessions/directive?${q}`)).toMatchObject({ status: 400, body: { field: "X-Session-Id" } });
  });

  test("a control is logged as a heartbeat event, so live views see the new state", async () => {
    await beat(A, "working");
    await control("aaaaaaaa", "pause");
    const last = db.sqlite.query("SELECT type, data FROM events ORDER BY id DESC LIMIT 1").get() as { type: string; data: string };
    expect([last.type, JSON.parse(last.data).state]).toEqual(["heartbeat", "paused"]);
  });
});
