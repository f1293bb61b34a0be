// Reads the stored state of a backend directly (not through the service): a fingerprint of every table for the bad-input part, and SQLite's integrity check for the crash part; on SQLite and PostgreSQL.
import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { createHash } from "node:crypto";

/** The stored state of one backend, read behind the service's back. */
export interface StateReader {
  /** A hash of every row of every claude-coord table (migrations excluded). */
  fingerprint(): Promise<string>;
  /** An anomaly sentence when the database is damaged, else undefined. */
  integrity(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** A read-only view of the SQLite file at `path` (it must exist: start the service first). */
export function sqliteState(path: string): StateReader {
  const db = new Database(path, { readonly: true });
  return {
    async fingerprint() {
      const h = createHash("sha256");
      const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'coord_migrations' ORDER BY name").all();
      for (const { name } of tables) h.update(name).update(JSON.stringify(db.query(`SELECT * FROM "${name}" ORDER BY 1`).values()));
      return h.digest("hex");
    },
    async integrity() {
      const rows = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
      const text = rows.map((r) => r.integrity_check).join("; ");
      return text === "ok" ? undefined : `PRAGMA integrity_check answered: ${text}`;
    },
    async close() {
      db.close();
    },
  };
}

/** A view of the PostgreSQL database at `url` (through its own connection). PostgreSQL keeps its own integrity: `integrity` checks only that the database answers. */
export function postgresState(url: string): StateReader {
  const sql = new SQL({ url, max: 1 });
  return {
    async fingerprint() {
      const h = createHash("sha256");
      const tables = (await sql`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT IN ('coord_migrations', 'job_runs') ORDER BY 1`) as { table_name: string }[];
      for (const { table_name } of tables) h.update(table_name).update(JSON.stringify(await sql.unsafe(`SELECT * FROM "${table_name}" ORDER BY 1`).values()));
      return h.digest("hex");
    },
    async integrity() {
      const [row] = (await sql`SELECT count(*)::int AS n FROM claims`) as { n: number }[];
      return row === undefined ? "PostgreSQL did not answer" : undefined;
    },
    async close() {
      await sql.close();
    },
  };
}
