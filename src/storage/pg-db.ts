// Opens the service's PostgreSQL database through Bun's built-in SQL client and drizzle-orm/bun-sql: identity check and the embedded migrations, applied once under an advisory lock when replicas start together.

import { SQL } from "bun";
import { createHash } from "node:crypto";
import { drizzle, type BunSQLDatabase } from "drizzle-orm/bun-sql";
import { DatabaseOpenError, MIGRATIONS_TABLE, splitStatements } from "./db.ts";
import { describeDatabase } from "./database-url.ts";
import type { Migration } from "./migrations.ts";
import { PG_MIGRATIONS } from "./pg-migrations.ts";
import * as schema from "./pg-schema.ts";

/**
 * The advisory lock key (bigint) that migrating transactions take with `pg_advisory_xact_lock`:
 * drizzle's own PostgreSQL migrator takes no lock, so two replicas starting at once would both
 * run the DDL. "ccormigr" in ASCII.
 */
export const MIGRATION_LOCK_KEY = "7161690369701799794";

/** Connections per process: claims serialise on one row lock, so more would only wait. */
export const PG_POOL_SIZE = 8;

/** How long a new connection may take before the attempt fails (so requests fail fast while PostgreSQL is down), in seconds. */
export const PG_CONNECT_TIMEOUT_S = 5;

/** The drizzle handle over `pg-schema.ts`. */
export type PgOrm = BunSQLDatabase<typeof schema>;

/** An open claude-coord PostgreSQL database. */
export interface PgCoordDatabase {
  /** The URL without its password (for logs and errors). */
  readonly label: string;
  /** Drizzle over `pg-schema.ts`. */
  readonly orm: PgOrm;
  /** The Bun SQL pool underneath (raw SQL, LISTEN/NOTIFY). */
  readonly client: SQL;
  /** Closes every pooled connection. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Connects to the PostgreSQL database at `url` (a `postgres://` or `postgresql://` URL), checks
 * that it is empty or claude-coord's, and applies the pending embedded migrations (`PG_MIGRATIONS`)
 * in one transaction under `pg_advisory_xact_lock(MIGRATION_LOCK_KEY)`, so replicas starting
 * together apply each migration exactly once. Creates the `fence_counter` row.
 *
 * Throws `DatabaseOpenError` (its `path` and message name the URL without the password) when
 * PostgreSQL cannot be reached or refuses the login, when the database holds another
 * application's tables, or when it lists a migration this binary does not know (a newer
 * claude-coord wrote it). A failing migration leaves the schema as it was.
 */
export async function openPgDatabase(url: string, options: { max?: number } = {}): Promise<PgCoordDatabase> {
  const label = describeDatabase(url);
  let client: SQL;
  try {
    client = new SQL({ url, max: options.max ?? PG_POOL_SIZE, connectionTimeout: PG_CONNECT_TIMEOUT_S, idleTimeout: 60 });
  } catch (e) {
    throw new DatabaseOpenError(label, `cannot open the database ${label}: ${errorText(e)}`, { cause: e });
  }
  try {
    await applyPgMigrations(client, label, PG_MIGRATIONS);
  } catch (e) {
    await client.close().catch(() => undefined);
    if (e instanceof DatabaseOpenError) throw e;
    throw new DatabaseOpenError(label, `cannot open the database ${label}: ${errorText(e)}`, { cause: e });
  }
  const orm = drizzle({ client, schema });
  let closed = false;
  return {
    label,
    orm,
    client,
    async close() {
      if (closed) return;
      closed = true;
      await client.close({ timeout: 1 });
    },
  };
}

/**
 * Applies, in order and in one transaction holding `pg_advisory_xact_lock(MIGRATION_LOCK_KEY)`,
 * the migrations of `migrations` not yet recorded in `MIGRATIONS_TABLE`, and makes sure the
 * `fence_counter` row exists. `label` only names the database in errors. Returns the names applied
 * now (empty when the schema was current). Throws `DatabaseOpenError` as `openPgDatabase` does;
 * rethrows a failing migration's error (nothing is applied then).
 */
export async function applyPgMigrations(client: SQL, label: string, migrations: readonly Migration[]): Promise<string[]> {
  return client.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    const tables = ((await tx.unsafe(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )) as { table_name: string }[]).map((r) => r.table_name);
    if (tables.length > 0 && !tables.includes(MIGRATIONS_TABLE)) {
      throw new DatabaseOpenError(label, `${label} is not a claude-coord database (it holds other tables: ${tables.sort().slice(0, 5).join(", ")})`);
    }
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name text PRIMARY KEY NOT NULL, sha256 text NOT NULL, applied_at_ms bigint NOT NULL)`,
    );
    const applied = new Set(((await tx.unsafe(`SELECT name FROM ${MIGRATIONS_TABLE}`)) as { name: string }[]).map((r) => r.name));
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...applied].filter((n) => !known.has(n)).sort();
    if (unknown.length > 0) {
      throw new DatabaseOpenError(
        label,
        `the database ${label} was written by a newer claude-coord (unknown migration ${unknown.join(", ")}); upgrade claude-coord`,
      );
    }
    const pending = migrations.filter((m) => !applied.has(m.name));
    for (const m of pending) {
      for (const statement of splitStatements(m.sql)) await tx.unsafe(statement);
      await tx.unsafe(`INSERT INTO ${MIGRATIONS_TABLE} (name, sha256, applied_at_ms) VALUES ($1, $2, $3)`, [
        m.name,
        createHash("sha256").update(m.sql).digest("hex"),
        Date.now(),
      ]);
    }
    if (pending.length > 0 && migrations === PG_MIGRATIONS) {
      await tx.unsafe("INSERT INTO fence_counter (id, last_fence, last_event_id) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING");
    }
    return pending.map((m) => m.name);
  });
}


function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
