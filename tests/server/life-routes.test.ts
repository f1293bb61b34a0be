// HTTP tests of src/server/life-routes.ts (POST /release, POST /handover) and of DELETE /claim's check order, through app.handle.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { DEFAULT_POLICY } from "../../src/core/claims.ts";
import { DEFAULT_SESSION_POLICY } from "../../src/core/sessions.ts";
import { createApp, type App } from "../../src/server/app.ts";
import { createEventLog, createMessageStore, createSessionStore } from "../../src/storage/activity-store.ts";
import { createControlStore } from "../../src/storage/control-store.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { callApp, HEAD, TOKEN } from "../helpers/activity-app.ts";
import { FakeReader, whitelistEntry } from "../helpers/fake-reader.ts";

const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const ADMIN = "admin-token-0123456789";
const now = Date.parse("2026-01-05T20:00:00Z");
let db: CoordDatabase;
let app: App;

beforeEach(() => {
  db = openDatabase(":memory:");
  app = createApp({
    store: createClaimStore(db),
    repos: new Map([["owner/repo", whitelistEntry("owner/repo", new FakeReader(HEAD))]]),
    admin_tokens: [ADMIN],
    policy: DEFAULT_POLICY,
    clock: () => now,
    version: "9.9.9",
    log: { info: () => {}, warn: () => {}, error: () => {} },
    activity: {
      sessions: createSessionStore(db),
      messages: createMessageStore(db),
      events: createEventLog(db),
      controls: createControlStore(db),
      session_policy: DEFAULT_SESSION_POLICY,
      stream: { poll_ms: 50, keepalive_ms: 5000 },
    },
  });
});
afterEach(() => db.close());

const auth = { repo: "owner/repo", token: TOKEN, commit_sha: HEAD };
const call = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => callApp(app, method, path, body, headers);
const claim = (session_id: string, task_id: string) => call("POST", "/claim", { ...auth, session_id, task_id, branch: "claude/w" });
const rows = () => db.sqlite.query("SELECT task_id, session_id, fence, completion_reason, outcome FROM claims ORDER BY id").all();

describe("POST /release", () => {
  test("the owner releases: 200, stored as released/freed; another session 403; nothing held 404; a missing field 400", async () => {
    await claim(A, "t1");
    expect(await call("POST", "/release", { ...auth, session_id: B, task_id: "t1" })).toMatchObject({ status: 403, body: { status: "forbidden" } });
    expect(await call("POST", "/release", { ...auth, session_id: A, task_id: "t1" })).toEqual({ status: 200, body: { status: "released", task_id: "t1" } });
    expect(rows()).toEqual([{ task_id: "t1", session_id: A, fence: 1, completion_reason: "released", outcome: "freed" }]);
    expect(await call("POST", "/release", { ...auth, session_id: A, task_id: "t1" })).toMatchObject({ status: 404, body: { status: "not_found" } });
    expect(await call("POST", "/release", { ...auth, session_id: A })).toMatchObject({ status: 400, body: { status: "invalid_request", field: "task_id" } });
  });
});

describe("POST /handover", () => {
  test("the new id gets the claim with a new fence, the old one is refused; a second handover from the old id is 404", async () => {
    await claim(A, "t1");
    expect(await call("POST", "/handover", { ...auth, from_session_id: A, session_id: B })).toEqual({
      status: 200,
      body: { status: "handed_over", task_id: "t1", fence: 2, state: "working", messages: 0 },
    });
    expect(rows()).toEqual([{ task_id: "t1", session_id: B, fence: 2, completion_reason: null, outcome: null }]);
    expect(await call("POST", "/complete", { ...auth, session_id: A, task_id: "t1" })).toMatchObject({ status: 403, body: { status: "forbidden" } });
    expect(await call("POST", "/handover", { ...auth, from_session_id: A, session_id: B })).toMatchObject({ status: 404, body: { status: "not_found" } });
    expect(await call("POST", "/handover", { ...auth, session_id: B })).toMatchObject({ status: 400, body: { field: "from_session_id" } });
  });
});

describe("DELETE /claim check order (SPEC §10)", () => {
  test("a body naming neither task_id nor session is 400 before the missing admin token's 401", async () => {
    expect(await call("DELETE", "/claim", { repo: "owner/repo" })).toMatchObject({ status: 400, body: { status: "invalid_request", field: "task_id" } });
    expect(await call("DELETE", "/claim", { repo: "owner/repo", task_id: "t1" })).toMatchObject({ status: 401, body: { status: "unauthorized" } });
  });
});
