// Rate limits end to end: the compiled service in front of the fake GitHub (its request log counts git-host requests), and the client's wait-and-retry on 429.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { cloneSession, git, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

const REPO = "octo-org/limited";
const A = "aaaaaaaa-1111-4111-8111-111111111111";

describe("the git-host bucket in front of GitHub", () => {
  let root: string;
  let fake: FakeGitHub;
  let service: ServiceProcess;
  let work: string;

  beforeAll(async () => {
    root = tempDir("rate-gh");
    fake = startFakeGitHub();
    const bare = fake.createRepo(REPO);
    const { origin } = makeOrigin(root);
    git(origin, "push", "-q", "--mirror", bare);
    const config = join(root, "service.toml");
    writeFileSync(
      config,
      `[server]\nport = 0\ndatabase = "coord.db"\nmetrics = "public"\ngit_host_per_second = 0.001\ngit_host_burst = 5\n[github]\ntoken = "${fake.pat}"\napi_url = "${fake.api_url}"\n[[repos]]\nname = "${REPO}"\nhead_ttl = "1h"\n`,
    );
    service = await startService(["--config", config]);
    work = cloneSession(bare, root, "a");
  });
  afterAll(async () => {
    await service?.stop();
    fake?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test("1000 requests presenting unknown commits make at most the bucket's 5 GitHub requests; the rest are 429 with Retry-After", async () => {
    const warm = await runClient(["claim", "--task", "task-a", "--json"], { cwd: work, env: { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: A } });
    expect(warm.code).toBe(0);
    const token = (JSON.parse((await runClient(["token", "--json"], { cwd: work, env: {} })).stdout) as { token: string }).token;
    const before = fake.requests.length;
    const statuses: Record<number, number> = {};
    for (let w = 0; w < 20; w++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const commit_sha = (w * 50 + i + 1).toString(16).padStart(40, "0");
          const res = await fetch(`${service.url}/claims?${new URLSearchParams({ repo: REPO, token, commit_sha })}`);
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(5);
        }),
      );
    }
    const made = fake.requests.slice(before);
    expect(made.length).toBeLessThanOrEqual(5);
    expect(made.every((r) => r.kind === "rest" && r.path.endsWith("/commits/main"))).toBe(true);
    expect(statuses).toEqual({ 401: 5, 429: 995 });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('coord_rate_limited_total{bucket="git_host"} 995');
    expect(metrics).toContain(`coord_git_host_requests_total{kind="api"} ${fake.requests.filter((r) => r.kind !== "git").length}`);
  });
});

describe("the client on 429", () => {
  let root: string;
  let work: string;
  let server: ReturnType<typeof Bun.serve>;
  let seen: number[] = [];
  let retryAfter = "1";
  const LISTING = { active: [], recently_completed: [] };

  beforeAll(() => {
    root = tempDir("rate-cli");
    const { origin } = makeOrigin(root);
    work = cloneSession(origin, root, "cli");
    // A service that refuses the first request of each pair with 429 and answers the second.
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch() {
        seen.push(performance.now());
        if (seen.length % 2 === 1) {
          return Response.json({ status: "rate_limited", message: `Too many requests from this session; retry after ${retryAfter} s.`, retry_after_s: Number(retryAfter), bucket: "session" }, { status: 429, headers: { "retry-after": retryAfter } });
        }
        return Response.json(LISTING);
      },
    });
  });
  afterAll(() => {
    server?.stop(true);
    rmSync(root, { recursive: true, force: true });
  });
  const env = () => ({ CLAUDE_COORD_REPO: "acme/x", CLAUDE_COORD_URL: `http://127.0.0.1:${server.port}` });

  test("a Retry-After of 1 s is waited out and the request sent once more: exit 0", async () => {
    seen = [];
    retryAfter = "1";
    const r = await runClient(["claims", "--json"], { cwd: work, env: env() });
    expect([r.code, JSON.parse(r.stdout), r.stderr]).toEqual([0, LISTING, ""]);
    expect(seen.length).toBe(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950);
  });

  test("a Retry-After over 5 s is not waited: exit 2 saying when to retry, and the command it names succeeds", async () => {
    seen = [];
    retryAfter = "30";
    const r = await runClient(["claims"], { cwd: work, env: env() });
    expect(r.code).toBe(2);
    expect(seen.length).toBe(1);
    expect(r.stderr).toBe(
      [
        "ERROR: The coordination service is rate limiting this client.",
        "",
        `Service URL: http://127.0.0.1:${server.port}`,
        "Status: Too many requests from this session; retry after 30 s.",
        "",
        "ACTION REQUIRED: Wait 30 seconds, then run the same claude-coord command again.",
        "",
      ].join("\n"),
    );
    const json = await runClient(["claims", "--json"], { cwd: work, env: env() });
    expect(json.code).toBe(0);
    seen = [];
    const again = await runClient(["claims", "--json"], { cwd: work, env: env() });
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "rate_limited", retry_after_s: 30, bucket: "session" });
  });
});
