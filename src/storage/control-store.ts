// The human's controls of sessions (SPEC §13) on SQLite through drizzle: the transaction statements of core's ControlTx and the ControlStore reads, one row per session.
import { and, eq, sql } from "drizzle-orm";
import type { ControlRecord, ControlStore, ControlTx } from "../core/controls.ts";
import type { SessionRecord } from "../core/sessions.ts";
import { queued, type Unqueued } from "./connection-queue.ts";
import type { CoordDatabase, CoordOrm } from "./db.ts";
import { toRecord } from "./activity-store.ts";
import { sessionControls, sessions } from "./schema.ts";

const where = (repo: string, session_id: string) => and(eq(sessionControls.repo, repo), eq(sessionControls.session_id, session_id));

/** The two lookups of the claim and heartbeat paths, prepared once per connection (building a drizzle query costs more than running it). */
function lookups(orm: CoordOrm) {
  const p = sql.placeholder;
  return {
    control: orm.select().from(sessionControls).where(and(eq(sessionControls.repo, p("repo")), eq(sessionControls.session_id, p("session_id")))).prepare(),
    session: orm.select().from(sessions).where(and(eq(sessions.repo, p("repo")), eq(sessions.session_id, p("session_id")))).prepare(),
  };
}

function get(q: ReturnType<typeof lookups>, repo: string, session_id: string): ControlRecord | undefined {
  const r = q.control.get({ repo, session_id });
  return r ? { repo: r.repo, session_id: r.session_id, action: r.action, message: r.message, at_ms: r.at_ms, paused_from: r.paused_from } : undefined;
}

/** The session and its control: in process, the two lookups by key cost no round trip. */
function sessionAndControl(q: ReturnType<typeof lookups>, repo: string, session_id: string): { session: SessionRecord | undefined; control: ControlRecord | undefined } {
  const s = q.session.get({ repo, session_id });
  return { session: s ? toRecord(s) : undefined, control: get(q, repo, session_id) };
}

/** The synchronous statements of core's ControlTx over `orm` (claim-store.ts runs them inside its transactions): the latest control per (repo, session_id). */
export function controlTxStatements(orm: CoordOrm): Unqueued<ControlTx> {
  const q = lookups(orm);
  return {
    getControl: (repo, session_id) => get(q, repo, session_id),
    getSessionAndControl: (repo, session_id) => sessionAndControl(q, repo, session_id),
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
    getControl: (repo, session_id) => get(q, repo, session_id),
    getSessionAndControl: (repo, session_id) => sessionAndControl(q, repo, session_id),
  });
}
