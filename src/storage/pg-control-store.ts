// The human's controls of sessions (SPEC §13) on PostgreSQL through drizzle: core's ControlTx inside the locked transaction, and the ControlStore reads, one row per session.
import { and, eq, sql } from "drizzle-orm";
import type { ControlRecord, ControlStore, ControlTx } from "../core/controls.ts";
import type { SessionRecord } from "../core/sessions.ts";
import type { PgTx } from "./pg-activity-store.ts";
import type { PgCoordDatabase, PgOrm } from "./pg-db.ts";
import { pgCall } from "./pg-errors.ts";
import { toRecord } from "./activity-store.ts";
import { toControl } from "./control-store.ts";
import { sessionControls, sessions } from "./pg-schema.ts";

const where = (repo: string, session_id: string) => and(eq(sessionControls.repo, repo), eq(sessionControls.session_id, session_id));

/** The control row of `(repo, session_id)` as core's ControlRecord: one statement. */
async function get(q: Pick<PgOrm, "select">, repo: string, session_id: string): Promise<ControlRecord | undefined> {
  const [r] = await q.select().from(sessionControls).where(where(repo, session_id));
  return r ? toControl(r) : undefined;
}

/** The session and its control in one round trip: a one-row VALUES left-joined to both rows by their keys (either may be missing). */
async function sessionAndControl(q: Pick<PgOrm, "select">, repo: string, session_id: string): Promise<{ session: SessionRecord | undefined; control: ControlRecord | undefined }> {
  const [r] = await q
    .select({ session: sessions, control: sessionControls })
    .from(sql`(VALUES (1)) AS one (x)`)
    .leftJoin(sessions, and(eq(sessions.repo, repo), eq(sessions.session_id, session_id)))
    .leftJoin(sessionControls, where(repo, session_id));
  return { session: r?.session ? toRecord(r.session) : undefined, control: r?.control ? toControl(r.control) : undefined };
}

/**
 * Core's ControlTx inside the PostgreSQL claim store's locked transaction (a control changes in the
 * same transaction as its session). `live()` returns the transaction and throws once it ended.
 */
export function pgControlTx(live: () => PgTx): ControlTx {
  return {
    getControl: (repo, session_id) => get(live(), repo, session_id),
    getSessionAndControl: (repo, session_id) => sessionAndControl(live(), repo, session_id),
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
  return {
    getControl: (repo, session_id) => pgCall(() => get(db.orm, repo, session_id)),
    getSessionAndControl: (repo, session_id) => pgCall(() => sessionAndControl(db.orm, repo, session_id)),
  };
}
