// Benchmarks (not tests) of the PostgreSQL backend: POST /claim through 1 and 3 replicas against a raw Bun.sql doing the same locked insert, and the service's CPU with 1,000 idle /events streams on SQLite and PostgreSQL, each stream polling vs one reader per process.
// Run alone: bun scripts/bench-postgres.ts (BENCH_PG_ONLY=claim|streams for one part; BENCH_STREAMS, BENCH_STREAM_SECONDS, BENCH_STREAM_ROUNDS).
import { SQL, type Subprocess } from "bun";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { binary, cloneSession, makeOrigin, startService, tempDir, type ServiceProcess } from "../tests/helpers/e2e.ts";
import { type PgCluster, postgresMissing, startPostgres } from "../tests/helpers/postgres.ts";
import { benchSession, load, type LoadResult, median, table } from "./bench.ts";
import { BENCH_ADMIN_TOKEN } from "./bench-events-server.ts";
import { openPgDatabase } from "../src/storage/pg-db.ts";
import { openStorage } from "../src/storage/storage.ts";

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

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** /proc/<pid>/stat's fields after the command name (field 3 onwards), or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(") ") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of process `pid` so far, in ms (Linux /proc); with `children`, also that of its reaped children. */
function cpuMs(pid: number, children = false): number {
  const f = statFields(pid);
  if (f === undefined) throw new Error(`process ${pid} is gone`);
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return (ticks * 1000) / TICKS_PER_S;
}

/**
 * CPU time so far of a PostgreSQL cluster's server processes, in ms: the postmaster of `data_dir`
 * (first line of postmaster.pid), its reaped children, and its live children (the backends
 * serving the service's pool, the background workers).
 */
function clusterCpuMs(data_dir: string): number {
  const postmaster = Number(readFileSync(join(data_dir, "postmaster.pid"), "utf8").split("\n")[0]);
  let total = cpuMs(postmaster, true);
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f !== undefined && Number(f[1]) === postmaster) total += ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S;
  }
  return total;
}

