// Tests of src/api/client.ts against real HTTP servers on 127.0.0.1: error bodies, 5xx, timeouts, GET retries, no POST retry.
import { afterEach, describe, expect, test } from "bun:test";
import { CoordClient, retryAfterSeconds } from "../../src/api/client.ts";
import { CoordError } from "../../src/core/errors.ts";

const servers: ReturnType<typeof Bun.serve>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});
function serve(handler: (req: Request) => Response | Promise<Response>) {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
  servers.push(s);
  return `http://127.0.0.1:${s.port}`;
}
async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CoordError) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error("no error");
}
const auth = { repo: "o/r", token: `sha256:${"0".repeat(64)}`, commit_sha: "1".repeat(40) };

test("an error body maps back to its domain code with its details", async () => {
  const claimed_by = { session: "aaaaaaaa", branch: "claude/a", claimed_at: "2026-01-05T20:00:00Z" };
  const url = serve(() => Response.json({ status: "conflict", message: "Task 't' is already claimed by another session.", task_id: "t", claimed_by }, { status: 409 }));
  const e = await failure(new CoordClient({ service_url: url, timeout_ms: 2000 }).claim({ ...auth, session_id: "s", task_id: "t", branch: "b" }));
  expect(e).toEqual({ code: "conflict", message: "Task 't' is already claimed by another session.", details: { task_id: "t", claimed_by } });
});

test("a 5xx without a known code is service_unavailable naming the status; a 500 internal_error too", async () => {
  let n = 0;
  const url = serve(() => (n++ === 0 ? new Response("gateway down", { status: 502 }) : Response.json({ status: "internal_error", message: "bug" }, { status: 500 })));
  const c = new CoordClient({ service_url: url, timeout_ms: 2000 });
  expect(await failure(c.complete({ ...auth, session_id: "s", task_id: "t" }))).toEqual({
    code: "service_unavailable",
    message: "The service answered HTTP 502.",
    details: { service_url: url, reason: "HTTP 502" },
  });
  expect((await failure(c.complete({ ...auth, session_id: "s", task_id: "t" }))).code).toBe("service_unavailable");
});

test("a timeout is service_unavailable with the timeout in seconds", async () => {
  const url = serve(async () => {
    await Bun.sleep(1000);
    return Response.json({});
  });
  const e = await failure(new CoordClient({ service_url: url, timeout_ms: 150 }).claims(auth));
  expect(e).toEqual({ code: "service_unavailable", message: "Coordination service is unavailable.", details: { service_url: url, reason: "Timeout after 0.15 s" } });
});

