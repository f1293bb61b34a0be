// The human's controls of sessions (SPEC §13) on PostgreSQL through drizzle: core's ControlTx inside the locked transaction, and the ControlStore reads, one row per session.
import { and, eq } from "drizzle-orm";
import type { ControlRecord, ControlStore, ControlTx } from "../core/controls.ts";
import type { PgTx } from "./pg-activity-store.ts";
import type { PgCoordDatabase, PgOrm } from "./pg-db.ts";
import { pgCall } from "./pg-errors.ts";
import { sessionControls } from "./pg-schema.ts";

const where = (repo: string, session_id: string) => and(eq(sessionControls.repo, repo), eq(sessionControls.session_id, session_id));

/** The control row of `(repo, session_id)` as core's ControlRecord: one statement. */
async function get(q: Pick<PgOrm, "select">, repo: string, session_id: string): Promise<ControlRecord | undefined> {
  const [r] = await q.select().from(sessionControls).where(where(repo, session_id));
  return r ? { repo: r.repo, session_id: r.session_id, action: r.action, message: r.message, at_ms: r.at_ms, paused_from: r.paused_from } : undefined;
}

/**
 * Core's ControlTx inside the PostgreSQL claim store's locked transaction (a control changes in the
 * same transaction as its session). `live()` returns the transaction and throws once it ended.
 */
export function pgControlTx(live: () => PgTx): ControlTx {
  return {
    getControl: (repo, session_id) => get(live(), repo, session_id),
    async putControl(c) {
      await live().insert(sessionControls).values(c).onConflictDoUpdate({ target: [sessionControls.repo, sessionControls.session_id], set: c });
    },
    async deleteControl(repo, session_id) {
      await live().delete(sessionControls).where(where(repo, session_id));
    },
  };
}

/** Core's ControlStore on PostgreSQL: single statements; rejects with `store_unavailable` while PostgreSQL is down. */
export function createPgControlStore(db: PgCoordDatabase): ControlStore {
  return { getControl: (repo, session_id) => pgCall(() => get(db.orm, repo, session_id)) };
}
