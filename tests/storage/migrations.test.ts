// The embedded migrations: every drizzle-kit file listed in order, the schema fully generated, applied all-or-none and once.

import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { applyMigrations, MIGRATIONS_TABLE } from "../../src/storage/db.ts";
import { MIGRATIONS } from "../../src/storage/migrations.ts";
import { tempDirs } from "./temp-dir.ts";

const ROOT = join(import.meta.dir, "..", "..");
const DRIZZLE = join(ROOT, "drizzle");
const newDir = tempDirs("storage-migrations");

describe("the embedded migration list", () => {
  test("lists every .sql file of drizzle/, in file-name order, with the file's exact text", () => {
    const files = readdirSync(DRIZZLE)
      .filter((f) => f.endsWith(".sql"))
      .sort();
    expect(MIGRATIONS.map((m) => `${m.name}.sql`)).toEqual(files);
    for (const m of MIGRATIONS) expect(m.sql).toBe(readFileSync(join(DRIZZLE, `${m.name}.sql`), "utf8"));
  });

  test("follows drizzle-kit's journal", () => {
    const journal = JSON.parse(readFileSync(join(DRIZZLE, "meta", "_journal.json"), "utf8")) as {
      entries: { idx: number; tag: string }[];
    };
    expect(MIGRATIONS.map((m) => m.name)).toEqual(journal.entries.sort((a, b) => a.idx - b.idx).map((e) => e.tag));
  });

  test("schema.ts has no change that drizzle-kit has not generated into drizzle/ yet", () => {
    const out = newDir();
    cpSync(DRIZZLE, out, { recursive: true, filter: (src) => !src.endsWith(".ts") });
    // drizzle-kit resolves --out against the working directory only when it is relative.
    const result = Bun.spawnSync(
      [
        process.execPath,
        join(ROOT, "node_modules", "drizzle-kit", "bin.cjs"),
        "generate",
        "--dialect",
        "sqlite",
        "--schema",
        "src/storage/schema.ts",
        "--out",
        relative(ROOT, out),
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const stdout = result.stdout.toString();
    expect({ exitCode: result.exitCode, stderr: result.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });
    expect(stdout).toContain("No schema changes");
    expect(readdirSync(out).filter((f) => f.endsWith(".sql")).sort()).toEqual(MIGRATIONS.map((m) => `${m.name}.sql`));
  });
});

describe("applyMigrations", () => {
  const extra = [
    { name: "0000_one", sql: "CREATE TABLE one (x INTEGER);\n--> statement-breakpoint\nINSERT INTO one VALUES (1);" },
    { name: "0001_two", sql: "CREATE TABLE two (y INTEGER);" },
  ];

  function applied(db: Database): string[] {
    return db
      .query<{ name: string }, []>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY rowid`)
      .all()
      .map((r) => r.name);
  }

  test("applies pending migrations in order, each statement once, and records them; a second run applies nothing", () => {
    const db = new Database(join(newDir(), "m.db"));
    expect(applyMigrations(db, "m.db", extra.slice(0, 1))).toEqual(["0000_one"]);
    expect(applyMigrations(db, "m.db", extra)).toEqual(["0001_two"]);
    expect(applyMigrations(db, "m.db", extra)).toEqual([]);
    expect(applied(db)).toEqual(["0000_one", "0001_two"]);
    expect(db.query("SELECT x FROM one").all()).toEqual([{ x: 1 }]);
    db.close();
  });

  test("a failing migration applies nothing of the batch and rethrows SQLite's error", () => {
    const db = new Database(join(newDir(), "m.db"));
    const broken = [...extra, { name: "0002_broken", sql: "CREATE TABLE three (z INTEGER);\n--> statement-breakpoint\nNOT SQL" }];
    expect(() => applyMigrations(db, "m.db", broken)).toThrow("syntax error");
    const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    expect(tables).toEqual([]);
    db.close();
  });
});
