// Three replicas of the compiled service on one PostgreSQL (SPEC §12): one winner among racers on different replicas, claim --next takes each task once, events cross replicas within 1 s, and an outage is 503 store_unavailable (exit 2) with recovery by itself.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { binary, cloneSession, commitAll, git, planJson, runClient, startService, tempDir, write, type ServiceProcess } from "../helpers/e2e.ts";
import { postgresMissing, startPostgres, type PgCluster } from "../helpers/postgres.ts";

const TASKS = Array.from({ length: 20 }, (_, i) => `job-${String(i).padStart(2, "0")}`);
const REPO = "acme/replicas";

describe.skipIf(postgresMissing() !== undefined)("three replicas on one PostgreSQL", () => {
  let root: string;
  let work: string;
  let cluster: PgCluster;
  let replicas: ServiceProcess[] = [];
  let access: { repo: string; token: string; commit_sha: string };

  beforeAll(async () => {
    root = tempDir("replicas");
    cluster = await startPostgres();
    const url = await cluster.createDatabase("replicas");
    const origin = join(root, "origin.git");
    const author = join(root, "author");
    git(root, "init", "-q", "--bare", "-b", "main", origin);
    git(root, "clone", "-q", origin, author);
    write(join(author, "context", "plan.json"), planJson("plan", TASKS));
    commitAll(author, "plan of 20 tasks");
    git(author, "push", "-q", "origin", "main");
    work = cloneSession(origin, root, "w");
    // Started together: the migrations are applied once under the advisory lock.
    replicas = await Promise.all([0, 1, 2].map(() => startService(["--port", "0", "--db", url, "--repo", `${REPO}=${origin}`], { cwd: root, timeout_ms: 30_000 })));
    const tok = JSON.parse(Bun.spawnSync([await binary(), "token", "--json", "--repo", REPO], { cwd: work }).stdout.toString()) as { token: string; head_sha: string };
    access = { repo: REPO, token: tok.token, commit_sha: tok.head_sha };
  }, 90_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  const post = (url: string, path: string, body: unknown) =>
    fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  test("every replica reports PostgreSQL on /health", async () => {
    for (const r of replicas) expect(await (await fetch(`${r.url}/health`)).json()).toEqual({ status: "ok", version: expect.any(String), backend: "postgresql" });
  });

  test("50 clients racing for one task through the three replicas: exactly one wins, 49 get conflict naming the winner", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(replicas[i % 3]!.url, "/claim", { ...access, session_id: `racer-${String(i).padStart(2, "0")}-session-000`, task_id: "hot-task", branch: `claude/racer-${i}` })),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners.length).toBe(1);
    const winner = results.indexOf(winners[0]!);
    const losers = results.filter((r) => r.status !== 200);
    expect(losers.map((r) => [r.status, r.body.status, (r.body.claimed_by as { session: string }).session])).toEqual(losers.map(() => [409, "conflict", `racer-${String(winner).padStart(2, "0")}`.slice(0, 8)]));
  }, 60_000);

  test("30 claim --next processes over 20 tasks, spread over the replicas: every task taken exactly once, 10 exit 1", async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        runClient(["claim", "--next", "--json"], { cwd: work, env: { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: replicas[i % 3]!.url, CLAUDE_COORD_TIMEOUT: "60", CLAUDE_COORD_SESSION_ID: `next-${String(i).padStart(2, "0")}-session-xx` } }),
      ),
    );
    const codes = results.map((r) => r.code).sort((a, b) => a - b);
    expect(codes).toEqual([...Array(20).fill(0), ...Array(10).fill(1)]);
    const taken = results.filter((r) => r.code === 0).map((r) => (JSON.parse(r.stdout) as { task_id: string }).task_id);
    expect(taken.sort()).toEqual(TASKS);
  }, 120_000);

  test("an event made through replica A reaches an /events reader on replica C within 1 s", async () => {
    const q = new URLSearchParams(access).toString();
    const res = await fetch(`${replicas[2]!.url}/events?${q}`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = "";
    while (!buf.includes(": connected")) buf += dec.decode((await reader.read()).value);
    // Let the reader register before the change, then time the change alone.
    await Bun.sleep(300);
    const t0 = performance.now();
    const claimed = await post(replicas[0]!.url, "/claim", { ...access, session_id: "crossing-replicas-session", task_id: "cross-task", branch: "claude/cross" });
    expect(claimed.status).toBe(200);
    while (!/event: claimed\ndata: [^\n]*cross-task/.test(buf) && performance.now() - t0 < 3000) {
      const r = await Promise.race([reader.read(), Bun.sleep(3000).then(() => undefined)]);
      if (!r || r.done) break;
      buf += dec.decode(r.value);
    }
    const elapsed = performance.now() - t0;
    await reader.cancel();
    expect(buf).toMatch(/event: claimed\ndata: [^\n]*"task_id":"cross-task"/);
    expect(elapsed).toBeLessThan(1000);
  }, 30_000);

  test("PostgreSQL down: /health and POST /claim answer 503 store_unavailable, the client exits 2; once it is back the replicas recover by themselves", async () => {
    cluster.pause();
    try {
      for (const r of replicas) {
        const h = await fetch(`${r.url}/health`);
        expect([h.status, ((await h.json()) as { status: string; backend: string }).backend]).toEqual([503, "postgresql"]);
      }
      const c = await post(replicas[1]!.url, "/claim", { ...access, session_id: "outage-session-000001", task_id: "outage-task", branch: "claude/outage" });
      expect([c.status, c.body.status]).toEqual([503, "store_unavailable"]);
      const cli = await runClient(["claim", "--task", "outage-task", "--json"], { cwd: work, env: { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: replicas[2]!.url, CLAUDE_COORD_SESSION_ID: "outage-session-000002" } });
      expect(cli.code).toBe(2);
      expect(JSON.parse(cli.stdout).status).toBe("store_unavailable");
    } finally {
      await cluster.resume();
    }
    for (const r of replicas) {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await fetch(`${r.url}/health`)).status;
        if (status !== 200) await Bun.sleep(100);
      }
      expect(status).toBe(200);
    }
    const after = await post(replicas[1]!.url, "/claim", { ...access, session_id: "outage-session-000001", task_id: "outage-task", branch: "claude/outage" });
    expect([after.status, after.body.status]).toEqual([200, "claimed"]);
  }, 60_000);
});
