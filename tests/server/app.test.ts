// HTTP tests of src/server/app.ts through app.handle: every route, every error path, stored state checked.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_POLICY } from "../../src/core/claims.ts";
import { createApp, type App } from "../../src/server/app.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { FakeReader, whitelistEntry } from "../helpers/fake-reader.ts";

const HEAD = "1".repeat(40);
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const ADMIN = "admin-token-0123456789";
let dir: string;
let db: CoordDatabase;
let reader: FakeReader;
let now: number;
let logged: string[];

function makeApp(admin_tokens: string[] = []): App {
  return createApp({
    store: createClaimStore(db),
    repos: new Map([["owner/repo", whitelistEntry("owner/repo", reader)]]),
    admin_tokens,
    policy: DEFAULT_POLICY,
    clock: () => now,
    version: "9.9.9",
    log: { info: () => {}, warn: (m) => logged.push(m), error: (m, c) => logged.push(`${m}: ${String(c)}`) },
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-app-"));
  db = openDatabase(join(dir, "coord.db"));
  reader = new FakeReader(HEAD);
  now = Date.parse("2026-01-05T20:00:00Z");
  logged = [];
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN = new FakeReader(HEAD).token;
const auth = () => ({ repo: "owner/repo", token: TOKEN, commit_sha: HEAD });
async function call(app: App, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers } };
  if (body !== undefined) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    init.body = text;
    (init.headers as Record<string, string>)["content-length"] = String(Buffer.byteLength(text));
  }
  const res = await app.handle(new Request(`http://localhost${path}`, init));
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const claimBody = (session_id: string, task_id: string, extra: Record<string, unknown> = {}) => ({
  ...auth(),
  session_id,
  task_id,
  branch: `claude/${task_id}`,
  plan_file: "context/plan.json",
  ...extra,
});
const rows = () => db.sqlite.query("SELECT task_id, session_id, fence, completion_reason FROM claims ORDER BY id").all();

describe("the seed's story over HTTP", () => {
  test("claim, conflict, session_has_claim, forbidden, complete, listing", async () => {
    const app = makeApp();
    expect(await call(app, "POST", "/claim", claimBody(A, "t1"))).toEqual({ status: 200, body: { status: "claimed", task_id: "t1", fence: 1 } });
    expect(await call(app, "POST", "/claim", claimBody(A, "t1"))).toEqual({ status: 200, body: { status: "claimed", task_id: "t1", fence: 1 } });
    expect(await call(app, "POST", "/claim", claimBody(B, "t1"))).toEqual({
      status: 409,
      body: {
        status: "conflict",
        message: "Task 't1' is already claimed by another session.",
        task_id: "t1",
        claimed_by: { session: "aaaaaaaa", branch: "claude/t1", claimed_at: "2026-01-05T20:00:00Z" },
      },
    });
    const has = await call(app, "POST", "/claim", claimBody(A, "t2"));
    expect(has.status).toBe(409);
    expect(has.body.status).toBe("session_has_claim");
    expect(has.body.current_claim).toEqual({ task_id: "t1", branch: "claude/t1", plan_file: "context/plan.json", claimed_at: "2026-01-05T20:00:00Z", fence: 1 });
    const forbidden = await call(app, "POST", "/complete", { ...auth(), session_id: B, task_id: "t1" });
    expect([forbidden.status, forbidden.body.status]).toEqual([403, "forbidden"]);
    const missing = await call(app, "POST", "/complete", { ...auth(), session_id: B, task_id: "t9" });
    expect([missing.status, missing.body.status]).toEqual([404, "not_found"]);
    now += 60_000;
    expect(await call(app, "POST", "/complete", { ...auth(), session_id: A, task_id: "t1" })).toEqual({ status: 200, body: { status: "completed", task_id: "t1", branch: "claude/t1" } });
    const q = new URLSearchParams(auth());
    expect(await call(app, "GET", `/claims?${q}`)).toEqual({
      status: 200,
      body: {
        active: [],
        recently_completed: [
          {
            session: "aaaaaaaa",
            task_id: "t1",
            branch: "claude/t1",
            plan_file: "context/plan.json",
            claimed_at: "2026-01-05T20:00:00Z",
            completed_at: "2026-01-05T20:01:00Z",
            completion_reason: "client_completed",
            outcome: "done",
            pr_url: null,
            fence: 1,
          },
        ],
      },
    });
    expect(rows()).toEqual([{ task_id: "t1", session_id: A, fence: 1, completion_reason: "client_completed" }]);
  });

  test("GET /health answers ok with the version and needs no repo", async () => {
    expect(await call(makeApp(), "GET", "/health")).toEqual({ status: 200, body: { status: "ok", version: "9.9.9" } });
  });

  test("listings show the 8-character session prefix, never the full id", async () => {
    const app = makeApp();
    await call(app, "POST", "/claim", claimBody(A, "t1"));
    const r = await call(app, "GET", `/claims?${new URLSearchParams(auth())}`);
    expect(r.body.active).toEqual([{ session: "aaaaaaaa", task_id: "t1", branch: "claude/t1", plan_file: "context/plan.json", claimed_at: "2026-01-05T20:00:00Z", fence: 1 }]);
    expect(JSON.stringify(r.body)).not.toContain(A);
  });
});

describe("token checks", () => {
  test("a token for an older main is stale_token with the service's current commit, and nothing is stored", async () => {
    const app = makeApp();
    const old = auth();
    reader.head = "2".repeat(40);
    const r = await call(app, "POST", "/claim", { ...claimBody(A, "t1"), token: old.token, commit_sha: old.commit_sha });
    expect(r).toEqual({
      status: 401,
      body: { status: "stale_token", message: "Repository state has changed since session start.", current_commit: "2".repeat(40), your_commit: HEAD },
    });
    expect(rows()).toEqual([]);
  });

  test("a matching token with a different commit_sha is stale", async () => {
    const r = await call(makeApp(), "POST", "/claim", claimBody(A, "t1", { commit_sha: "3".repeat(40) }));
    expect([r.status, r.body.status, r.body.current_commit]).toEqual([401, "stale_token", HEAD]);
  });

  test("an unreachable upstream answers 503 upstream_unavailable", async () => {
    reader.down = true;
    const r = await call(makeApp(), "GET", `/claims?${new URLSearchParams(auth())}`);
    expect(r).toEqual({ status: 503, body: { status: "upstream_unavailable", message: "Cannot reach the git host of o/r." } });
  });

  test("an unknown repo is refused before the reader is called", async () => {
    const r = await call(makeApp(), "POST", "/claim", { ...claimBody(A, "t1"), repo: "someone/else" });
    expect(r).toEqual({ status: 403, body: { status: "repo_not_allowed", message: "Repository 'someone/else' is not configured for coordination.", repo: "someone/else" } });
    expect(reader.calls).toBe(0);
  });

  test("repo names match case-insensitively and are stored under the configured name", async () => {
    const app = makeApp();
    expect((await call(app, "POST", "/claim", { ...claimBody(A, "t1"), repo: "Owner/Repo" })).status).toBe(200);
    expect(db.sqlite.query("SELECT repo FROM claims").all()).toEqual([{ repo: "owner/repo" }]);
  });
});

describe("identifiers refuse NUL, control, bidirectional-override characters and invalid Unicode (SPEC §16)", () => {
  const fix = "must not contain control characters (such as NUL), bidirectional-override characters or invalid Unicode";
  const bad: [string, string][] = [
    ["NUL", "a\u0000b"],
    ["ESC (a terminal escape)", "a\u001b]0;x\u0007"],
    ["DEL", "a\u007fb"],
    ["a C1 control", "a\u0085b"],
    ["a right-to-left override", "a\u202eb"],
    ["a first-strong isolate", "a\u2068b"],
    ["a left-to-right mark", "a\u200eb"],
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "a\udc00b"],
    ["U+FFFD (what invalid UTF-8 decodes to)", "a\ufffdb"],
  ];
  const fields: [string, (v: string) => Record<string, unknown>][] = [
    ["repo", (v) => ({ repo: `owner/${v}` })],
    ["session_id", (v) => ({ session_id: `${A}${v}` })],
    ["task_id", (v) => ({ task_id: v })],
    ["branch", (v) => ({ branch: `claude/${v}` })],
    ["plan_file", (v) => ({ plan_file: `context/${v}.json` })],
  ];
  for (const [field, set] of fields) {
    test(`${field}: each forbidden character is 400 naming '${field}', and nothing is stored`, async () => {
      const app = makeApp();
      for (const [, v] of bad) {
        const r = await call(app, "POST", "/claim", claimBody(A, "t1", set(v)));
        expect(r).toEqual({ status: 400, body: { status: "invalid_request", message: `Invalid request body: field '${field}' ${fix}.`, field } });
      }
      expect(rows()).toEqual([]);
    });
  }

  test("emoji (surrogate pairs), accents and CJK are ordinary characters", async () => {
    const app = makeApp();
    const r = await call(app, "POST", "/claim", claimBody(`${A}-😀é中`, "tâche-😀", { branch: "claude/分支" }));
    expect([r.status, r.body.status]).toEqual([200, "claimed"]);
  });

  test("a body with invalid UTF-8 bytes in an id is 400 naming the field, not a second id that collapses into another", async () => {
    const app = makeApp();
    const text = JSON.stringify(claimBody(A, "tXX"));
    const bytes = Buffer.concat([Buffer.from(text.slice(0, text.indexOf("tXX") + 1)), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(text.indexOf("tXX") + 3))]);
    const res = await app.handle(new Request("http://localhost/claim", { method: "POST", headers: { "content-type": "application/json", "content-length": String(bytes.length) }, body: bytes }));
    expect([res.status, await res.json()]).toEqual([400, { status: "invalid_request", message: `Invalid request body: field 'task_id' ${fix}.`, field: "task_id" }]);
    expect(rows()).toEqual([]);
  });

  test("a repo in the query with NUL is 400 naming repo", async () => {
    const app = makeApp();
    const r = await call(app, "GET", `/claims?repo=owner%2Fre%00po&token=${TOKEN}&commit_sha=${HEAD}`);
    expect(r).toEqual({ status: 400, body: { status: "invalid_request", message: `Invalid request query: field 'repo' ${fix}.`, field: "repo" } });
  });

  test("DELETE /claim's session with a bidi override is 400 naming session", async () => {
    const r = await call(makeApp([ADMIN]), "DELETE", "/claim", { repo: "owner/repo", session: "aaaa\u202eaaa" }, { authorization: `Bearer ${ADMIN}` });
    expect(r).toEqual({ status: 400, body: { status: "invalid_request", message: `Invalid request body: field 'session' ${fix}.`, field: "session" } });
  });
});

