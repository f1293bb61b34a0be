// Opens the service's SQLite database: pragmas, identity check and the embedded migrations, safe when several processes open one new file at once.

import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { type ConnectionQueue, createConnectionQueue } from "./connection-queue.ts";
import { MIGRATIONS, type Migration } from "./migrations.ts";
import * as schema from "./schema.ts";

/** How long a connection waits for another writer before SQLite gives up (`PRAGMA busy_timeout`), in ms. */
export const BUSY_TIMEOUT_MS = 5000;

/** The table recording applied migrations, one row per migration name. */
export const MIGRATIONS_TABLE = "coord_migrations";

/** `PRAGMA application_id` of a claude-coord database ("ccor" in ASCII), so `file(1)` and we can tell it apart. */
export const APPLICATION_ID = 0x63636f72;

/** The drizzle handle over the schema of `schema.ts`. */
export type CoordOrm = BunSQLiteDatabase<typeof schema>;

/** An open claude-coord database: the drizzle handle, the raw bun:sqlite connection, and `close`. */
export interface CoordDatabase {
  /** The path given to `openDatabase` (or `:memory:`). */
  readonly path: string;
  /** Drizzle over `schema.ts`: what stores query with. */
  readonly orm: CoordOrm;
  /** The underlying bun:sqlite connection (pragmas, raw SQL in tests). */
  readonly sqlite: Database;
  /**
   * The connection's one queue: every store on this database runs its reads, writes and
   * transactions through it (see `connection-queue.ts`), so async transactions never interleave.
   */
  readonly queue: ConnectionQueue;
  /**
   * Closes the connection, finalizing every statement; the last connection to close checkpoints
   * the WAL into the main file. Safe to call twice.
   */
  close(): void;
}

/**
 * `openDatabase` could not give a usable claude-coord database at `path`. The message names the
 * path and says why; `cause` holds the SQLite error when there was one. The file is left as it was.
 */
export class DatabaseOpenError extends Error {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseOpenError";
    this.path = path;
  }
}

/**
 * Opens (creating it and its parent directory when missing) the claude-coord database at `path`
 * and brings its schema up to date. `":memory:"` gives a private in-memory database (no WAL).
 *
 * Pragmas: `journal_mode=WAL` (retried with a short bounded backoff while another process holds the
 * lock), `synchronous=FULL`, `busy_timeout=BUSY_TIMEOUT_MS`, `foreign_keys=ON`. Migrations are
 * checked and applied in one `BEGIN IMMEDIATE` transaction, so processes opening one new file at
 * the same moment apply each migration exactly once.
 *
 * Throws `DatabaseOpenError` (message naming `path`) when the file cannot be opened, is not a
 * SQLite database, is another application's SQLite database, was written by a newer claude-coord
 * (it lists a migration this binary does not know), cannot be switched to WAL, or stays locked by
 * another process beyond the bounded retries. A file that is not a claude-coord database is left
 * byte for byte as it was; a failing migration leaves the schema as it was.
 */
export function openDatabase(path: string): CoordDatabase {
  const inMemory = path === ":memory:";
  const sqlite = connect(path, inMemory);
  try {
    sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Checked before WAL is enabled, since switching the journal mode rewrites the file header;
    // applyMigrations checks again under its write lock.
    retryWhileBusy(() => assertSqliteFile(sqlite, path));
    retryWhileBusy(() => assertClaudeCoordDatabase(sqlite, path));
    if (!inMemory) enableWal(sqlite, path);
    sqlite.run("PRAGMA synchronous = FULL");
    applyMigrations(sqlite, path, MIGRATIONS);
    // After migrating: drizzle-kit rebuilds SQLite tables with `PRAGMA foreign_keys=OFF`, which is
    // a no-op inside the migration transaction, so the connection must not enforce them yet.
    sqlite.run("PRAGMA foreign_keys = ON");
  } catch (e) {
    sqlite.close(true);
    if (e instanceof DatabaseOpenError) throw e;
    throw new DatabaseOpenError(path, `cannot open the database ${path}: ${errorText(e)}`, { cause: e });
  }
  const orm = drizzle({ client: sqlite, schema });
  return {
    path,
    orm,
    sqlite,
    queue: createConnectionQueue(sqlite),
    close: () => sqlite.close(true),
  };
}

/**
 * Applies, in order, the migrations of `migrations` not yet recorded in `MIGRATIONS_TABLE`, all in
 * one `BEGIN IMMEDIATE` transaction (all or none), and stamps `APPLICATION_ID`. The check runs
 * inside that transaction, so concurrent callers never apply a migration twice. `path` only names
 * the file in errors. Returns the names applied now (empty when the schema was current).
 *
 * Throws `DatabaseOpenError` when the database belongs to another application or lists a migration
 * absent from `migrations`; rethrows a failing migration's SQLite error (nothing is applied then).
 */
