// The PostgreSQL database: embedded drizzle-kit migrations for the pg dialect, the same tables as SQLite, applied once when replicas open together, foreign and newer databases refused.

import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describeDatabase, isPostgresUrl } from "../../src/storage/database-url.ts";
import { DatabaseOpenError, MIGRATIONS_TABLE } from "../../src/storage/db.ts";
import { openPgDatabase } from "../../src/storage/pg-db.ts";
import { PG_MIGRATIONS } from "../../src/storage/pg-migrations.ts";
import * as pgSchema from "../../src/storage/pg-schema.ts";
import * as sqliteSchema from "../../src/storage/schema.ts";
import { freePort, postgresMissing, usePostgres } from "../helpers/postgres.ts";
import { tempDirs } from "./temp-dir.ts";

const ROOT = join(import.meta.dir, "..", "..");
const DRIZZLE_PG = join(ROOT, "drizzle", "pg");
const newDir = tempDirs("pg-migrations");

describe("the embedded PostgreSQL migration list", () => {
  test("lists every .sql file of drizzle/pg/, in order, with the file's exact text, following drizzle-kit's journal", () => {
    const files = readdirSync(DRIZZLE_PG).filter((f) => f.endsWith(".sql")).sort();
    expect(PG_MIGRATIONS.map((m) => `${m.name}.sql`)).toEqual(files);
    for (const m of PG_MIGRATIONS) expect(m.sql).toBe(readFileSync(join(DRIZZLE_PG, `${m.name}.sql`), "utf8"));
    const journal = JSON.parse(readFileSync(join(DRIZZLE_PG, "meta", "_journal.json"), "utf8")) as { entries: { idx: number; tag: string }[] };
    expect(PG_MIGRATIONS.map((m) => m.name)).toEqual(journal.entries.sort((a, b) => a.idx - b.idx).map((e) => e.tag));
  });

  test("pg-schema.ts has no change that drizzle-kit has not generated into drizzle/pg/ yet", () => {
    const out = newDir();
    cpSync(DRIZZLE_PG, out, { recursive: true });
    const result = Bun.spawnSync(
      [process.execPath, join(ROOT, "node_modules", "drizzle-kit", "bin.cjs"), "generate", "--dialect", "postgresql", "--schema", "src/storage/pg-schema.ts", "--out", relative(ROOT, out)],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    expect({ exitCode: result.exitCode, stderr: result.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });
    expect(result.stdout.toString()).toContain("No schema changes");
  }, 60_000);

  test("every SQLite table and column of schema.ts exists in pg-schema.ts under the same name (port new tables to both dialects)", () => {
    const columns = (cfg: { name: string; columns: { name: string }[] }) => [cfg.name, cfg.columns.map((c) => c.name).sort()] as const;
    const sqliteTables = (Object.values(sqliteSchema) as unknown[]).filter((v): v is SQLiteTable => v instanceof SQLiteTable).map((t) => columns(sqliteTableConfig(t)));
    const pgTables = new Map((Object.values(pgSchema) as unknown[]).filter((v): v is PgTable => v instanceof PgTable).map((t) => columns(pgTableConfig(t))));
    expect(sqliteTables.length).toBeGreaterThan(5);
    for (const [name, cols] of sqliteTables) {
      expect({ table: name, columns: (pgTables.get(name) ?? []).filter((c) => cols.includes(c)) }).toEqual({ table: name, columns: [...cols] });
    }
  });
});

describe("which backend a database value selects", () => {
  test("postgres:// and postgresql:// URLs are PostgreSQL; paths, sqlite: and other schemes are SQLite files", () => {
    expect(["postgres://h/db", "postgresql://u:p@h:5432/db", "POSTGRES://h/db"].map(isPostgresUrl)).toEqual([true, true, true]);
    expect(["./claude-coord.db", "/var/lib/coord.db", "postgres.db", "mysql://h/db", "postgres:/h"].map(isPostgresUrl)).toEqual([false, false, false, false, false]);
  });

  test("a URL is described without its password; a path unchanged", () => {
    expect(describeDatabase("postgres://coord:s3cret@db.internal:5432/coord")).toBe("postgres://coord:***@db.internal:5432/coord");
    expect(describeDatabase("postgresql://db/coord")).toBe("postgresql://db/coord");
    expect(describeDatabase("postgres://u:p@[bad")).toBe("postgres://(unparsable URL)");
    expect(describeDatabase("/srv/coord.db")).toBe("/srv/coord.db");
  });
});

describe.skipIf(postgresMissing() !== undefined)("openPgDatabase on a real PostgreSQL", () => {
  const pg = usePostgres();

  test("a new database gets every table, the migration rows and the fence counter row", async () => {
    const db = await openPgDatabase(await pg().createDatabase());
    try {
      const tables = (await db.client`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`).map(
        (r: { table_name: string }) => r.table_name,
      );
      expect(tables).toEqual(["branch_sightings", "claims", MIGRATIONS_TABLE, "events", "fence_counter", "job_runs", "message_reads", "messages", "notify_cursors", "notify_deliveries", "reservations", "session_controls", "sessions", "webhook_deliveries"].sort());
      expect((await db.client`SELECT name FROM coord_migrations ORDER BY name`).map((r: { name: string }) => r.name)).toEqual(PG_MIGRATIONS.map((m) => m.name));
      expect([...(await db.client`SELECT id, last_fence, last_event_id FROM fence_counter`)]).toEqual([{ id: 1, last_fence: "0", last_event_id: "0" }]);
    } finally {
      await db.close();
    }
  });

  test("six replicas opening one new database at once apply each migration exactly once", async () => {
    const url = await pg().createDatabase();
    const dbs = await Promise.all(Array.from({ length: 6 }, () => openPgDatabase(url, { max: 1 })));
    try {
      const rows = await dbs[0]!.client`SELECT name, count(*)::int AS n FROM coord_migrations GROUP BY name ORDER BY name`;
      expect([...rows]).toEqual(PG_MIGRATIONS.map((m) => ({ name: m.name, n: 1 })));
      expect([...(await dbs[0]!.client`SELECT count(*)::int AS n FROM fence_counter`)]).toEqual([{ n: 1 }]);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });

  test("opening again applies nothing and keeps the data", async () => {
    const url = await pg().createDatabase();
    const first = await openPgDatabase(url);
    await first.client`UPDATE fence_counter SET last_fence = 41`;
    await first.close();
    const again = await openPgDatabase(url);
    try {
      expect([...(await again.client`SELECT last_fence FROM fence_counter`)]).toEqual([{ last_fence: "41" }]);
      expect([...(await again.client`SELECT count(*)::int AS n FROM coord_migrations`)]).toEqual([{ n: PG_MIGRATIONS.length }]);
    } finally {
      await again.close();
    }
  });

  test("another application's database is refused by name and left exactly as it was", async () => {
    const url = await pg().createDatabase();
    const other = new SQL({ url, max: 1 });
    try {
      await other`CREATE TABLE invoices (id int)`;
      const e = await openPgDatabase(url).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(DatabaseOpenError);
      expect((e as Error).message).toBe(`${url} is not a claude-coord database (it holds other tables: invoices)`);
      const tables = (await other`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`).map((r: { table_name: string }) => r.table_name);
      expect(tables).toEqual(["invoices"]);
    } finally {
      await other.close();
    }
  });

  test("a database written by a newer claude-coord is refused with the fix", async () => {
    const url = await pg().createDatabase();
    const db = await openPgDatabase(url);
    await db.client`INSERT INTO coord_migrations (name, sha256, applied_at_ms) VALUES ('9999_future', 'x', 0)`;
    await db.close();
    const e = await openPgDatabase(url).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((e as Error).message).toBe(`the database ${url} was written by a newer claude-coord (unknown migration 9999_future); upgrade claude-coord`);
  });
});

describe("openPgDatabase without a server", () => {
  test("an unreachable PostgreSQL is a DatabaseOpenError naming the URL without its password", async () => {
    const port = await freePort();
    const e = await openPgDatabase(`postgres://coord:hunter2@127.0.0.1:${port}/coord`).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DatabaseOpenError);
    expect((e as Error).message).toStartWith(`cannot open the database postgres://coord:***@127.0.0.1:${port}/coord: `);
    expect((e as Error).message).not.toContain("hunter2");
  });
});
