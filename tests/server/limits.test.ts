// The [limits] bounds of SPEC §16 over HTTP (app.handle, real SQLite): each at its edge — the last allowed request passes, the next is 429 or 413 naming the bound.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Limits } from "../../src/core/limits.ts";
import type { App } from "../../src/server/app.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { RATE_LIMIT_DEFAULTS } from "../../src/server/rate-limit.ts";
import { activityApp, answerOf, handleJson, HEAD, TOKEN } from "../helpers/activity-app.ts";

const ADMIN = "admin-token-0123456789";
const HOUR = 3_600_000;
const id = (c: string) => `${c.repeat(8)}-1111-4111-8111-111111111111`;
const [A, B, C, D] = ["a", "b", "c", "d"].map(id) as [string, string, string, string];
let dir: string;
let db: CoordDatabase;
let now: number;
let app: App;

function makeApp(limits: Partial<Limits>): void {
  app = activityApp(db, ADMIN, () => now, limits);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-limits-"));
  db = openDatabase(join(dir, "coord.db"));
  now = Date.parse("2026-01-05T20:00:00Z");
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { repo: "o/r", token: TOKEN, commit_sha: HEAD };
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await handleJson(app, method, path, body, headers);
  return { ...(await answerOf(res)), retry_after: res.headers.get("retry-after") };
}
const beat = (session_id: string, branch = "claude/x") => call("POST", "/heartbeat", { ...auth, session_id, branch, state: "working" });
const send = (session_id: string, extra: Record<string, unknown> = {}) => call("POST", "/messages", { ...auth, session_id, to_session: id("b").slice(0, 8), subject: "s", body: "b", ...extra });
const count = (table: string) => (db.sqlite.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("messages per session per hour", () => {
  test("the 3rd message of the hour passes, the 4th is 429 naming the bound with Retry-After; an hour later it passes; the human is not counted", async () => {
    makeApp({ messages_per_session_per_hour: 3 });
    await beat(A);
    await beat(B);
    for (let i = 0; i < 3; i++) {
      expect((await send(A)).status).toBe(200);
      now += 1000;
    }
    expect(await send(A)).toEqual({
      status: 429,
      retry_after: "3597",
      body: {
        status: "rate_limited",
        message: "This session sent 3 messages in the last hour (limit 'messages_per_session_per_hour' = 3); retry in 3597 s.",
        limit: "messages_per_session_per_hour",
        max: 3,
        retry_after_s: 3597,
      },
    });
    expect(count("messages")).toBe(3);
    expect((await send(B)).status).toBe(200);
    expect((await call("POST", "/messages", { repo: "o/r", to_session: "bbbbbbbb", subject: "s", body: "b" }, { authorization: `Bearer ${ADMIN}` })).status).toBe(200);
    now += HOUR - 2000;
    expect((await send(A)).status).toBe(200);
  });
});

describe("bytes per message", () => {
  test("a body of exactly message_bytes passes (also in multi-byte characters); one byte more is 413 naming the bound, nothing stored", async () => {
    makeApp({ message_bytes: 10 });
    await beat(B);
    expect((await send(A, { body: "x".repeat(10) })).status).toBe(200);
    expect((await send(A, { body: "é".repeat(5) })).status).toBe(200);
    expect(await send(A, { body: "x".repeat(11) })).toEqual({
      status: 413,
      retry_after: null,
      body: { status: "payload_too_large", message: "The message body is 11 bytes (limit 'message_bytes' = 10).", limit: "message_bytes", max: 10 },
    });
    expect((await send(A, { body: "é".repeat(6) })).body.limit).toBe("message_bytes");
    expect(count("messages")).toBe(2);
  });
});

describe("recipients per message", () => {
  test("a branch with 2 sessions gets the message; with 3 it is 413 naming the bound, nothing stored", async () => {
    makeApp({ recipients_per_message: 2 });
    await beat(B, "claude/shared");
    await beat(C, "claude/shared");
    expect((await send(A, { to_session: undefined, to_branch: "claude/shared" })).body.to).toEqual(["cccccccc", "bbbbbbbb"]);
    await beat(D, "claude/shared");
    expect(await send(A, { to_session: undefined, to_branch: "claude/shared" })).toEqual({
      status: 413,
      retry_after: null,
      body: { status: "payload_too_large", message: "The message would reach 3 sessions (limit 'recipients_per_message' = 2).", limit: "recipients_per_message", max: 2 },
    });
    expect(count("messages")).toBe(2);
  });
});

describe("new sessions per client IP per hour", () => {
  test("the 2nd new session passes, the 3rd (heartbeat or claim) is 429; known sessions keep working; an hour later a new one passes", async () => {
    makeApp({ new_sessions_per_ip_per_hour: 2 });
    expect((await beat(A)).status).toBe(200);
    now += 10_000;
    expect((await beat(B)).status).toBe(200);
    const refused = await beat(C);
    expect([refused.status, refused.retry_after, refused.body.limit, refused.body.message]).toEqual([
      429,
      "3590",
      "new_sessions_per_ip_per_hour",
      "This client started 2 new sessions in the last hour (limit 'new_sessions_per_ip_per_hour' = 2); retry in 3590 s.",
    ]);
    expect((await call("POST", "/claim", { ...auth, session_id: C, task_id: "t", branch: "b" })).body.limit).toBe("new_sessions_per_ip_per_hour");
    expect((await beat(A)).status).toBe(200);
    expect(count("sessions")).toBe(2);
    expect(count("claims")).toBe(0);
    now += HOUR - 10_000;
    expect((await beat(C)).status).toBe(200);
  });

  test("a claim refused for another reason (the task is taken) counts no new session", async () => {
    makeApp({ new_sessions_per_ip_per_hour: 2 });
    expect((await call("POST", "/claim", { ...auth, session_id: A, task_id: "t", branch: "b" })).status).toBe(200);
    for (const s of [B, C, D]) expect((await call("POST", "/claim", { ...auth, session_id: s, task_id: "t", branch: "b" })).body.status).toBe("conflict");
    expect((await beat(B)).status).toBe(200);
    expect((await beat(C)).body.limit).toBe("new_sessions_per_ip_per_hour");
  });
});

describe("stored messages per repo", () => {
  test("the 3rd stored message passes, the 4th is 429 naming the bound", async () => {
    makeApp({ stored_messages_per_repo: 3 });
    await beat(B);
    for (let i = 0; i < 3; i++) expect((await send(i === 1 ? C : A)).status).toBe(200);
    const r = await send(D);
    expect([r.status, r.retry_after, r.body.limit, r.body.message]).toEqual([429, "3600", "stored_messages_per_repo", "The repository stores 3 messages (limit 'stored_messages_per_repo' = 3); retry in 3600 s."]);
    expect(count("messages")).toBe(3);
  });
});

describe("open /events streams", () => {
  const open = (headers: Record<string, string>, signal: AbortSignal) =>
    app.handle(new Request(`http://localhost/events?${new URLSearchParams(auth)}`, { headers, signal }));

  test("per client IP: the 2nd stream opens, the 3rd is 429; closing one lets the next open", async () => {
    makeApp({ event_streams_per_ip: 2 });
    const first = new AbortController();
    const second = new AbortController();
    expect((await open({}, first.signal)).status).toBe(200);
    expect((await open({}, second.signal)).status).toBe(200);
    const third = await open({}, new AbortController().signal);
    expect([third.status, third.headers.get("retry-after"), (await third.json()).limit]).toEqual([429, "30", "event_streams_per_ip"]);
    first.abort();
    await Bun.sleep(20);
    const again = new AbortController();
    expect((await open({}, again.signal)).status).toBe(200);
    second.abort();
    again.abort();
  });

  test("behind a trusted proxy (rate limits off) each X-Forwarded-For client has its own count of streams and new sessions; from an untrusted peer the header is ignored", async () => {
    const bounds = { event_streams_per_ip: 1, new_sessions_per_ip_per_hour: 1 };
    const listen = (trusted_proxies: string[]) => {
      app = activityApp(db, ADMIN, () => now, bounds, { ...RATE_LIMIT_DEFAULTS, enabled: false, trusted_proxies });
      app.listen({ hostname: "127.0.0.1", port: 0 });
      return `http://127.0.0.1:${app.server!.port}`;
    };
    const streams: AbortController[] = [];
    const stream = (url: string, client: string) => {
      const c = new AbortController();
      streams.push(c);
      return fetch(`${url}/events?${new URLSearchParams(auth)}`, { headers: { "x-forwarded-for": client }, signal: c.signal });
    };
    const beatFrom = async (url: string, client: string, session_id: string) => {
      const res = await fetch(`${url}/heartbeat`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": client }, body: JSON.stringify({ ...auth, session_id, branch: "claude/x", state: "working" }) });
      return [res.status, ((await res.json()) as { limit?: string }).limit];
    };
    try {
      let url = listen(["127.0.0.1"]);
      expect((await stream(url, "203.0.113.7")).status).toBe(200);
      expect((await stream(url, "203.0.113.8")).status).toBe(200);
      const again = await stream(url, "203.0.113.7");
      expect([again.status, ((await again.json()) as { limit: string }).limit]).toEqual([429, "event_streams_per_ip"]);
      expect(await beatFrom(url, "203.0.113.7", A)).toEqual([200, undefined]);
      expect(await beatFrom(url, "203.0.113.8", B)).toEqual([200, undefined]);
      expect(await beatFrom(url, "203.0.113.7", C)).toEqual([429, "new_sessions_per_ip_per_hour"]);
      for (const c of streams.splice(0)) c.abort();
      await app.stop(true);

      // Not a trusted proxy: the header is ignored and every client is the socket's 127.0.0.1.
      url = listen([]);
      expect((await stream(url, "203.0.113.9")).status).toBe(200);
      expect((await stream(url, "203.0.113.10")).status).toBe(429);
      expect(await beatFrom(url, "203.0.113.9", D)).toEqual([200, undefined]);
      expect(await beatFrom(url, "203.0.113.10", id("e"))).toEqual([429, "new_sessions_per_ip_per_hour"]);
      expect(count("sessions")).toBe(3);
    } finally {
      for (const c of streams) c.abort();
      await app.stop(true);
    }
  });

  test("per session (X-Session-Id): the 1st stream opens, the 2nd is 429; another session still opens one", async () => {
    makeApp({ event_streams_per_session: 1 });
    const streams = [new AbortController(), new AbortController()];
    expect((await open({ "x-session-id": A }, streams[0]!.signal)).status).toBe(200);
    const second = await open({ "x-session-id": A }, new AbortController().signal);
    expect([second.status, (await second.json()).limit]).toEqual([429, "event_streams_per_session"]);
    expect((await open({ "x-session-id": B }, streams[1]!.signal)).status).toBe(200);
    for (const s of streams) s.abort();
  });
});

describe("a message body is stored once", () => {
  test("the body is in the messages table once and in no event; the human's stream still shows it, a repo-token stream does not", async () => {
    makeApp({});
    await beat(B);
    const marker = "the-body-marker-6f1d";
    expect((await send(A, { subject: "subject-marker-77aa", body: marker })).status).toBe(200);
    const rows = db.sqlite.query("SELECT 'messages' AS t, COUNT(*) AS n FROM messages WHERE body LIKE ?1 UNION ALL SELECT 'events', COUNT(*) FROM events WHERE data LIKE ?1 OR data LIKE ?2").all(`%${marker}%`, "%subject-marker%");
    expect(rows).toEqual([
      { t: "messages", n: 1 },
      { t: "events", n: 0 },
    ]);
    const read = async (headers: Record<string, string>, query: string) => {
      const ctl = new AbortController();
      const res = await app.handle(new Request(`http://localhost/events?${query}&last_event_id=0`, { headers, signal: ctl.signal }));
      const reader = res.body!.getReader();
      let text = "";
      while (!text.includes("event: message")) text += new TextDecoder().decode((await reader.read()).value);
      while (!/event: message\ndata: .*\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      ctl.abort();
      return JSON.parse(/event: message\ndata: (.*)\n/.exec(text)![1]!);
    };
    expect(await read({ authorization: `Bearer ${ADMIN}` }, "repo=o/r")).toEqual({ id: 1, from: "aaaaaaaa", to: "bbbbbbbb", sent_at: "2026-01-05T20:00:00Z", read: false, subject: "subject-marker-77aa", body: marker });
    expect(await read({}, new URLSearchParams(auth).toString())).toEqual({ id: 1, from: "aaaaaaaa", to: "bbbbbbbb", sent_at: "2026-01-05T20:00:00Z", read: false });
  });
});
