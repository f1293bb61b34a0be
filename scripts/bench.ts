// Benchmarks (not tests): the HTTP write/read paths against a raw Bun.serve + bun:sqlite baseline, token time, CLI wall time against curl, and an idle `hook activity` against `true`.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TokenBuckets } from "../src/server/token-bucket.ts";
import { binary, cloneSession, makeOrigin, startService, tempDir } from "../tests/helpers/e2e.ts";

let sessions = 0;

/** A new session id for a benchmark request: its own 8-character prefix (SPEC §16: a live prefix names one session), at least 16 characters, `tag` after it. */
export function benchSession(tag: string): string {
  return `${(sessions++).toString(16).padStart(8, "0")}-${tag}-session`;
}

/** One load run: requests per second and latency percentiles in ms. */
export interface LoadResult {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

const MAX_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const MAX_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

/** How many alternating rounds compare rate limits on and off (`BENCH_ROUNDS`, default 15). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

/** Sends `make(i)` requests with `concurrency` workers until `max_requests` or `max_seconds` (default MAX_REQUESTS, MAX_SECONDS), whichever first. */
export async function load(concurrency: number, make: (i: number) => Request, expectStatus: number, max_requests = MAX_REQUESTS, max_seconds = MAX_SECONDS): Promise<LoadResult> {
  const lat: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const deadline = started + max_seconds * 1000;
  const worker = async () => {
    while (next < max_requests && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      const res = await fetch(make(i));
      await res.arrayBuffer();
      lat.push(performance.now() - t0);
      if (res.status !== expectStatus) failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${failures} requests did not answer ${expectStatus}`);
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((lat.length * p) / 100))]!;
  return { requests: lat.length, rps: lat.length / secs, p50_ms: pct(50), p99_ms: pct(99) };
}

async function startBaseline(db: string): Promise<{ url: string; stop: () => void }> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "bench-baseline.ts"), db], { stdout: "pipe", stderr: "inherit" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`baseline exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  return { url: /listening on (\S+)/.exec(out)![1]!, stop: () => proc.kill() };
}

/** The median of `xs` (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** `capture`: read stdout and stderr through pipes, as Claude Code does with a hook's output (output sent to /dev/null measures slower in Bun). */
async function wall(cmd: string[], opts: { cwd: string; env: Record<string, string>; stdin?: string; expect_code?: number; capture?: boolean }, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const stdin = opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin);
    const out = opts.capture ? "pipe" : "ignore";
    const p = Bun.spawn(cmd, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdin, stdout: out, stderr: out });
    if (opts.capture) await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text()]);
    const code = await p.exited;
    if (code !== (opts.expect_code ?? 0)) throw new Error(`${cmd.join(" ")} exited ${code}`);
    times.push(performance.now() - t0);
  }
  return median(times);
}

const fmt = (n: number, d = 1) => n.toFixed(d);

/**
 * `hook pre-tool-use` wall time, warm (it runs before every edit an agent makes; target < 25 ms),
 * against `true` (process start) and `curl` of /health in the same run: an Edit of a path nobody
 * reserves (exit 0) and of one another session reserves (exit 2). Output goes through pipes, as
 * Claude Code reads a hook's stderr.
 */
async function benchHook(bin: string, work: string, url: string, runs: number): Promise<string> {
  const env = { CLAUDE_COORD_REPO: "bench/repo", CLAUDE_COORD_URL: url, CLAUDE_COORD_SESSION_ID: "bench-hook-holder-0001" };
  const reserved = Bun.spawnSync([bin, "reserve", "src/ui/**"], { cwd: work, env: { ...process.env, ...env } });
  if (reserved.exitCode !== 0) throw new Error(`reserve failed: ${reserved.stderr.toString()}`);
  const input = (rel: string) =>
    JSON.stringify({ session_id: "bench-hook-editor-0002", cwd: work, hook_event_name: "PreToolUse", tool_name: "Edit", tool_input: { file_path: join(work, rel), old_string: "a", new_string: "b" } });
  const hookEnv = { CLAUDE_COORD_REPO: "bench/repo", CLAUDE_COORD_URL: url };
  const free = { cwd: work, env: hookEnv, stdin: input("src/api/x.ts"), capture: true };
  const held = { cwd: work, env: hookEnv, stdin: input("src/ui/button.tsx"), expect_code: 2, capture: true };
  await wall([bin, "hook", "pre-tool-use"], free, 3);
  const t = await wall(["true"], { cwd: work, env: {}, capture: true }, runs);
  const curl = await wall(["curl", "-sf", `${url}/health`], { cwd: work, env: {}, capture: true }, runs);
  const start = await wall([bin, "--version"], { cwd: work, env: {}, capture: true }, runs);
  const allow = await wall([bin, "hook", "pre-tool-use"], free, runs);
  const block = await wall([bin, "hook", "pre-tool-use"], held, runs);
  return table(
    ["command", "median ms", "ratio to curl", "ratio to true"],
    [
      ["hook pre-tool-use (Edit, free path: exit 0)", fmt(allow), fmt(allow / curl, 2), fmt(allow / t, 1)],
      ["hook pre-tool-use (Edit, reserved: exit 2)", fmt(block), fmt(block / curl, 2), fmt(block / t, 1)],
      ["claude-coord --version (process start)", fmt(start), fmt(start / curl, 2), fmt(start / t, 1)],
      ["curl GET /health", fmt(curl), "1.00", fmt(curl / t, 1)],
      ["true", fmt(t), fmt(t / curl, 2), "1.0"],
    ],
  );
}

