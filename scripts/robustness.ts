// The robustness suite (not a test): linearizability of claims under 64 concurrent clients, SIGKILL crashes under claim load, and ≥ 10,000 bad requests, on SQLite and on PostgreSQL with 3 replicas; prints one table.
// Usage: bun scripts/robustness.ts [--quick] [--seed N]   (build dist/claude-coord first: bun scripts/build.ts)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceProcess } from "../tests/helpers/e2e.ts";
import { generate, runBadInput } from "./robustness/bad-input.ts";
import { FULL_CRASHES, runCrashes } from "./robustness/crashes.ts";
import { makeWorld, startReplica } from "./robustness/fixture.ts";
import { checkHistory, injectDoubleGrant, injectFenceDisorder } from "./robustness/linearizability.ts";
import { postgresState, sqliteState, type StateReader } from "./robustness/state.ts";
import { postgresMissing, startPostgres } from "../tests/helpers/postgres.ts";
import { FULL_WORKLOAD, runWorkload } from "./robustness/workload.ts";

/** One row of the table. */
export interface RobustnessRow {
  backend: string;
  part: string;
  operations: number;
  anomalies: number;
  acknowledged: string;
  lost: string;
  requests: string;
  server_errors: string;
  seconds: number;
}

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const seedArg = argv.indexOf("--seed");
const seed = seedArg >= 0 ? Number(argv[seedArg + 1]) : Date.now() % 100_000;

/** A backend under test: its database value, how many replicas serve it, and a reader of its stored state. */
interface Backend {
  name: string;
  database: string;
  replicas: number;
  state(): Promise<StateReader>;
  cleanup(): Promise<void>;
}

async function sqliteBackend(root: string): Promise<Backend> {
  const path = join(root, "coord.db");
  return { name: "SQLite", database: path, replicas: 1, state: async () => sqliteState(path), cleanup: async () => undefined };
}

/** PostgreSQL: a throwaway cluster (tests/helpers/postgres.ts) and three replicas on one database. */
async function postgresBackend(): Promise<Backend | undefined> {
  const missing = postgresMissing();
  if (missing !== undefined) {
    console.error(missing);
    return undefined;
  }
  const cluster = await startPostgres();
  const url = await cluster.createDatabase("robustness");
  return { name: "PostgreSQL, 3 replicas", database: url, replicas: 3, state: async () => postgresState(url), cleanup: async () => cluster.stop() };
}

async function runParts(backend: Backend, root: string): Promise<RobustnessRow[]> {
  const rows: RobustnessRow[] = [];
  const world = await makeWorld(root, backend.database);
  const replicas: ServiceProcess[] = [];
  for (let i = 0; i < backend.replicas; i++) replicas.push(await startReplica(world));
  const state = await backend.state();
  try {
    let t0 = performance.now();
    const size = quick ? { ...FULL_WORKLOAD, operations: 1000 } : FULL_WORKLOAD;
    const ops = await runWorkload(replicas.map((r) => r.url), world.access, size, seed);
    const verdict = checkHistory(ops);
    const doubled = injectDoubleGrant(ops);
    const disordered = injectFenceDisorder(ops);
    const selfTest = [doubled ? checkHistory(doubled).anomalies.length > 0 : false, disordered ? checkHistory(disordered).anomalies.length > 0 : false];
    if (!selfTest.every(Boolean)) verdict.anomalies.push(`checker self-test: an injected double grant was ${selfTest[0] ? "" : "NOT "}rejected, an injected fence disorder was ${selfTest[1] ? "" : "NOT "}rejected`);
    for (const a of verdict.anomalies.slice(0, 10)) console.error(`  ${backend.name} linearizability: ${a}`);
    const granted = ops.filter((o) => o.result.kind === "claim" && o.result.status === "granted").length;
    rows.push({ backend: backend.name, part: `linearizability (${size.clients} clients, ${size.tasks} tasks, ${size.sessions} sessions)`, operations: ops.length, anomalies: verdict.anomalies.length, acknowledged: String(granted), lost: "-", requests: String(ops.length), server_errors: String(verdict.errors), seconds: (performance.now() - t0) / 1000 });

    t0 = performance.now();
    const requests = generate(world.access, quick ? 2000 : 10_000, seed);
    const bad = await runBadInput(replicas[0]!.url, requests, () => state.fingerprint());
    for (const a of bad.anomalies.slice(0, 10)) console.error(`  ${backend.name} bad input: ${a}`);
    rows.push({ backend: backend.name, part: "bad input (every route)", operations: bad.requests, anomalies: bad.anomalies.length + bad.state_changes + bad.hangs, acknowledged: "-", lost: "-", requests: String(bad.requests), server_errors: String(bad.server_errors), seconds: (performance.now() - t0) / 1000 });
    console.error(`  ${backend.name} bad input statuses: ${JSON.stringify(bad.by_status)}`);

    t0 = performance.now();
    const crashes = await runCrashes(world, replicas, quick ? { ...FULL_CRASHES, cycles: 4 } : FULL_CRASHES, seed, () => state.integrity());
    for (const a of crashes.anomalies.slice(0, 10)) console.error(`  ${backend.name} crashes: ${a}`);
    rows.push({ backend: backend.name, part: `crashes (${crashes.cycles} × kill -9${backend.replicas > 1 ? " of one replica" : ""})`, operations: crashes.acknowledged, anomalies: crashes.anomalies.length, acknowledged: String(crashes.acknowledged), lost: String(crashes.lost), requests: "-", server_errors: "-", seconds: (performance.now() - t0) / 1000 });
  } finally {
    await state.close();
    await Promise.all(replicas.map((r) => r.stop()));
  }
  return rows;
}

function printTable(rows: RobustnessRow[]): void {
  const head = ["backend", "part", "operations", "anomalies", "claims acked", "claims lost", "requests", "5xx", "seconds"];
  const body = rows.map((r) => [r.backend, r.part, String(r.operations), String(r.anomalies), r.acknowledged, r.lost, r.requests, r.server_errors, r.seconds.toFixed(1)]);
  console.log(`| ${head.join(" | ")} |`);
  console.log(`|${head.map(() => "---").join("|")}|`);
  for (const b of body) console.log(`| ${b.join(" | ")} |`);
}

if (import.meta.main) {
  console.error(`robustness suite, seed ${seed}${quick ? " (quick)" : ""}`);
  const rows: RobustnessRow[] = [];
  const root = mkdtempSync(join(tmpdir(), "coord-robustness-"));
  try {
    const sqlite = await sqliteBackend(join(root));
    rows.push(...(await runParts(sqlite, mkdtempSync(join(root, "sqlite-")))));
    await sqlite.cleanup();
    const pg = await postgresBackend();
    if (pg) {
      try {
        rows.push(...(await runParts(pg, mkdtempSync(join(root, "pg-")))));
      } finally {
        await pg.cleanup();
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  printTable(rows);
  process.exit(rows.every((r) => r.anomalies === 0) ? 0 : 1);
}
