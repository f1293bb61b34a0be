// Benchmarks (not tests) of the PostgreSQL backend: POST /claim through 1 and 3 replicas against a raw Bun.sql doing the same locked insert, and the CPU of 1,000 idle /events streams with one event reader per stream and per process.
import { SQL } from "bun";
import { join } from "node:path";
import { binary, cloneSession, makeOrigin, startService, tempDir, type ServiceProcess } from "../tests/helpers/e2e.ts";
import { postgresMissing, startPostgres } from "../tests/helpers/postgres.ts";
import { load, table } from "./bench.ts";
import { BENCH_ADMIN_TOKEN } from "./bench-events-server.ts";
import { openPgDatabase } from "../src/storage/pg-db.ts";
import { rmSync } from "node:fs";

const fmt = (n: number, d = 1) => n.toFixed(d);

/**
 * The baseline: Bun.serve + Bun.sql with no framework, answering POST /claim with the same
 * transaction the PostgreSQL store runs for a new claim (lock the counter row, check the task and
 * the session, insert the claim with the next fence, log the event, write the counter back), on a
 * database migrated by claude-coord. Returns its URL and a stop function.
 */
function startBaseline(url: string): { url: string; stop: () => Promise<void> } {
  const sql = new SQL({ url, max: 8 });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const b = (await req.json()) as { repo: string; task_id: string; session_id: string; branch: string };
      const fence = await sql.begin(async (tx) => {
        const [c] = await tx`SELECT last_fence, last_event_id FROM fence_counter WHERE id = 1 FOR UPDATE`;
        const [held] = await tx`SELECT id FROM claims WHERE repo = ${b.repo} AND task_id = ${b.task_id} AND completed_at_ms IS NULL`;
        const [own] = await tx`SELECT id FROM claims WHERE repo = ${b.repo} AND session_id = ${b.session_id} AND completed_at_ms IS NULL`;
        if (held || own) return undefined;
        const f = Number(c.last_fence) + 1;
        const e = Number(c.last_event_id) + 1;
        const now = Date.now();
        await tx`INSERT INTO claims (repo, task_id, session_id, branch, plan_file, fence, claimed_at_ms) VALUES (${b.repo}, ${b.task_id}, ${b.session_id}, ${b.branch}, '', ${f}, ${now})`;
        await tx`INSERT INTO events (id, repo, type, data, at_ms) VALUES (${e}, ${b.repo}, 'claimed', ${JSON.stringify({ task_id: b.task_id, fence: f })}, ${now})`;
        await tx`UPDATE fence_counter SET last_fence = ${f}, last_event_id = ${e} WHERE id = 1`;
        await tx`SELECT pg_notify('coord_events', ${String(e)})`;
        return f;
      });
      return fence === undefined ? Response.json({ status: "conflict" }, { status: 409 }) : Response.json({ status: "claimed", task_id: b.task_id, fence });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    stop: async () => {
      server.stop(true);
      await sql.close();
    },
  };
}

/** CPU time (user + system) of process `pid` so far, in ms (Linux /proc). */
function cpuMs(pid: number): number {
  const fields = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Starts scripts/bench-events-server.ts in `mode` on `database`, opens `streams` idle /events streams, and measures its CPU over `seconds`. Returns the CPU share of one core, in percent. */
async function idleStreamsCpu(mode: "single" | "per-stream", database: string, streams: number, seconds: number): Promise<number> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "bench-events-server.ts"), mode, database], { stdout: "pipe", stderr: "inherit" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`bench-events-server exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  const url = /listening on (\S+)/.exec(out)![1]!;
  const aborts: AbortController[] = [];
  try {
    for (let i = 0; i < streams; i++) {
      const ac = new AbortController();
      aborts.push(ac);
      const res = await fetch(`${url}/events?repo=acme/bench`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` }, signal: ac.signal });
      if (res.status !== 200) throw new Error(`/events answered ${res.status}`);
      void res.body!.pipeTo(new WritableStream()).catch(() => undefined);
    }
    await Bun.sleep(1000);
    const c0 = cpuMs(proc.pid);
    const t0 = performance.now();
    await Bun.sleep(seconds * 1000);
    return ((cpuMs(proc.pid) - c0) / (performance.now() - t0)) * 100;
  } finally {
    for (const ac of aborts) ac.abort();
    proc.kill();
    await proc.exited;
  }
}

