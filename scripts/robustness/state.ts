// Reads the stored state of a backend directly (not through the service): a fingerprint of every table for the bad-input part, and SQLite's integrity check for the crash part.
import { Database } from "bun:sqlite";
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
