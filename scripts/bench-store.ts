// Benchmark (not a test): what the async store itself costs. The same one-row write transaction on one SQLite file (WAL, synchronous=FULL, as the service opens it) run synchronously with bun:sqlite and through the store's connection queue (async callback, 16 callers waiting), in alternating rounds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/storage/db.ts";
import { table } from "./bench.ts";

/** Transactions per round and mode (`BENCH_STORE_TX`, default 2000), rounds (`BENCH_STORE_ROUNDS`, default 5), callers of the async mode (16, as POST /claim at c=16). */
const TX = Number(process.env.BENCH_STORE_TX ?? 2000);
const ROUNDS = Number(process.env.BENCH_STORE_ROUNDS ?? 5);
const CALLERS = 16;

const dir = mkdtempSync(join(tmpdir(), "coord-bench-store-"));
try {
  const db = openDatabase(join(dir, "store.db"));
  const insert = db.sqlite.prepare("INSERT INTO events (repo, type, data, at_ms) VALUES (?, 'claim', '{}', ?)");
  const immediate = db.sqlite.transaction((at: number) => insert.run("bench/repo", at)).immediate;

  /** Transactions per second of `TX` synchronous immediate transactions. */
  const sync = (): number => {
    const t = performance.now();
    for (let i = 0; i < TX; i++) immediate(i);
    return TX / ((performance.now() - t) / 1000);
  };
  /** Transactions per second of `TX` transactions through the queue, `CALLERS` at a time, each awaiting its async callback. */
  const queued = async (): Promise<number> => {
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (next < TX) {
          const i = next++;
          await db.queue.transaction(Date.now, async (now_ms) => {
            insert.run("bench/repo", now_ms + i);
          });
        }
      }),
    );
    return TX / ((performance.now() - t) / 1000);
  };

  // One unreported round first: the first transactions grow the file and warm the JIT.
  sync();
  await queued();
  const rows: string[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let s: number;
    let q: number;
    if (r % 2 === 0) {
      s = sync();
      q = await queued();
    } else {
      q = await queued();
      s = sync();
    }
    const per_tx_us = (1 / q - 1 / s) * 1e6;
    rows.push([String(r + 1), s.toFixed(0), q.toFixed(0), (q / s).toFixed(3), per_tx_us.toFixed(1)]);
  }
  const median = (i: number) => [...rows].map((row) => Number(row[i])).sort((x, y) => x - y)[Math.floor(rows.length / 2)]!;
  rows.push(["median", median(1).toFixed(0), median(2).toFixed(0), median(3).toFixed(3), median(4).toFixed(1)]);
  db.close();
  console.log(`\nThe async store alone: ${TX} one-row write transactions per mode and round on SQLite (WAL, synchronous=FULL), ${CALLERS} callers for the queued mode, alternating which runs first`);
  console.log(table(["round", "sync tx/s", "queued tx/s", "queued/sync", "µs added per tx"], rows));
  console.log("Divide the µs added per transaction by the service's time per POST /claim (1e6 / req/s in scripts/bench.ts) for the share of claim throughput the async store costs.");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