async function main() {
  const root = tempDir("bench");
  const bin = await binary();
  const { origin } = makeOrigin(root);
  const work = cloneSession(origin, root, "bench");
  // Every POST /claim below is a new session from 127.0.0.1: lift `[limits] new_sessions_per_ip_per_hour` (300) on both services.
  const sessionsBound = "[limits]\nnew_sessions_per_ip_per_hour = 1000000\n";
  writeFileSync(join(root, "ours.toml"), sessionsBound);
  const ours = await startService(["--config", join(root, "ours.toml"), "--port", "0", "--db", join(root, "ours.db"), "--repo", `bench/repo=${origin}`]);
  // The same service with rate limiting off ([server] rate_limit = false): what the default buckets cost.
  writeFileSync(join(root, "nolimit.toml"), `[server]\nrate_limit = false\n\n${sessionsBound}`);
  const open = await startService(["--config", join(root, "nolimit.toml"), "--port", "0", "--db", join(root, "open.db"), "--repo", `bench/repo=${origin}`]);
  const base = await startBaseline(join(root, "base.db"));
  const tok = JSON.parse(Bun.spawnSync([bin, "token", "--json"], { cwd: work }).stdout.toString()) as { token: string; head_sha: string };
  const auth = { repo: "bench/repo", token: tok.token, commit_sha: tok.head_sha };
  const rows: string[][] = [];
  const q = new URLSearchParams(auth);
  try {
    // BENCH_ONLY=hook: just the reservation guard rows (seconds instead of minutes).
    if (process.env.BENCH_ONLY !== "hook") {
      // Reads first, over 20 active claims, so that the listing has the same size in both.
      for (const [name, url] of [["ours", ours.url], ["open", open.url], ["base", base.url]] as const) {
        for (let i = 0; i < 20; i++) {
          await fetch(`${url}/claim`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...auth, session_id: benchSession(`seed-${name}`), task_id: `seed-${i}`, branch: "b" }) });
        }
      }
      // Rate limits on (ours) against off (open): short rounds at c=16, alternating which goes first, so
      // both see the same machine load; the median of the per-round ratios. GET /claims before the
      // write loads (a short listing, as in the table below), POST /claim after them.
      const limitRows: string[][] = [];
      const compare = async (route: string, make: (url: string, round: number) => (i: number) => Request) => {
        const on: number[] = [];
        const off: number[] = [];
        const ratios: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? [ours.url, open.url] : [open.url, ours.url];
          const first = await load(16, make(order[0]!, round), 200, 500, 1);
          const second = await load(16, make(order[1]!, round), 200, 500, 1);
          const [o, n] = order[0] === ours.url ? [first, second] : [second, first];
          on.push(o.rps);
          off.push(n.rps);
          ratios.push(o.rps / n.rps);
        }
        limitRows.push([route, "16", String(ROUNDS), fmt(median(on), 0), fmt(median(off), 0), fmt(median(ratios), 3)]);
      };
      await compare("GET /claims", (url) => () => new Request(`${url}/claims?${q}`));
      for (const c of [1, 16, 64]) {
        const o = await load(c, () => new Request(`${ours.url}/claims?${q}`), 200);
        const n = await load(c, () => new Request(`${open.url}/claims?${q}`), 200);
        const b = await load(c, () => new Request(`${base.url}/claims?${q}`), 200);
        rows.push([`GET /claims`, String(c), fmt(o.rps, 0), fmt(o.p99_ms, 2), fmt(n.rps, 0), fmt(o.rps / n.rps, 2), fmt(b.rps, 0), fmt(b.p99_ms, 2), fmt(o.rps / b.rps, 2)]);
      }
      let run = 0;
      for (const c of [1, 16, 64]) {
        run++;
        const body = (prefix: string, i: number) => JSON.stringify({ ...auth, session_id: benchSession(`${prefix}-${run}`), task_id: `task-${run}-${i}`, branch: "claude/bench", plan_file: "context/plan.json" });
        const post = (url: string, prefix: string) => (i: number) => new Request(`${url}/claim`, { method: "POST", headers: { "content-type": "application/json" }, body: body(prefix, i) });
        const o = await load(c, post(ours.url, "o"), 200);
        const n = await load(c, post(open.url, "n"), 200);
        const b = await load(c, post(base.url, "b"), 200);
        rows.push([`POST /claim`, String(c), fmt(o.rps, 0), fmt(o.p99_ms, 2), fmt(n.rps, 0), fmt(o.rps / n.rps, 2), fmt(b.rps, 0), fmt(b.p99_ms, 2), fmt(o.rps / b.rps, 2)]);
      }
      await compare("POST /claim", (url, round) => (i) =>
        new Request(`${url}/claim`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...auth, session_id: benchSession(`rl-${round}`), task_id: `rl-${round}-${i}`, branch: "claude/bench" }) }),
      );
      console.log("\nHTTP (ours = compiled claude-coord serve, default rate limits; open = the same with rate_limit = false; base = raw Bun.serve + bun:sqlite, WAL, synchronous=FULL)");
      console.log(table(["route", "conc", "ours req/s", "ours p99 ms", "open req/s", "ours/open", "base req/s", "base p99 ms", "ours/base"], rows));
      console.log(`\nRate limits on (defaults) vs off ([server] rate_limit = false), c=16, ${ROUNDS} alternating rounds of <= 500 requests / 1 s, medians`);
      console.log(table(["route", "conc", "rounds", "on req/s", "off req/s", "on/off"], limitRows));
      console.log(`Limiter alone: ${fmt(bucketNs(), 0)} ns per bucket take (two per request).`);
    }
    const env = { CLAUDE_COORD_REPO: "bench/repo", CLAUDE_COORD_URL: ours.url };
    await wall([bin, "claims"], { cwd: work, env }, 2);
    const cli = await wall([bin, "claims"], { cwd: work, env }, 15);
    const curl = await wall(["curl", "-sf", `${ours.url}/claims?${q}`], { cwd: work, env: {} }, 15);
    console.log("\nCLI wall time, warm (median of 15)");
    console.log(table(["command", "ms", "ratio to curl"], [["claude-coord claims", fmt(cli), fmt(cli / curl, 2)], ["curl GET /claims", fmt(curl), "1.00"]]));
    console.log("\nReservation guard: hook pre-tool-use wall time, warm (median of 25; target < 25 ms)");
    console.log(await benchHook(bin, work, ours.url, 25));

    // SPEC §10: `hook activity` within activity_interval answers from a local file, with no request (target: median < 20 ms).
    const session_id = "bench-0000-4000-8000-activity0001";
    const hookInput = (event: string) => JSON.stringify({ session_id, cwd: work, hook_event_name: event, source: "startup", prompt: "go on" });
    Bun.spawnSync([bin, "hook", "session-start"], { cwd: work, env: { ...process.env, ...env }, stdin: new TextEncoder().encode(hookInput("SessionStart")), stdout: "ignore" });
    const idle = { cwd: work, env: { ...env, CLAUDE_COORD_ACTIVITY_INTERVAL: "3600" }, stdin: hookInput("UserPromptSubmit") };
    await wall([bin, "hook", "activity"], idle, 3);
    const hook = await wall([bin, "hook", "activity"], idle, 31);
    const floor = await wall(["true"], { cwd: work, env: {}, stdin: hookInput("UserPromptSubmit") }, 31);
    const version = await wall([bin, "--version"], { cwd: work, env: {} }, 31);
    console.log("\nhook activity, idle (within activity_interval: no request), median of 31");
    console.log(table(["command", "ms", "ratio to true"], [["claude-coord hook activity", fmt(hook), fmt(hook / floor, 2)], ["claude-coord --version (the runtime starting)", fmt(version), fmt(version / floor, 2)], ["true (starting a process)", fmt(floor), "1.00"]]));
  } finally {
    await ours.stop();
    await open.stop();
    base.stop();
    rmSync(root, { recursive: true, force: true });
  }

  if (process.env.BENCH_SKIP_PG !== "1") {
    const { benchPostgres } = await import("./bench-postgres.ts");
    await benchPostgres();
  }
  if (process.env.BENCH_SKIP_TOKEN !== "1") {
    const { benchToken } = await import("./bench-token.ts");
    await benchToken({ print: true });
  }
}

/** The limiter's own cost: ns per `take` over 10 000 keys (two takes per request: address, session). */
function bucketNs(): number {
  const b = new TokenBuckets({ per_second: 20, burst: 100 });
  const keys = Array.from({ length: 10_000 }, (_, i) => `owner/repo\nsession-${i}`);
  const n = 1_000_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) b.take(keys[i % keys.length]!, i);
  return ((performance.now() - t0) * 1e6) / n;
}

/** `rows` under `head` as a Markdown table, each column padded to its widest cell. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(" | ")} |`;
  return [line(head), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

if (import.meta.main) await main();