export function applyMigrations(sqlite: Database, path: string, migrations: readonly Migration[]): string[] {
  const migrate = sqlite.transaction((): string[] => {
    const appId = assertClaudeCoordDatabase(sqlite, path);
    sqlite.run(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name TEXT PRIMARY KEY NOT NULL, sha256 TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)`,
    );
    const applied = new Set(
      sqlite
        .query<{ name: string }, []>(`SELECT name FROM ${MIGRATIONS_TABLE}`)
        .all()
        .map((r) => r.name),
    );
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...applied].filter((name) => !known.has(name)).sort();
    if (unknown.length > 0) {
      throw new DatabaseOpenError(
        path,
        `the database ${path} was written by a newer claude-coord (unknown migration ${unknown.join(", ")}); upgrade claude-coord`,
      );
    }
    const pending = migrations.filter((m) => !applied.has(m.name));
    const record = sqlite.query<void, [string, string, number]>(
      `INSERT INTO ${MIGRATIONS_TABLE} (name, sha256, applied_at_ms) VALUES (?, ?, ?)`,
    );
    for (const m of pending) {
      for (const statement of splitStatements(m.sql)) sqlite.run(statement);
      record.run(m.name, createHash("sha256").update(m.sql).digest("hex"), Date.now());
    }
    if (appId !== APPLICATION_ID) sqlite.run(`PRAGMA application_id = ${APPLICATION_ID}`);
    return pending.map((m) => m.name);
  });
  return retryWhileBusy(() => migrate.immediate());
}

/** Splits a drizzle-kit migration into its statements (drizzle-kit separates them with `--> statement-breakpoint`). */
export function splitStatements(sql: string): string[] {
  return sql
    .split("--> statement-breakpoint")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function connect(path: string, inMemory: boolean): Database {
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    return new Database(path, { create: true, readwrite: true });
  } catch (e) {
    throw new DatabaseOpenError(path, `cannot open the database ${path}: ${errorText(e)}`, { cause: e });
  }
}

/** The first read of the file: SQLite reports a file that is not a database here, before anything is written. */
function assertSqliteFile(sqlite: Database, path: string): void {
  try {
    sqlite.query("SELECT count(*) FROM sqlite_master").get();
  } catch (e) {
    if (sqliteCode(e) === "SQLITE_NOTADB") {
      throw new DatabaseOpenError(path, `${path} is not a claude-coord database (it is not a SQLite database)`, {
        cause: e,
      });
    }
    throw e;
  }
}

/** A claude-coord database is empty, or carries our application id or migrations table. Returns its application id. */
function assertClaudeCoordDatabase(sqlite: Database, path: string): number {
  const appId = sqlite.query<{ application_id: number }, []>("PRAGMA application_id").get()?.application_id ?? 0;
  const tables = sqlite
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .all()
    .map((r) => r.name);
  const foreignId = appId !== 0 && appId !== APPLICATION_ID;
  const foreignTables = appId === 0 && tables.length > 0 && !tables.includes(MIGRATIONS_TABLE);
  if (foreignId || foreignTables) {
    throw new DatabaseOpenError(path, `${path} is not a claude-coord database (it belongs to another application)`);
  }
  return appId;
}

/**
 * Switches the file to WAL. Changing the journal mode needs an exclusive lock and SQLite may answer
 * "database is locked" at once, without waiting for the busy timeout, while another process opens
 * the same new file: retry with a short bounded backoff.
 */
function enableWal(sqlite: Database, path: string): void {
  const current = sqlite.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode;
  if (current === "wal") return;
  const mode = retryWhileBusy(
    () => sqlite.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get()?.journal_mode,
  );
  if (mode !== "wal") {
    throw new DatabaseOpenError(
      path,
      `cannot switch the database ${path} to WAL mode (SQLite answered ${String(mode)}); is it on a network file system?`,
    );
  }
}

/** Runs `fn`, retrying while SQLite answers SQLITE_BUSY, with a capped, jittered backoff for at most `BUSY_TIMEOUT_MS` more. */
function retryWhileBusy<T>(fn: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (!sqliteCode(e)?.startsWith("SQLITE_BUSY") || Date.now() >= deadline) throw e;
      Bun.sleepSync(Math.min(100, 5 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}

/** The SQLite error code name (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, ...) of `e` or of an error in its `cause` chain. */
export function sqliteCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return code;
  }
  return undefined;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
