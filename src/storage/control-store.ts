// The human's controls of sessions (SPEC §13) on SQLite through drizzle: the transaction statements of core's ControlTx and the ControlStore reads, one row per session.
import { and, eq, sql } from "drizzle-orm";
import type { ControlRecord, ControlStore, ControlTx } from "../core/controls.ts";
import type { SessionRecord } from "../core/sessions.ts";
import { queued, type Unqueued } from "./connection-queue.ts";
import type { CoordDatabase, CoordOrm } from "./db.ts";
import { sessionByKey } from "./activity-store.ts";
import { sessionControls } from "./schema.ts";

const where = (repo: string, session_id: string) => and(eq(sessionControls.repo, repo), eq(sessionControls.session_id, session_id));

/** A control row (either dialect: the columns are the same) as core's ControlRecord. */
export const toControl = (r: typeof sessionControls.$inferSelect): ControlRecord => ({ repo: r.repo, session_id: r.session_id, action: r.action, message: r.message, at_ms: r.at_ms, paused_from: r.paused_from });

/** The lookups of the claim, heartbeat and directive paths, prepared once per connection (building a drizzle query costs more than running it). */
function lookups(orm: CoordOrm) {
  const p = sql.placeholder;
  const control = orm.select().from(sessionControls).where(and(eq(sessionControls.repo, p("repo")), eq(sessionControls.session_id, p("session_id")))).prepare();
  const session = sessionByKey(orm);
  const get = (repo: string, session_id: string): ControlRecord | undefined => {
    const r = control.get({ repo, session_id });
    return r ? toControl(r) : undefined;
  };
  return {
    get,
    // In process, the two lookups by key cost no round trip.
    sessionAndControl: (repo: string, session_id: string): { session: SessionRecord | undefined; control: ControlRecord | undefined } => ({ session: session(repo, session_id), control: get(repo, session_id) }),
  };
}

/** The synchronous statements of core's ControlTx over `orm` (claim-store.ts runs them inside its transactions): the latest control per (repo, session_id). */
export function controlTxStatements(orm: CoordOrm): Unqueued<ControlTx> {
  const q = lookups(orm);
  return {
    getControl: q.get,
    getSessionAndControl: q.sessionAndControl,
    putControl(c) {
      orm.insert(sessionControls).values(c).onConflictDoUpdate({ target: [sessionControls.repo, sessionControls.session_id], set: c }).run();
    },
    deleteControl(repo, session_id) {
      orm.delete(sessionControls).where(where(repo, session_id)).run();
    },
  };
}

/** Core's ControlStore over `db`: reads outside transactions, each through the connection's queue. */
export function createControlStore(db: CoordDatabase): ControlStore {
  const q = lookups(db.orm);
  return queued<ControlStore>(db.queue, {
    getControl: q.get,
    getSessionAndControl: q.sessionAndControl,
  });
}