/** Runs the PostgreSQL rows and prints their tables; prints why when PostgreSQL is not installed. */
export async function benchPostgres(): Promise<void> {
  const missing = postgresMissing();
  if (missing !== undefined) {
    console.log(`\nPostgreSQL rows skipped: ${missing}`);
    return;
  }
  const cluster = await startPostgres();
  const root = tempDir("bench-pg");
  const bin = await binary();
  const { origin } = makeOrigin(root);
  const work = cloneSession(origin, root, "bench");
  const tok = JSON.parse(Bun.spawnSync([bin, "token", "--json"], { cwd: work }).stdout.toString()) as { token: string; head_sha: string };
  const auth = { repo: "bench/repo", token: tok.token, commit_sha: tok.head_sha };
  const rows: string[][] = [];
  try {
    const baseDb = await cluster.createDatabase("bench_base");
    await (await openPgDatabase(baseDb)).close();
    const base = startBaseline(baseDb);
    const post = (urls: string[], prefix: string) => (i: number) =>
      new Request(`${urls[i % urls.length]}/claim`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...auth, session_id: `${prefix}-session-${i}`, task_id: `${prefix}-task-${i}`, branch: "claude/bench", plan_file: "context/plan.json" }) });
    try {
      for (const n of [1, 3]) {
        const db = await cluster.createDatabase(`bench_${n}`);
        const replicas: ServiceProcess[] = await Promise.all(Array.from({ length: n }, () => startService(["--port", "0", "--db", db, "--repo", `bench/repo=${origin}`], { cwd: root, timeout_ms: 30_000 })));
        try {
          const o = await load(16, post(replicas.map((r) => r.url), `r${n}`), 200);
          const b = await load(16, post([base.url], `b${n}`), 200);
          rows.push([`POST /claim, ${n} replica${n > 1 ? "s" : ""}`, "16", fmt(o.rps, 0), fmt(o.p99_ms, 2), fmt(b.rps, 0), fmt(b.p99_ms, 2), fmt(o.rps / b.rps, 2)]);
        } finally {
          await Promise.all(replicas.map((r) => r.stop()));
        }
      }
    } finally {
      await base.stop();
    }
    console.log("\nPostgreSQL (ours = compiled claude-coord serve on one PostgreSQL, requests spread over the replicas; base = raw Bun.serve + Bun.sql running the same locked insert)");
    console.log(table(["route", "conc", "ours req/s", "ours p99 ms", "base req/s", "base p99 ms", "ours/base"], rows));

    const streams = Number(process.env.BENCH_STREAMS ?? 1000);
    const cpu: string[][] = [];
    const sqlite = join(root, "events.db");
    await (await import("../src/storage/storage.ts")).openStorage(sqlite).then((s) => s.close());
    const pgEvents = await cluster.createDatabase("bench_events");
    await (await openPgDatabase(pgEvents)).close();
    for (const [name, database] of [["SQLite", sqlite], ["PostgreSQL", pgEvents]] as const) {
      const before = await idleStreamsCpu("per-stream", database, streams, 5);
      const after = await idleStreamsCpu("single", database, streams, 5);
      cpu.push([name, String(streams), fmt(before), fmt(after), fmt(before / Math.max(after, 0.1), 1)]);
    }
    console.log(`\nService CPU with ${streams} idle /events streams (percent of one core over 5 s; before = one log reader per stream, after = one per process)`);
    console.log(table(["backend", "streams", "before %", "after %", "before/after"], cpu));
  } finally {
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
