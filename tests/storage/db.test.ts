// Opening the database: pragmas, migrations recorded once, refusing files that are not claude-coord databases.

import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { APPLICATION_ID, DatabaseOpenError, MIGRATIONS_TABLE, openDatabase } from "../../src/storage/db.ts";
import { MIGRATIONS } from "../../src/storage/migrations.ts";
import { tempDirs } from "./temp-dir.ts";

const newDir = tempDirs("storage-db");

function pragma(db: Database, name: string): unknown {
  return Object.values(db.query(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];
}

function openError(path: string): DatabaseOpenError {
  try {
    openDatabase(path).close();
  } catch (e) {
    expect(e).toBeInstanceOf(DatabaseOpenError);
    return e as DatabaseOpenError;
  }
  throw new Error(`openDatabase(${path}) did not throw`);
}

describe("openDatabase", () => {
  test("sets WAL, synchronous FULL, a busy timeout of at least 5000 ms and foreign keys", () => {
    const db = openDatabase(join(newDir(), "coord.db"));
    expect(pragma(db.sqlite, "journal_mode")).toBe("wal");
    expect(pragma(db.sqlite, "synchronous")).toBe(2);
    expect(pragma(db.sqlite, "busy_timeout")).toBeGreaterThanOrEqual(5000);
    expect(pragma(db.sqlite, "foreign_keys")).toBe(1);
    expect(pragma(db.sqlite, "application_id")).toBe(APPLICATION_ID);
    db.close();
  });

  test("creates missing parent directories", () => {
    const path = join(newDir(), "a", "b", "coord.db");
    openDatabase(path).close();
    expect(existsSync(path)).toBe(true);
  });

  test("records each migration once, and reopening applies nothing again", () => {
    const path = join(newDir(), "coord.db");
    openDatabase(path).close();
    openDatabase(path).close();
    const db = new Database(path, { readonly: true });
    const rows = db.query<{ name: string }, []>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY rowid`).all();
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    db.close();
  });

  test("close is clean: the WAL is checkpointed and removed, and a second close is harmless", async () => {
    const dir = newDir();
    const db = openDatabase(join(dir, "coord.db"));
    await createClaimStore(db).transact(Date.now, (tx) => tx.nextFence());
    db.close();
    db.close();
    expect(readdirSync(dir)).toEqual(["coord.db"]);
  });

  test(":memory: gives a private working database", async () => {
    const db = openDatabase(":memory:");
    const store = createClaimStore(db);
    expect(await store.transact(Date.now, (tx) => tx.nextFence())).toBe(1);
    expect(pragma(db.sqlite, "synchronous")).toBe(2);
    db.close();
  });
});

describe("openDatabase refuses what is not a claude-coord database and leaves it untouched", () => {
  test("a text file: the error names the path and says it is not a claude-coord database", () => {
    const dir = newDir();
    const path = join(dir, "notes.db");
    const text = "These are my notes, not a database.\n".repeat(10);
    writeFileSync(path, text);
    const e = openError(path);
    expect(e.message).toContain(path);
    expect(e.message).toContain("is not a claude-coord database");
    expect(e.path).toBe(path);
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(readdirSync(dir)).toEqual(["notes.db"]);
  });

  test("another application's SQLite database", () => {
    const path = join(newDir(), "other.db");
    const other = new Database(path);
    other.run("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)");
    other.run("INSERT INTO users (name) VALUES ('ada')");
    other.close();
    const before = readFileSync(path);
    const e = openError(path);
    expect(e.message).toContain(path);
    expect(e.message).toContain("is not a claude-coord database");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("an empty SQLite database stamped with another application id", () => {
    const path = join(newDir(), "other.db");
    const other = new Database(path);
    other.run("PRAGMA application_id = 42");
    other.close();
    expect(openError(path).message).toContain("is not a claude-coord database");
  });

  test("a database written by a newer claude-coord (it lists a migration this binary does not know)", () => {
    const path = join(newDir(), "coord.db");
    openDatabase(path).close();
    const db = new Database(path);
    db.run(`INSERT INTO ${MIGRATIONS_TABLE} (name, sha256, applied_at_ms) VALUES ('9999_future', 'x', 1)`);
    db.close();
    const e = openError(path);
    expect(e.message).toContain(path);
    expect(e.message).toContain("newer claude-coord");
    expect(e.message).toContain("9999_future");
  });

  test("a directory", () => {
    const path = join(newDir(), "dir.db");
    mkdirSync(path);
    const e = openError(path);
    expect(e.message).toContain(`cannot open the database ${path}`);
  });
});