describe("bad input gets 400 naming the field, never 500, and changes nothing", () => {
  const cases: { name: string; body: unknown; message: string; field?: string }[] = [
    { name: "malformed JSON", body: "{not json", message: "The request body is not valid JSON." },
    { name: "a JSON array", body: "[1,2]", message: "The request body must be a JSON object with the fields of this route." },
    { name: "missing task_id", body: { ...claimBody(A, "t1"), task_id: undefined }, message: "Invalid request body: field 'task_id' is required.", field: "task_id" },
    { name: "wrong-typed task_id", body: claimBody(A, 42 as unknown as string), message: "Invalid request body: field 'task_id' must be a string.", field: "task_id" },
    { name: "empty session_id", body: claimBody("", "t1"), message: "Invalid request body: field 'session_id' must be a session id of at least 16 characters, such as Claude Code's session UUID.", field: "session_id" },
    { name: "a malformed token", body: claimBody(A, "t1", { token: "abc" }), message: "Invalid request body: field 'token' must be sha256: followed by 64 lowercase hex.", field: "token" },
    { name: "a short commit_sha", body: claimBody(A, "t1", { commit_sha: "abc" }), message: "Invalid request body: field 'commit_sha' must be 40 lowercase hex.", field: "commit_sha" },
    { name: "an overlong branch", body: claimBody(A, "t1", { branch: "b".repeat(300) }), message: "Invalid request body: field 'branch' must be at most 255 characters.", field: "branch" },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const app = makeApp();
      await call(app, "POST", "/claim", claimBody(B, "held"));
      const before = rows();
      const r = await call(app, "POST", "/claim", c.body);
      expect(r.status).toBe(400);
      expect(r.body.status).toBe("invalid_request");
      expect(r.body.message).toBe(c.message);
      expect(r.body.field).toBe(c.field);
      expect(rows()).toEqual(before);
      expect(logged).toEqual([]);
    });
  }

  test("a query missing commit_sha names it", async () => {
    const r = await call(makeApp(), "GET", `/claims?repo=owner/repo&token=${reader.token}`);
    expect(r).toEqual({ status: 400, body: { status: "invalid_request", message: "Invalid request query: field 'commit_sha' is required.", field: "commit_sha" } });
  });

  test("a body over 64 KiB gets 413 and stores nothing", async () => {
    const app = makeApp();
    const r = await call(app, "POST", "/claim", claimBody(A, "t1", { pad: "x".repeat(70_000) }));
    expect(r.status).toBe(413);
    expect(r.body.status).toBe("payload_too_large");
    const body = JSON.stringify(claimBody(A, "t1", { pad: "x".repeat(70_000) }));
    const chunked = await app.handle(new Request("http://localhost/claim", { method: "POST", headers: { "content-type": "application/json" }, body }));
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { message: string }).message).toBe(`The request body is ${body.length} bytes; the limit is 65536 bytes.`);
    expect(rows()).toEqual([]);
  });

  test("an unknown route is a JSON 404", async () => {
    expect(await call(makeApp(), "GET", "/nope")).toEqual({ status: 404, body: { status: "not_found", message: "No route GET /nope." } });
  });

  test("an unexpected error is a logged 500 internal_error", async () => {
    const app = makeApp();
    db.sqlite.run("DROP TABLE claims");
    const r = await call(app, "POST", "/claim", claimBody(A, "t1"));
    expect(r).toEqual({ status: 500, body: { status: "internal_error", message: "The service hit an unexpected error; it has been logged." } });
    expect(logged.length).toBe(1);
    expect(logged[0]).toContain("POST /claim failed with an unexpected error");
    expect(logged[0]).toContain("claims");
  });
});