/** Spawns `cmd` and waits (at most `timeout_ms`) for a stdout line matching `re`; returns the process and the match. */
async function spawnUntil(cmd: string[], re: RegExp, timeout_ms: number, stdin: "pipe" | "ignore" = "ignore") {
  const proc = Bun.spawn(cmd, { stdin, stdout: "pipe", stderr: "inherit" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  // A cleared timer, not a pending sleep: a leftover sleep would keep the benchmark alive after its last table.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout_ms)));
  try {
    while (!re.test(out)) {
      const r = await Promise.race([reader.read(), timeout]);
      if (r === undefined) throw new Error(`${cmd.slice(1).join(" ")} printed no ${re} within ${timeout_ms / 1000} s: ${out}`);
      if (r.done) throw new Error(`${cmd.slice(1).join(" ")} exited: ${out}`);
      out += new TextDecoder().decode(r.value);
    }
  } catch (e) {
    proc.kill("SIGKILL");
    throw e;
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return { proc, match: re.exec(out)! };
}

/** How many processes hold the idle streams (raw TCP, so no client-side connection pool limits them). */
const STREAM_CLIENTS = 4;

/** One measurement: the service's CPU share of one core and the database server's (PostgreSQL only), in percent. */
interface CpuShare {
  service: number;
  database: number | undefined;
}

/**
 * Starts scripts/bench-events-server.ts in `mode` on `database`, opens `streams` idle /events
 * streams from STREAM_CLIENTS child processes (scripts/bench-stream-client.ts), waits 2 s, then
 * measures the CPU time the service (and, with `pg_data`, the cluster) used over `seconds`.
 * Everything it started is killed before it returns.
 */
async function idleStreamsCpu(mode: "single" | "per-stream", database: string, streams: number, seconds: number, pg_data: string | undefined): Promise<CpuShare> {
  const server = await spawnUntil([process.execPath, join(import.meta.dir, "bench-events-server.ts"), mode, database], /listening on (\S+)/, 30_000);
  const clients: Subprocess[] = [];
  try {
    const url = server.match[1]!;
    const per = Math.ceil(streams / STREAM_CLIENTS);
    const opening: Promise<{ proc: Subprocess }>[] = [];
    for (let left = streams; left > 0; left -= per) {
      const n = Math.min(per, left);
      opening.push(
        spawnUntil([process.execPath, join(import.meta.dir, "bench-stream-client.ts"), url, String(n), BENCH_ADMIN_TOKEN], new RegExp(`open ${n}\\b`), 90_000, "pipe").then((c) => {
          clients.push(c.proc);
          return c;
        }),
      );
    }
    await Promise.all(opening);
    await Bun.sleep(2000);
    const s0 = cpuMs(server.proc.pid);
    const d0 = pg_data === undefined ? 0 : clusterCpuMs(pg_data);
    const t0 = performance.now();
    await Bun.sleep(seconds * 1000);
    const ms = performance.now() - t0;
    const service = ((cpuMs(server.proc.pid) - s0) / ms) * 100;
    const db = pg_data === undefined ? undefined : ((clusterCpuMs(pg_data) - d0) / ms) * 100;
    for (const c of clients) if (c.exitCode !== null) throw new Error("a stream client exited during the measurement (the service closed a stream)");
    return { service, database: db };
  } finally {
    for (const c of clients) c.kill("SIGKILL");
    server.proc.kill("SIGKILL");
    await Promise.all([...clients.map((c) => c.exited), server.proc.exited]);
  }
}

/** The mean of `xs`. */
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The load average line of /proc/loadavg (1, 5, 15 minutes). */
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/**
 * The idle-stream CPU rows on SQLite and PostgreSQL: for each backend, `rounds` rounds of "before"
 * (every stream polls the log itself) and "after" (one reader per process), alternating which goes
 * first so both see the same machine load, plus the service with no stream open. Prints the table.
 */
async function benchIdleStreams(cluster: PgCluster, root: string): Promise<void> {
  const streams = Number(process.env.BENCH_STREAMS ?? 1000);
  const seconds = Number(process.env.BENCH_STREAM_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_STREAM_ROUNDS ?? 2);
  const sqlite = join(root, "events.db");
  await (await openStorage(sqlite)).close();
  const pgEvents = await cluster.createDatabase("bench_events");
  await (await openPgDatabase(pgEvents)).close();
  const pgData = join(cluster.dir, "data");
  const load0 = loadAverage();
  const rows: string[][] = [];
  const pct = (n: number | undefined) => (n === undefined ? "-" : fmt(n));
  for (const [name, database, data] of [["SQLite", sqlite, undefined], ["PostgreSQL", pgEvents, pgData]] as const) {
    const idle = await idleStreamsCpu("single", database, 0, seconds, data);
    const before: CpuShare[] = [];
    const after: CpuShare[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (["per-stream", "single"] as const) : (["single", "per-stream"] as const);
      for (const mode of order) (mode === "single" ? after : before).push(await idleStreamsCpu(mode, database, streams, seconds, data));
    }
    const b = mean(before.map((x) => x.service));
    const a = mean(after.map((x) => x.service));
    const db = (xs: CpuShare[]) => (data === undefined ? undefined : mean(xs.map((x) => x.database ?? 0)));
    rows.push([name, String(streams), pct(idle.service), fmt(b), fmt(a), fmt(b / Math.max(a, 0.1), 1), pct(idle.database), pct(db(before)), pct(db(after))]);
  }
  console.log(
    `\nService CPU with ${streams} idle /events streams (percent of one core over ${seconds} s, mean of ${rounds} alternating rounds; ` +
      `before = each stream polls the log itself every 250 ms, after = one reader per process; streams held open on raw TCP by ${STREAM_CLIENTS} client processes; ` +
      `PostgreSQL's own server processes in the db columns; load average ${load0} before, ${loadAverage()} after)`,
  );
  console.log(table(["backend", "streams", "0 streams %", "before %", "after %", "before/after", "db 0 streams %", "db before %", "db after %"], rows));
}

/** Rounds of the POST /claim rows (`BENCH_CLAIM_ROUNDS`, default 3), each one load of ours and one of the baseline. */
const CLAIM_ROUNDS = Number(process.env.BENCH_CLAIM_ROUNDS ?? 3);

/** POST /claim at c=16 through 1 and 3 replicas against the raw Bun.sql baseline, in alternating rounds of the same run (medians, and the median of the per-round ratios); prints the table. */
async function benchClaim(cluster: PgCluster, root: string): Promise<void> {
  const bin = await binary();
  const { origin } = makeOrigin(root);
  const work = cloneSession(origin, root, "bench");
  const tok = JSON.parse(Bun.spawnSync([bin, "token", "--json"], { cwd: work }).stdout.toString()) as { token: string; head_sha: string };
  const auth = { repo: "bench/repo", token: tok.token, commit_sha: tok.head_sha };
  const rows: string[][] = [];
  // Like the baseline, no rate limits; and every request is a new session from 127.0.0.1, beyond `[limits] new_sessions_per_ip_per_hour` (300).
  const config = join(root, "bench.toml");
  writeFileSync(config, "[server]\nrate_limit = false\n\n[limits]\nnew_sessions_per_ip_per_hour = 1000000\n");
  const baseDb = await cluster.createDatabase("bench_base");
  await (await openPgDatabase(baseDb)).close();
  const base = startBaseline(baseDb);
  const post = (urls: string[], prefix: string) => (i: number) =>
    new Request(`${urls[i % urls.length]}/claim`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...auth, session_id: benchSession(prefix), task_id: `${prefix}-task-${i}`, branch: "claude/bench", plan_file: "context/plan.json" }) });
  try {
    for (const n of [1, 3]) {
      const db = await cluster.createDatabase(`bench_${n}`);
      const replicas: ServiceProcess[] = await Promise.all(
        Array.from({ length: n }, () => startService(["--config", config, "--port", "0", "--db", db, "--repo", `bench/repo=${origin}`], { cwd: root, timeout_ms: 30_000 })),
      );
      try {
        // Alternating rounds (which goes first swaps), so both see the same machine load; medians.
        const ours: LoadResult[] = [];
        const bases: LoadResult[] = [];
        for (let r = 0; r < CLAIM_ROUNDS; r++) {
          const runOurs = async () => ours.push(await load(16, post(replicas.map((x) => x.url), `r${n}-${r}`), 200));
          const runBase = async () => bases.push(await load(16, post([base.url], `b${n}-${r}`), 200));
          for (const run of r % 2 === 0 ? [runOurs, runBase] : [runBase, runOurs]) await run();
        }
        const med = (xs: LoadResult[], k: "rps" | "p99_ms") => median(xs.map((x) => x[k]));
        const ratio = median(ours.map((o, i) => o.rps / bases[i]!.rps));
        rows.push([`POST /claim, ${n} replica${n > 1 ? "s" : ""}`, "16", fmt(med(ours, "rps"), 0), fmt(med(ours, "p99_ms"), 2), fmt(med(bases, "rps"), 0), fmt(med(bases, "p99_ms"), 2), fmt(ratio, 2)]);
      } finally {
        await Promise.all(replicas.map((r) => r.stop()));
      }
    }
  } finally {
    await base.stop();
  }
  console.log(`\nPostgreSQL (ours = compiled claude-coord serve on one PostgreSQL, rate_limit = false, requests spread over the replicas; base = raw Bun.serve + Bun.sql running the same locked insert; ${CLAIM_ROUNDS} alternating rounds, medians; load average ${loadAverage()})`);
  console.log(table(["route", "conc", "ours req/s", "ours p99 ms", "base req/s", "base p99 ms", "ours/base (median of rounds)"], rows));
}

/**
 * Runs the PostgreSQL rows on a throwaway cluster and prints their tables; prints why when
 * PostgreSQL is not installed. `BENCH_PG_ONLY=claim` or `=streams` runs one part.
 */
export async function benchPostgres(): Promise<void> {
  const missing = postgresMissing();
  if (missing !== undefined) {
    console.log(`\nPostgreSQL rows skipped: ${missing}`);
    return;
  }
  const only = process.env.BENCH_PG_ONLY;
  if (only !== undefined && only !== "claim" && only !== "streams") throw new Error(`BENCH_PG_ONLY must be 'claim' or 'streams', got '${only}'`);
  const cluster = await startPostgres();
  const root = tempDir("bench-pg");
  try {
    if (only !== "streams") await benchClaim(cluster, root);
    if (only !== "claim") await benchIdleStreams(cluster, root);
  } finally {
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchPostgres();
