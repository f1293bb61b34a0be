// Tests of src/api/client.ts against real HTTP servers on 127.0.0.1: error bodies, 5xx, timeouts, GET retries, no POST retry.
import { afterEach, expect, test } from "bun:test";
import { CoordClient } from "../../src/api/client.ts";
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
  const url = serve(() => Response.json({ status: "conflict", message: "Task 't' is already claimed by another session.", claimed_by: { session: "aaaaaaaa" } }, { status: 409 }));
  const e = await failure(new CoordClient({ service_url: url, timeout_ms: 2000 }).claim({ ...auth, session_id: "s", task_id: "t", branch: "b" }));
  expect(e).toEqual({ code: "conflict", message: "Task 't' is already claimed by another session.", details: { claimed_by: { session: "aaaaaaaa" } } });
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
