// Rate limits over real HTTP on 127.0.0.1: the per-session bucket, the per-IP bucket with trusted proxies, the git-host gate, 429 with Retry-After.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_POLICY } from "../../src/core/claims.ts";
import type { CurrentMain } from "../../src/core/repo.ts";
import type { RepoSource } from "../../src/sources/source.ts";
import { type App, createApp } from "../../src/server/app.ts";
import { createMetrics, type Metrics } from "../../src/server/metrics.ts";
import { RATE_LIMIT_DEFAULTS, type RateLimitConfig } from "../../src/server/rate-limit.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { FakeReader, whitelistEntry } from "../helpers/fake-reader.ts";

const HEAD = "1".repeat(40);
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
let dir: string;
let db: CoordDatabase;
let app: App | undefined;

/** A remote-like reader: `lacksCommit` for anything but HEAD, and a count of the git-host lookups `current` would make. */
class RemoteReader implements RepoSource {
  readonly inner = new FakeReader(HEAD);
  lookups = 0;
  lacksCommit(c: string): boolean {
    return c !== HEAD;
  }
  current(c: string): Promise<CurrentMain> {
    if (this.lacksCommit(c)) this.lookups++;
    return this.inner.current();
  }
  listBranches(): Promise<string[]> {
    return this.inner.listBranches();
  }
}

function listen(rate_limits: RateLimitConfig | undefined, reader: RepoSource = new FakeReader(HEAD), metrics: Metrics = createMetrics(), clock: () => number = Date.now): string {
  app = createApp({
    store: createClaimStore(db),
    repos: new Map([["owner/repo", whitelistEntry("owner/repo", reader)]]),
    admin_tokens: [],
    policy: DEFAULT_POLICY,
    clock,
    version: "9.9.9",
    log: { info: () => {}, warn: () => {}, error: () => {} },
    metrics,
    ...(rate_limits ? { rate_limits } : {}),
  });
  app.listen({ hostname: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${app.server!.port}`;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-rate-"));
  db = openDatabase(join(dir, "coord.db"));
});
afterEach(async () => {
  await app?.stop(true);
  app = undefined;
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN = new FakeReader(HEAD).token;
const claim = (url: string, session_id: string, task_id: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/claim`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ repo: "owner/repo", token: TOKEN, commit_sha: HEAD, session_id, task_id, branch: "b", plan_file: "" }),
  });

test("one session sending 500 requests in a second gets 429 with Retry-After while another session on the same address keeps getting 200", async () => {
  // The clock stands still for the burst ("in a second"), however slow the machine: no token refills.
  const url = listen(RATE_LIMIT_DEFAULTS, undefined, undefined, () => Date.parse("2026-01-05T20:00:00Z"));
  const a: Response[] = [];
  const b: Response[] = [];
  await Promise.all(
    Array.from({ length: 25 }, async (_, w) => {
      for (let i = 0; i < 20; i++) {
        a.push(await claim(url, A, "task-a"));
        if (i % 4 === 0 && w % 2 === 0) b.push(await claim(url, B, "task-b"));
      }
    }),
  );
  expect(a.length).toBe(500);
  const limited = a.filter((r) => r.status === 429);
  const granted = a.filter((r) => r.status === 200);
  // The burst (100) passes; the rest is refused.
  expect([granted.length, limited.length]).toEqual([RATE_LIMIT_DEFAULTS.session.burst, 400]);
  for (const r of limited) {
    expect(Number(r.headers.get("retry-after"))).toBe(1);
    expect(await r.json()).toEqual({ status: "rate_limited", message: "Too many requests from this session; retry after 1 s.", retry_after_s: 1, bucket: "session" });
  }
  expect(b.length).toBe(65);
  expect(b.map((r) => r.status)).toEqual(Array(65).fill(200));
});

test("behind a trusted proxy each X-Forwarded-For client has its own IP bucket; from an untrusted peer the header is ignored", async () => {
  const tight = { ...RATE_LIMIT_DEFAULTS, ip: { per_second: 0.01, burst: 3 } };
  let url = listen({ ...tight, trusted_proxies: ["127.0.0.1"] });
  const one = { "x-forwarded-for": "203.0.113.7" };
  const statuses = async (n: number, headers: Record<string, string>, task: string) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await claim(url, `${task}-session-0000000001`, task, headers)).status);
    return out;
  };
  expect(await statuses(4, one, "t1")).toEqual([200, 200, 200, 429]);
  expect(await statuses(3, { "x-forwarded-for": "1.1.1.1, 203.0.113.8" }, "t2")).toEqual([200, 200, 200]);
  const refused = await claim(url, "t1-session-0000000001", "t1", one);
  expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(5);
  expect(await refused.json()).toMatchObject({ status: "rate_limited", bucket: "ip" });
  await app!.stop(true);

  url = listen(tight);
  expect(await statuses(4, { "x-forwarded-for": "203.0.113.9" }, "t3")).toEqual([200, 200, 200, 429]);
  expect((await claim(url, "t4-session-0000000001", "t4", { "x-forwarded-for": "203.0.113.10" })).status).toBe(429);
});

test("1000 requests presenting unknown commits reach the git host at most the git-host bucket's burst; each refused one is 429 before any lookup", async () => {
  const reader = new RemoteReader();
  const metrics = createMetrics();
  const url = listen({ ...RATE_LIMIT_DEFAULTS, git_host: { per_second: 0.001, burst: 5 } }, reader, metrics);
  const statuses = new Map<number, number>();
  for (let w = 0; w < 10; w++) {
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const commit = (w * 100 + i).toString(16).padStart(40, "a");
        const res = await fetch(`${url}/claims?${new URLSearchParams({ repo: "owner/repo", token: TOKEN, commit_sha: commit })}`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 429) expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      }),
    );
  }
  expect(reader.lookups).toBe(5);
  expect(Object.fromEntries(statuses)).toEqual({ 401: 5, 429: 995 });
  // The known head passes the gate with an empty bucket.
  expect((await fetch(`${url}/claims?${new URLSearchParams({ repo: "owner/repo", token: TOKEN, commit_sha: HEAD })}`)).status).toBe(200);
  const text = await metrics.registry.metrics();
  expect(text).toContain('coord_rate_limited_total{bucket="git_host"} 995');
});

test("without rate_limits (or with rate_limit = false) nothing is limited", async () => {
  const url = listen({ ...RATE_LIMIT_DEFAULTS, enabled: false, session: { per_second: 0.001, burst: 1 }, ip: { per_second: 0.001, burst: 1 } });
  const codes = await Promise.all(Array.from({ length: 20 }, () => claim(url, A, "task-a").then((r) => r.status)));
  expect(codes).toEqual(Array(20).fill(200));
});
