// Several processes on one database file: simultaneous first opens (migrations applied once) and concurrent fence writers.

import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { MIGRATIONS_TABLE } from "../../src/storage/db.ts";
import { MIGRATIONS } from "../../src/storage/migrations.ts";
import { tempDirs } from "./temp-dir.ts";

const newDir = tempDirs("storage-race");
const CHILD = join(import.meta.dir, "db-child.ts");

interface ChildResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Starts one process per argument list, waits until every one has loaded its modules and printed
 * "ready", then releases them all at once (a start barrier) and collects their exit codes and output.
 */
async function runTogether(argLists: string[][]): Promise<ChildResult[]> {
  const children = argLists.map((args) =>
    Bun.spawn([process.execPath, CHILD, ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" }),
  );
  const readers = children.map((c) => c.stdout.getReader());
  const decoder = new TextDecoder();
  const seen = children.map(() => "");
  await Promise.all(
    readers.map(async (reader, i) => {
      while (!seen[i]!.includes("ready\n")) {
        const { value, done } = await reader.read();
        if (done) return;
        seen[i] += decoder.decode(value, { stream: true });
      }
    }),
  );
  for (const c of children) {
    c.stdin.write("go\n");
    c.stdin.end();
  }
  return Promise.all(
    children.map(async (c, i) => {
      const reader = readers[i]!;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        seen[i] += decoder.decode(value, { stream: true });
      }
      const exitCode = await c.exited;
      const stderr = await new Response(c.stderr).text();
      return { exitCode, stdout: seen[i]!.replace("ready\n", ""), stderr };
    }),
  );
}

describe("several processes on one database file", () => {
  test("eight processes opening the same brand-new file at once all succeed and each migration is applied once", async () => {
    // Measured: without the bounded retry around `PRAGMA journal_mode = WAL`, about one round in
    // ten to fifteen has a process fail with "database is locked"; each round takes ~0.25 s.
    const rounds = 8;
    const started = Date.now();
    for (let round = 0; round < rounds && Date.now() - started < 20_000; round++) {
      const path = join(newDir(), "coord.db");
      const results = await runTogether(Array.from({ length: 8 }, () => ["open", path]));
      for (const r of results) {
        expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: "" });
        expect(JSON.parse(r.stdout)).toEqual({ ok: true });
      }
      const db = new Database(path, { readonly: true });
      const applied = db.query<{ name: string }, []>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY rowid`).all();
      expect(applied.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      const tables = db
        .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => r.name);
      expect(tables).toEqual(expect.arrayContaining(["claims", "fence_counter", MIGRATIONS_TABLE]));
      expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
      db.close();
    }
  }, 30_000);

  test("two processes doing 200 fence transactions each never hand out the same fence twice", async () => {
    const path = join(newDir(), "coord.db");
    const results = await runTogether([
      ["fences", path, "200", "a"],
      ["fences", path, "200", "b"],
    ]);
    const fences: number[] = [];
    for (const r of results) {
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: "" });
      const out = JSON.parse(r.stdout) as { fences: number[] };
      expect(out.fences).toHaveLength(200);
      // Within one process the fences strictly increase.
      expect(out.fences.every((f, i) => i === 0 || f > out.fences[i - 1]!)).toBe(true);
      fences.push(...out.fences);
    }
    expect(new Set(fences).size).toBe(400);
    // The writers really took turns: in fence order, the owner changes more than once.
    const ofA = new Set((JSON.parse(results[0]!.stdout) as { fences: number[] }).fences);
    const sorted = [...fences].sort((x, y) => x - y);
    const turns = sorted.filter((f, i) => i > 0 && ofA.has(f) !== ofA.has(sorted[i - 1]!)).length;
    expect(turns).toBeGreaterThan(1);
    const db = new Database(path, { readonly: true });
    const rows = db.query<{ n: number; distinct_fences: number }, []>(
      "SELECT count(*) AS n, count(DISTINCT fence) AS distinct_fences FROM claims",
    ).get();
    expect(rows).toEqual({ n: 400, distinct_fences: 400 });
    expect(db.query<{ last_fence: number }, []>("SELECT last_fence FROM fence_counter").get()?.last_fence).toBe(
      Math.max(...fences),
    );
    db.close();
  }, 30_000);

  test("two processes taking turns on one task never stamp a claim before the completion it follows (SPEC §16)", async () => {
    const path = join(newDir(), "coord.db");
    const results = await runTogether([
      ["turns", path, "150", "a"],
      ["turns", path, "150", "b"],
    ]);
    for (const r of results) expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: "" });
    const db = new Database(path, { readonly: true });
    const rows = db
      .query<{ session_id: string; fence: number; claimed_at_ms: number; completed_at_ms: number | null }, []>(
        "SELECT session_id, fence, claimed_at_ms, completed_at_ms FROM claims WHERE task_id = 'shared' ORDER BY fence",
      )
      .all();
    db.close();
    const grants = results.map((r) => (JSON.parse(r.stdout) as { grants: number }).grants);
    expect(rows).toHaveLength(grants[0]! + grants[1]!);
    // Both processes got the task, and it changed hands between them, so their transactions met.
    const handovers = rows.filter((r, i) => i > 0 && r.session_id[0] !== rows[i - 1]!.session_id[0]).length;
    expect(handovers).toBeGreaterThan(1);
    const early = rows.filter((r, i) => i > 0 && r.claimed_at_ms < rows[i - 1]!.completed_at_ms!);
    expect(early).toEqual([]);
    expect(rows.every((r) => r.completed_at_ms !== null && r.completed_at_ms >= r.claimed_at_ms)).toBe(true);
  }, 30_000);

  test("a process killed while heartbeating leaves no session without its event and no event without its session", async () => {
    for (let round = 0; round < 3; round++) {
      const path = join(newDir(), "coord.db");
      const child = Bun.spawn([process.execPath, CHILD, "heartbeats", path], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      const reader = child.stdout.getReader();
      let out = "";
      while (!out.includes("ready\n")) out += new TextDecoder().decode((await reader.read()).value);
      child.stdin.write("go\n");
      child.stdin.end();
      while (!out.includes("beating\n")) out += new TextDecoder().decode((await reader.read()).value);
      await Bun.sleep(100 + round * 70);
      child.kill("SIGKILL");
      expect(await child.exited).toBe(137);
      const db = new Database(path, { readonly: true });
      const session = db.query<{ t: number }, []>("SELECT last_heartbeat_ms AS t FROM sessions").get();
      const beats = db.query<{ n: number; last: number }, []>("SELECT count(*) AS n, max(at_ms) AS last FROM events WHERE type = 'heartbeat'").get();
      db.close();
      // The clock counts 1, 2, 3, ...: heartbeat k is stamped k, so n committed heartbeats leave the session at n with n events.
      expect(session!.t).toBeGreaterThan(1);
      expect(beats).toEqual({ n: session!.t, last: session!.t });
    }
  }, 30_000);
});