test("a short Host header (http://vm/…) still routes GETs with their query (SPEC §16)", async () => {
  const app = makeApp([ADMIN]);
  const q = new URLSearchParams(auth()).toString();
  for (const origin of ["http://vm", "http://v", "http://localhost:8787", "http://[::1]:8787"]) {
    const res = await app.handle(new Request(`${origin}/claims?${q}`));
    expect([origin, res.status, await res.json()]).toEqual([origin, 200, { active: [], recently_completed: [] }]);
  }
});

describe("DELETE /claim", () => {
  const bearer = { authorization: `Bearer ${ADMIN}` };

  test("with the admin token, by task", async () => {
    const app = makeApp([ADMIN]);
    await call(app, "POST", "/claim", claimBody(A, "t1"));
    expect(await call(app, "DELETE", "/claim", { repo: "owner/repo", task_id: "t1" }, bearer)).toEqual({
      status: 200,
      body: { status: "expired", task_id: "t1", session: "aaaaaaaa", branch: "claude/t1" },
    });
    expect(rows()).toEqual([{ task_id: "t1", session_id: A, fence: 1, completion_reason: "admin_expired" }]);
  });

  test("a missing or wrong bearer is 401 unauthorized, even with a valid repo token, and nothing changes", async () => {
    const app = makeApp([ADMIN]);
    await call(app, "POST", "/claim", claimBody(A, "t1"));
    for (const headers of [{}, { authorization: "Bearer wrong-token-0000000000" }, { authorization: ADMIN }] as Record<string, string>[]) {
      const r = await call(app, "DELETE", "/claim", { ...auth(), task_id: "t1" }, headers);
      expect([r.status, r.body.status]).toEqual([401, "unauthorized"]);
    }
    expect(rows()).toEqual([{ task_id: "t1", session_id: A, fence: 1, completion_reason: null }]);
  });

  test("with no admin token configured at all, the repo token never expires a claim (401)", async () => {
    const app = makeApp([]);
    await call(app, "POST", "/claim", claimBody(A, "t1"));
    for (const body of [{ ...auth(), task_id: "t1" }, { ...auth(), session: "aaaaaaaa" }, { ...auth(), session: "zzzzzzzz" }]) {
      const r = await call(app, "DELETE", "/claim", body);
      expect(r).toEqual({ status: 401, body: { status: "unauthorized", message: "Expiring a claim requires an admin token: send 'Authorization: Bearer <admin token>'." } });
    }
    expect(rows()).toEqual([{ task_id: "t1", session_id: A, fence: 1, completion_reason: null }]);
  });

  test("by session: exactly the 8-character prefix or the full id; 9, 12 and 20 leading characters answer like random strings of that length", async () => {
    const app = makeApp([ADMIN]);
    await call(app, "POST", "/claim", claimBody(A, "t1"));
    const random = (n: number) => "q".repeat(n);
    for (const n of [9, 12, 20]) {
      const leading = await call(app, "DELETE", "/claim", { repo: "owner/repo", session: A.slice(0, n) }, bearer);
      const other = await call(app, "DELETE", "/claim", { repo: "owner/repo", session: random(n) }, bearer);
      expect(leading.status).toBe(other.status);
      expect(JSON.stringify(leading.body).replace(A.slice(0, n), "X")).toBe(JSON.stringify(other.body).replace(random(n), "X"));
    }
    expect(rows()).toEqual([{ task_id: "t1", session_id: A, fence: 1, completion_reason: null }]);
    const r = await call(app, "DELETE", "/claim", { repo: "owner/repo", session: "aaaaaaaa" }, bearer);
    expect(r).toEqual({ status: 200, body: { status: "expired", task_id: "t1", session: "aaaaaaaa", branch: "claude/t1" } });
    await call(app, "POST", "/claim", claimBody(B, "t2"));
    expect((await call(app, "DELETE", "/claim", { repo: "owner/repo", session: B }, bearer)).body.task_id).toBe("t2");
  });

  test("neither or both of task_id and session is 400; a session of 9 to 15 characters is 400; none matching is 404", async () => {
    const app = makeApp([ADMIN]);
    await call(app, "POST", "/claim", claimBody(A, "t1"));
    const del = (body: Record<string, unknown>) => call(app, "DELETE", "/claim", { repo: "owner/repo", ...body }, bearer);
    expect((await del({})).body).toEqual({ status: "invalid_request", message: "Invalid request body: field 'task_id' or field 'session' is required.", field: "task_id" });
    expect((await del({ task_id: "t1", session: "aaaaaaaa" })).status).toBe(400);
    expect((await del({ session: "aaaa" })).body).toEqual({
      status: "invalid_request",
      message: "Invalid request body: field 'session' must be a session's 8-character prefix, as listings show it, or its full id (at least 16 characters).",
      field: "session",
    });
    expect((await del({ session: A.slice(0, 15) })).body.field).toBe("session");
    expect((await del({ task_id: "zz" })).status).toBe(404);
    expect((await del({ session: A.slice(0, 20) })).body).toEqual({ status: "not_found", message: `No active claim for session '${A.slice(0, 20)}'.` });
    expect(rows()).toEqual([{ task_id: "t1", session_id: A, fence: 1, completion_reason: null }]);
  });
});