test("a refused connection is retried for GETs with backoff, then reported", async () => {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${s.port}`;
  s.stop(true);
  const started = performance.now();
  const e = await failure(new CoordClient({ service_url: url, timeout_ms: 1000, get_retries: 2, retry_backoff_ms: 50 }).claims(auth));
  expect(e.code).toBe("service_unavailable");
  expect(String(e.details.reason)).toStartWith("Connection failed");
  expect(performance.now() - started).toBeGreaterThanOrEqual(150);
});

test("a POST answered 503 is sent exactly once, never retried", async () => {
  let posts = 0;
  const url = serve((req) => {
    if (req.method === "POST") {
      posts++;
      return new Response("", { status: 503 });
    }
    return Response.json({ active: [], recently_completed: [] });
  });
  const c = new CoordClient({ service_url: url, timeout_ms: 2000 });
  expect(await c.claims(auth)).toEqual({ active: [], recently_completed: [] });
  expect((await failure(c.claim({ ...auth, session_id: "s", task_id: "t", branch: "b" }))).code).toBe("service_unavailable");
  expect(posts).toBe(1);
});

// ---- Sessions, messages and events (SPEC §7) ----

/** A server recording each request's method, path with query, headers of interest and body. */
function recorder(answer: (req: Request) => Response | Promise<Response>) {
  const seen: { method: string; url: string; session: string | null; authorization: string | null; body: unknown }[] = [];
  const url = serve(async (req) => {
    const text = await req.text();
    const u = new URL(req.url);
    seen.push({ method: req.method, url: u.pathname + u.search, session: req.headers.get("x-session-id"), authorization: req.headers.get("authorization"), body: text ? JSON.parse(text) : undefined });
    return answer(req);
  });
  return { url, seen };
}
const q = `repo=o%2Fr&token=sha256%3A${"0".repeat(64)}&commit_sha=${"1".repeat(40)}`;

test("heartbeat posts its body and returns the answer; sessions reads with the repo token in the query", async () => {
  const { url, seen } = recorder((req) =>
    req.method === "POST" ? Response.json({ status: "ok", session: "ssssssss", state: "working", unread: 2 }) : Response.json({ sessions: [] }),
  );
  const c = new CoordClient({ service_url: url, timeout_ms: 2000 });
  const body = { ...auth, session_id: "ssssssss-1", branch: "b", state: "working" as const, task_id: "t", progress: 40 };
  expect(await c.heartbeat(body)).toEqual({ status: "ok", session: "ssssssss", state: "working", unread: 2 });
  expect(await c.sessions(auth)).toEqual({ sessions: [] });
  expect(seen).toEqual([
    { method: "POST", url: "/heartbeat", session: null, authorization: null, body },
    { method: "GET", url: `/sessions?${q}`, session: null, authorization: null, body: undefined },
  ]);
});

test("with an admin token reads send it as a bearer header and never put it (or a token) in the URL", async () => {
  const { url, seen } = recorder(() => Response.json({ sessions: [], active: [], recently_completed: [], messages: [] }));
  const c = new CoordClient({ service_url: url, timeout_ms: 2000 });
  await c.sessions({ repo: "o/r", admin_token: "admin-secret-0123456789" });
  await c.claims({ ...auth, admin_token: "admin-secret-0123456789" });
  await c.inbox({ repo: "o/r", admin_token: "admin-secret-0123456789" }, undefined);
  expect(seen.map((s) => [s.url, s.authorization, s.session])).toEqual([
    ["/sessions?repo=o%2Fr", "Bearer admin-secret-0123456789", null],
    ["/claims?repo=o%2Fr", "Bearer admin-secret-0123456789", null],
    ["/messages?repo=o%2Fr", "Bearer admin-secret-0123456789", null],
  ]);
});

test("inbox sends the session id in the X-Session-Id header only, unread as a query flag; ack posts the ids", async () => {
  const { url, seen } = recorder((req) => (req.method === "GET" ? Response.json({ messages: [] }) : Response.json({ status: "acked", acked: 2 })));
  const c = new CoordClient({ service_url: url, timeout_ms: 2000 });
  expect(await c.inbox(auth, "secret-session-id", { unread: true })).toEqual({ messages: [] });
  expect(await c.inbox(auth, "secret-session-id")).toEqual({ messages: [] });
  expect(await c.ack({ ...auth, session_id: "secret-session-id", ids: [4, 5] })).toEqual({ status: "acked", acked: 2 });
  expect(seen).toEqual([
    { method: "GET", url: `/messages?${q}&unread=true`, session: "secret-session-id", authorization: null, body: undefined },
    { method: "GET", url: `/messages?${q}`, session: "secret-session-id", authorization: null, body: undefined },
    { method: "POST", url: "/messages/ack", session: null, authorization: null, body: { ...auth, session_id: "secret-session-id", ids: [4, 5] } },
  ]);
  expect(seen.some((s) => s.url.includes("secret-session-id"))).toBe(false);
});

test("send posts the message as a session, or as the human with the bearer header; an error body maps back (ambiguous)", async () => {
  let n = 0;
  const { url, seen } = recorder(() =>
    n++ < 2 ? Response.json({ status: "sent", ids: [7], to: ["aaaaaaaa"] }) : Response.json({ status: "ambiguous", message: "Session prefix 'aaaaaaaa' matches 2 sessions; give more characters.", sessions: ["aaaaaaaa", "aaaaaaaa"] }, { status: 409 }),
  );
  const c = new CoordClient({ service_url: url, timeout_ms: 2000 });
  const msg = { repo: "o/r", to_session: "aaaaaaaa", subject: "s", body: "b" };
  expect(await c.send({ ...msg, ...auth, session_id: "me" })).toEqual({ status: "sent", ids: [7], to: ["aaaaaaaa"] });
  expect(await c.send(msg, "admin-secret-0123456789")).toEqual({ status: "sent", ids: [7], to: ["aaaaaaaa"] });
  expect(await failure(c.send(msg, "admin-secret-0123456789"))).toEqual({
    code: "ambiguous",
    message: "Session prefix 'aaaaaaaa' matches 2 sessions; give more characters.",
    details: { sessions: ["aaaaaaaa", "aaaaaaaa"] },
  });
  expect(seen.map((s) => s.authorization)).toEqual([null, "Bearer admin-secret-0123456789", "Bearer admin-secret-0123456789"]);
});

/** An SSE server: `streams[i]` is what the i-th connection gets (then it closes); records each connection's Last-Event-ID. */
const HOLD = "\u0000hold";

function sseServer(streams: string[][]) {
  const lastIds: (string | null)[] = [];
  const url = serve((req) => {
    const i = lastIds.length;
    lastIds.push(req.headers.get("last-event-id"));
    const chunks = streams[i] ?? [];
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(ctl) {
        for (const c of chunks) {
          // HOLD: keep the stream open until the client goes away (so its end cannot race the client's abort).
          if (c === HOLD) return await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve()));
          ctl.enqueue(enc.encode(c));
          await Bun.sleep(5);
        }
        ctl.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  return { url, lastIds };
}

test("events() parses the stream (split chunks, CRLF, comments, multi-line data, non-JSON data) and resumes with Last-Event-ID after the stream ends", async () => {
  const { url, lastIds } = sseServer([
    ["retry: 2000\n: connected\n\n", 'id: 1\nevent: claimed\ndata: {"task_id"', ':"t1"}\n\n', "id: 2\r\nevent: message\r\ndata: line one\r\ndata: line two\r\n\r\n"],
    ['id: 3\nevent: completed\ndata: {"task_id":"t1"}\n\n', HOLD],
  ]);
  const c = new CoordClient({ service_url: url, timeout_ms: 2000 });
  const ctl = new AbortController();
  const got: unknown[] = [];
  const statuses: unknown[] = [];
  for await (const ev of c.events(auth, { signal: ctl.signal, backoff_ms: 20, on_status: (s) => statuses.push(s.connected ? "connected" : [s.attempt, s.retry_in_ms, s.error.code]) })) {
    got.push(ev);
    if (got.length === 3) ctl.abort();
  }
  expect(got).toEqual([
    { id: 1, type: "claimed", data: { task_id: "t1" } },
    { id: 2, type: "message", data: "line one\nline two" },
    { id: 3, type: "completed", data: { task_id: "t1" } },
  ]);
  expect(lastIds).toEqual([null, "2"]);
  expect(statuses).toEqual(["connected", [1, 20, "service_unavailable"], "connected"]);
});

test("events() starts after a given last_event_id and backs off exponentially up to the cap; max_failures ends it with service_unavailable", async () => {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${s.port}`;
  s.stop(true);
  const waits: number[] = [];
  const started = performance.now();
  const e = await failure(
    (async () => {
      for await (const _ of new CoordClient({ service_url: url, timeout_ms: 1000 }).events(auth, {
        last_event_id: 9,
        backoff_ms: 10,
        max_backoff_ms: 40,
        max_failures: 5,
        on_status: (st) => {
          if (!st.connected) waits.push(st.retry_in_ms);
        },
      })) {
        // no event can arrive
      }
    })(),
  );
  expect(e.code).toBe("service_unavailable");
  expect(String(e.details.reason)).toStartWith("Connection failed");
  expect(waits).toEqual([10, 20, 40, 40]);
  expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  const { url: url2, lastIds } = sseServer([['id: 10\nevent: heartbeat\ndata: {}\n\n']]);
  for await (const ev of new CoordClient({ service_url: url2, timeout_ms: 1000 }).events(auth, { last_event_id: 9 })) {
    expect(ev).toEqual({ id: 10, type: "heartbeat", data: {} });
    break;
  }
  expect(lastIds).toEqual(["9"]);
});

