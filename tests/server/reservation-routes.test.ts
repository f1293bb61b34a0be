// HTTP tests of src/server/reservation-routes.ts through app.handle on real SQLite: reserve, list, check, release, and their errors.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_POLICY } from "../../src/core/claims.ts";
import { type App, createApp } from "../../src/server/app.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { callApp, HEAD, TOKEN } from "../helpers/activity-app.ts";
import { FakeReader, whitelistEntry } from "../helpers/fake-reader.ts";

const ADMIN = "admin-token-0123456789";
const A = "aaaaaaaa-session-0001";
const B = "bbbbbbbb-session-0002";
let dir: string;
let db: CoordDatabase;
let now: number;
let app: App;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-resv-"));
  db = openDatabase(join(dir, "coord.db"));
  now = Date.parse("2026-01-05T20:00:00Z");
  app = createApp({
    store: createClaimStore(db),
    repos: new Map([["o/r", whitelistEntry("o/r", new FakeReader(HEAD))]]),
    admin_tokens: [ADMIN],
    policy: DEFAULT_POLICY,
    clock: () => now,
    version: "t",
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { repo: "o/r", token: TOKEN, commit_sha: HEAD };
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callApp(app, method, path, body, headers);
const reserve = (session_id: string, paths: string[], extra: Record<string, unknown> = {}) => call("POST", "/reservations", { ...auth, session_id, paths, ...extra });
const rows = () => db.sqlite.query("SELECT session_id, path, exclusive, keep FROM reservations ORDER BY id").all();

describe("POST /reservations", () => {
  test("reserves with the defaults and answers every reservation; GET lists them with the holder's prefix only", async () => {
    const r = await reserve(A, ["src/ui/**", "docs/a.md"], { reason: "frontend" });
    const exp = "2026-01-06T00:00:00Z";
    const view = (id: number, path: string) => ({ id, session: "aaaaaaaa", path, exclusive: true, reason: "frontend", keep: false, created_at: "2026-01-05T20:00:00Z", expires_at: exp });
    expect(r).toEqual({ status: 200, body: { status: "reserved", reservations: [view(1, "src/ui/**"), view(2, "docs/a.md")] } });
    const list = await call("GET", `/reservations?${new URLSearchParams(auth)}`);
    expect(list).toEqual({ status: 200, body: { reservations: [view(2, "docs/a.md"), view(1, "src/ui/**")] } });
    expect(JSON.stringify(list.body)).not.toContain(A);
    expect((await call("GET", `/reservations?repo=o/r`, undefined, { authorization: `Bearer ${ADMIN}` })).body.reservations).toHaveLength(2);
  });

  test("an overlapping exclusive reservation is 409 conflict listing the holder, and nothing of the request is stored", async () => {
    await reserve(A, ["src/*.ts"], { ttl_s: 3600 });
    const r = await reserve(B, ["lib/x.ts", "src/foo.*"], { exclusive: false });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      status: "conflict",
      message: "'src/foo.*' overlaps 'src/*.ts', reserved by session aaaaaaaa until 2026-01-05T21:00:00Z; nothing was reserved.",
      conflicts: [{ path: "src/foo.*", held_by: { session: "aaaaaaaa", path: "src/*.ts", exclusive: true, expires_at: "2026-01-05T21:00:00Z", reason: null } }],
    });
    expect(rows()).toEqual([{ session_id: A, path: "src/*.ts", exclusive: 1, keep: 0 }]);
  });

  test("after the TTL the path is free for another session", async () => {
    await reserve(A, ["src/**"], { ttl_s: 60 });
    now += 60_000;
    expect((await reserve(B, ["src/a.ts"])).status).toBe(200);
    expect(rows()).toEqual([{ session_id: B, path: "src/a.ts", exclusive: 1, keep: 0 }]);
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ["no paths", { paths: [] }, "paths"],
    ["51 paths", { paths: Array.from({ length: 51 }, (_, i) => `f${i}`) }, "paths"],
    ["a path with ..", { paths: ["src/../etc"] }, "paths"],
    ["ttl_s over 7 days", { paths: ["a"], ttl_s: 604_801 }, "ttl_s"],
    ["ttl_s not a whole number", { paths: ["a"], ttl_s: 1.5 }, "ttl_s"],
    ["exclusive not a boolean", { paths: ["a"], exclusive: "yes" }, "exclusive"],
  ];
  for (const [name, extra, field] of bad) {
    test(`${name}: 400 invalid_request naming '${field}', nothing stored`, async () => {
      const r = await call("POST", "/reservations", { ...auth, session_id: A, ...extra });
      expect(r.status).toBe(400);
      expect(r.body.status).toBe("invalid_request");
      expect(r.body.field).toBe(field);
      expect(r.body.message).toContain(field);
      expect(rows()).toEqual([]);
    });
  }

  test("a repo not in the whitelist is 403 and a stale token 401, before any reservation rule", async () => {
    expect((await call("POST", "/reservations", { ...auth, repo: "x/y", session_id: A, paths: ["a"] })).body.status).toBe("repo_not_allowed");
    const stale = await call("POST", "/reservations", { ...auth, token: `sha256:${"0".repeat(64)}`, session_id: A, paths: ["a"] });
    expect([stale.status, stale.body.status]).toEqual([401, "stale_token"]);
    expect(rows()).toEqual([]);
  });
});

describe("POST /reservations/check", () => {
  test("names the other sessions' holds on the paths; the caller's own and free paths are not listed", async () => {
    await reserve(A, ["src/ui/**"]);
    await reserve(B, ["src/api/**"], { exclusive: false });
    const r = await call("POST", "/reservations/check", { ...auth, session_id: B, paths: ["src/ui/button.tsx", "src/api/x.ts", "README.md"] });
    expect(r).toEqual({
      status: 200,
      body: { held: [{ path: "src/ui/button.tsx", held_by: { session: "aaaaaaaa", path: "src/ui/**", exclusive: true, expires_at: "2026-01-06T00:00:00Z", reason: null } }] },
    });
  });
});

describe("DELETE /reservations", () => {
  test("releases the caller's own by paths, ids or all; another session's stay", async () => {
    await reserve(A, ["a/**", "b/**", "c/**"]);
    await reserve(B, ["d/**"]);
    const del = (body: Record<string, unknown>) => call("DELETE", "/reservations", { ...auth, session_id: A, ...body });
    expect((await del({ paths: ["a", "d/**"] })).body).toMatchObject({ status: "released", released: [{ path: "a/**" }], not_held: ["d/**"] });
    expect((await del({ ids: [2, 4] })).body).toMatchObject({ released: [{ path: "b/**" }], not_held: [4] });
    expect((await del({ all: true })).body).toMatchObject({ released: [{ path: "c/**" }], not_held: [] });
    expect(rows()).toEqual([{ session_id: B, path: "d/**", exclusive: 1, keep: 0 }]);
  });

  test("naming none or two of ids, paths and all is 400", async () => {
    for (const body of [{}, { all: true, ids: [1] }]) {
      const r = await call("DELETE", "/reservations", { ...auth, session_id: A, ...body });
      expect([r.status, r.body.status, r.body.message]).toEqual([400, "invalid_request", "Invalid request body: give exactly one of 'ids', 'paths' or 'all': true."]);
    }
  });
});

describe("with the claim", () => {
  test("completing the session's claim ends its reservations but not those reserved with keep", async () => {
    await call("POST", "/claim", { ...auth, session_id: A, task_id: "t1", branch: "b" });
    await reserve(A, ["src/ui/**"]);
    await reserve(A, ["docs/**"], { keep: true });
    expect((await call("POST", "/complete", { ...auth, session_id: A, task_id: "t1" })).status).toBe(200);
    expect(rows()).toEqual([{ session_id: A, path: "docs/**", exclusive: 1, keep: 1 }]);
    const types = db.sqlite.query("SELECT type FROM events ORDER BY id").all().map((r) => (r as { type: string }).type);
    expect(types).toEqual(["claimed", "heartbeat", "reserved", "reserved", "completed", "heartbeat", "unreserved"]);
  });
});
