// GET /metrics through app.handle: Prometheus text parsed, counters moved by exactly the requests made, admin token required unless public.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_POLICY } from "../../src/core/claims.ts";
import { createApp, type App } from "../../src/server/app.ts";
import { createMetrics, type Metrics } from "../../src/server/metrics.ts";
import type { MetricsAccess } from "../../src/server/metrics-routes.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { FakeReader, whitelistEntry } from "../helpers/fake-reader.ts";

const HEAD = "1".repeat(40);
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const ADMIN = "admin-token-0123456789";
let dir: string;
let db: CoordDatabase;
const reader = new FakeReader(HEAD);

function makeApp(access?: MetricsAccess, metrics?: Metrics): App {
  return createApp({
    store: createClaimStore(db),
    repos: new Map([["owner/repo", whitelistEntry("owner/repo", reader)]]),
    admin_tokens: [ADMIN],
    policy: DEFAULT_POLICY,
    clock: () => Date.parse("2026-01-05T20:00:00Z"),
    version: "9.9.9",
    log: { info: () => {}, warn: () => {}, error: () => {} },
    ...(access ? { metrics_access: access } : {}),
    ...(metrics ? { metrics } : {}),
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-metrics-"));
  db = openDatabase(join(dir, "coord.db"));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const claim = (app: App, session_id: string, task_id: string, token = reader.token) =>
  app.handle(
    new Request("http://localhost/claim", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ repo: "owner/repo", token, commit_sha: HEAD, session_id, task_id, branch: `claude/${task_id}`, plan_file: "" }),
    }),
  );

/** Every sample of a Prometheus text exposition, keyed `name{label="value",...}` as written. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

async function scrape(app: App, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }): Promise<Map<string, number>> {
  const res = await app.handle(new Request("http://localhost/metrics", { headers }));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return parse(await res.text());
}

test("after a claim, a conflict and a stale token each claim outcome moved by exactly one", async () => {
  const app = makeApp();
  const before = await scrape(app);
  expect(before.get('coord_claims_total{outcome="granted"}')).toBeUndefined();
  expect((await claim(app, A, "t1")).status).toBe(200);
  expect((await claim(app, B, "t1")).status).toBe(409);
  expect((await claim(app, B, "t2", `sha256:${"0".repeat(64)}`)).status).toBe(401);
  const after = await scrape(app);
  expect(after.get('coord_claims_total{outcome="granted"}')).toBe(1);
  expect(after.get('coord_claims_total{outcome="conflict"}')).toBe(1);
  expect(after.get('coord_claims_total{outcome="stale"}')).toBe(1);
  expect(after.get('coord_http_requests_total{method="POST",route="/claim",status="200"}')).toBe(1);
  expect(after.get('coord_http_requests_total{method="POST",route="/claim",status="409"}')).toBe(1);
  expect(after.get('coord_http_requests_total{method="POST",route="/claim",status="401"}')).toBe(1);
  expect(after.get('coord_http_requests_total{method="GET",route="/metrics",status="200"}')).toBe(1);
  expect(after.get('coord_http_request_duration_seconds_count{method="POST",route="/claim"}')).toBe(3);
  expect(after.get('coord_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/claim"}')).toBe(3);
});

test("a session_has_claim or a bad request is no claim outcome; an unknown path is counted as route unmatched, 404", async () => {
  const app = makeApp();
  await claim(app, A, "t1");
  expect((await claim(app, A, "t2")).status).toBe(409);
  expect((await app.handle(new Request("http://localhost/claim", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }))).status).toBe(400);
  expect((await app.handle(new Request("http://localhost/nope/123"))).status).toBe(404);
  const m = await scrape(app);
  expect([m.get('coord_claims_total{outcome="granted"}'), m.get('coord_claims_total{outcome="conflict"}'), m.get('coord_claims_total{outcome="stale"}')]).toEqual([1, undefined, undefined]);
  expect(m.get('coord_http_requests_total{method="POST",route="/claim",status="400"}')).toBe(1);
  expect(m.get('coord_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
});

test("GET /metrics without the admin token, or with a wrong one, is 401 unauthorized; with metrics = public it needs none", async () => {
  const app = makeApp();
  for (const headers of [{}, { authorization: "Bearer wrong-token-0123456789" }] as Record<string, string>[]) {
    const res = await app.handle(new Request("http://localhost/metrics", { headers }));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      status: "unauthorized",
      message: "GET /metrics requires an admin token: send 'Authorization: Bearer <admin token>' (or set [server] metrics = \"public\").",
    });
  }
  expect((await scrape(makeApp("public"), {})).has("coord_event_streams_open")).toBe(true);
});

test("each app counts into its own registry; the instruments the service wires elsewhere are exposed", async () => {
  const metrics = createMetrics();
  const one = makeApp(undefined, metrics);
  const two = makeApp();
  await claim(one, A, "t1");
  metrics.git_host_requests.inc({ kind: "api" });
  metrics.job_runs.inc({ job: "sweep" });
  metrics.job_failures.inc({ job: "branch_check" });
  metrics.notification_deliveries.inc({ outcome: "delivered" });
  const m = await scrape(one);
  expect(m.get('coord_claims_total{outcome="granted"}')).toBe(1);
  expect(m.get('coord_git_host_requests_total{kind="api"}')).toBe(1);
  expect(m.get('coord_job_runs_total{job="sweep"}')).toBe(1);
  expect(m.get('coord_job_failures_total{job="branch_check"}')).toBe(1);
  expect(m.get('coord_notification_deliveries_total{outcome="delivered"}')).toBe(1);
  expect((await scrape(two)).get('coord_claims_total{outcome="granted"}')).toBeUndefined();
});