test("events() throws a refusal other than 5xx at once (stale token), retries a 503, and calls an auth function before each connection", async () => {
  let n = 0;
  const url = serve(() => {
    n++;
    if (n === 1) return new Response("busy", { status: 503 });
    return Response.json({ status: "stale_token", message: "Repository state has changed.", current_commit: "2".repeat(40), your_commit: "1".repeat(40) }, { status: 401 });
  });
  let calls = 0;
  const e = await failure(
    (async () => {
      for await (const _ of new CoordClient({ service_url: url, timeout_ms: 1000 }).events(
        async () => {
          calls++;
          return auth;
        },
        { backoff_ms: 10 },
      )) {
        // none
      }
    })(),
  );
  expect([e.code, e.details.current_commit, n, calls]).toEqual(["stale_token", "2".repeat(40), 2, 2]);
});

test("events() counts a silent connection as lost after idle_timeout_ms and reconnects; leaving the loop closes the connection", async () => {
  let connections = 0;
  let closed = 0;
  const url = serve(() => {
    connections++;
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode(connections === 2 ? 'id: 1\nevent: claimed\ndata: {}\n\n' : ": connected\n\n"));
      },
      cancel() {
        closed++;
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const reasons: string[] = [];
  const started = performance.now();
  for await (const ev of new CoordClient({ service_url: url, timeout_ms: 1000 }).events(auth, {
    idle_timeout_ms: 100,
    backoff_ms: 10,
    on_status: (s) => {
      if (!s.connected) reasons.push(String(s.error.details.reason));
    },
  })) {
    expect(ev.type).toBe("claimed");
    break;
  }
  expect(connections).toBe(2);
  expect(reasons).toEqual(["No data for 0.1 s"]);
  expect(performance.now() - started).toBeLessThan(900);
  await Bun.sleep(50);
  expect(closed).toBe(2);
});

test("events() gives up on a service that never answers after timeout_ms per attempt (connect timeout, not idle)", async () => {
  const url = serve(async () => {
    await Bun.sleep(2000);
    return new Response("");
  });
  const started = performance.now();
  const e = await failure(
    (async () => {
      for await (const _ of new CoordClient({ service_url: url, timeout_ms: 100 }).events(auth, { max_failures: 1 })) {
        // none
      }
    })(),
  );
  expect([e.code, e.details.reason]).toEqual(["service_unavailable", "Timeout after 0.1 s"]);
  expect(performance.now() - started).toBeLessThan(1500);
});

test.each([
  ["7", 7],
  [" 0 ", 0],
  ["Thu, 01 Jan 2026 00:00:09 GMT", 9],
  ["Thu, 01 Jan 2025 00:00:00 GMT", 0],
  ["soon", undefined],
  [null, undefined],
])("Retry-After %p is %p seconds", (header, seconds) => {
  expect(retryAfterSeconds(header, Date.parse("2026-01-01T00:00:00Z"))).toBe(seconds);
});

describe("an answer outside the route table: not a claude-coord service", () => {
  test("a static HTTP server's page (200 HTML), its 404 and a 200 JSON of another shape are not_a_service, naming the URL; a proxy's 502 page is service_unavailable", async () => {
    const url = serve((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/claims") return new Response("<html>hello</html>", { headers: { "content-type": "text/html" } });
      if (path === "/claim") return new Response("<html>404 Not Found</html>", { status: 404, headers: { "content-type": "text/html" } });
      if (path === "/health") return Response.json({ ok: true });
      return new Response("<html>Bad gateway</html>", { status: 502 });
    });
    const c = new CoordClient({ service_url: url, timeout_ms: 2000 });
    const page = await failure(c.claims(auth));
    expect(page).toEqual({ code: "not_a_service", message: `Not a claude-coord service at ${url}.`, details: { service_url: url, reason: "GET /claims answered HTTP 200 with a body outside the contract (not JSON)" } });
    expect((await failure(c.claim({ ...auth, session_id: "s", task_id: "t", branch: "b" }))).details.reason).toBe("POST /claim answered HTTP 404 without a claude-coord error body");
    expect((await failure(c.health())).code).toBe("not_a_service");
    expect((await failure(c.heartbeat({ ...auth, session_id: "s", branch: "b", state: "working" }))).code).toBe("service_unavailable");
  });
});
