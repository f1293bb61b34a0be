// Core's ClaimStore on PostgreSQL through drizzle-orm/bun-sql: every write transaction locks the counter row first, so fences and event ids commit in the order they are handed out.
import { and, asc, eq, gt, gte, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { EventType } from "../core/events.ts";
import type { ClaimRecord, ClaimStore, ClaimTx, CompletionExtra, CompletionReason, NewClaim } from "../core/store.ts";
import type { Clock } from "../core/time.ts";
import type { MessageTx } from "../core/messages.ts";
import type { SessionTx } from "../core/sessions.ts";
import { pgCall } from "./pg-errors.ts";
import { pgActivityTx, type PgTx } from "./pg-activity-store.ts";
import { pgControlTx } from "./pg-control-store.ts";
import type { ControlTx } from "../core/controls.ts";
import type { PgCoordDatabase, PgOrm } from "./pg-db.ts";
import { pgReservationReads, pgReservationTx } from "./pg-reservation-store.ts";
import { claims, events, fenceCounter, sessions } from "./pg-schema.ts";

/** The LISTEN/NOTIFY channel a committed transaction that logged events notifies, with its highest event id as payload. */
export const EVENTS_CHANNEL = "coord_events";


/** The counters of one locked transaction: what it handed out so far. */
export interface LockedCounters {
  /** The last fence handed out (in this transaction or before it). */
  fence: number;
  /** The last event id handed out. */
  event_id: number;
  /** The events this transaction logged, in id order: inserted together with the counters, in one statement before the commit. */
  logged: (typeof events.$inferInsert)[];
}

/**
 * Runs `fn` in one PostgreSQL transaction that first takes the row lock of `fence_counter`
 * (`SELECT … FOR UPDATE`; DESIGN "Things that bite"): writers wait for each other there, across
 * every replica, so a check-then-insert never races (no raw unique violation reaches a client),
 * and a fence or event id handed out under the lock commits before any later one is handed out.
 * `fn` gets the transaction and the counters, which it advances; they are written back before the
 * commit (with the events `fn` logged, in the same statement), and when events were logged `pg_notify(EVENTS_CHANNEL, <last id>)` fires at the commit
 * (never for a rollback). Rejects with `store_unavailable` when PostgreSQL cannot be reached.
 */
export function lockedTransaction<T>(orm: PgOrm, fn: (tx: PgTx, counters: LockedCounters) => Promise<T>): Promise<T> {
  return pgCall(() =>
    orm.transaction(async (tx) => {
      const [row] = await tx.select().from(fenceCounter).where(eq(fenceCounter.id, 1)).for("update");
      if (row === undefined) throw new Error("fence_counter has no row: the database was not migrated by claude-coord");
      const counters: LockedCounters = { fence: row.last_fence, event_id: row.last_event_id, logged: [] };
      const result = await fn(tx, counters);
      if (counters.logged.length > 0) {
        // One round trip, inside the lock: the events, the counters and the notification (sent at commit).
        // A data-modifying WITH runs to completion whether or not the UPDATE reads it (PostgreSQL manual, "WITH Queries").
        const rows = sql.join(
          counters.logged.map((e) => sql`(${e.id}, ${e.repo}, ${e.type}, ${e.data}, ${e.at_ms})`),
          sql`, `,
        );
        await tx.execute(
          sql`WITH logged AS (INSERT INTO ${events} (id, repo, type, data, at_ms) VALUES ${rows}) UPDATE ${fenceCounter} SET last_fence = ${counters.fence}, last_event_id = ${counters.event_id} WHERE id = 1 RETURNING pg_notify(${EVENTS_CHANNEL}, ${String(counters.event_id)})`,
        );
      } else if (counters.fence !== row.last_fence) {
        await tx.update(fenceCounter).set({ last_fence: counters.fence }).where(eq(fenceCounter.id, 1));
      }
      return result;
    }),
  );
}

/**
 * Logs an event with the next id of `counters` (the caller holds the counter lock): it is inserted
 * with the counters when the transaction's callback has resolved, so nothing in the transaction
 * reads it back. Returns the id.
 */
export function logEvent(counters: LockedCounters, repo: string, type: EventType, data: unknown, at_ms: number): number {
  const id = counters.event_id + 1;
  counters.logged.push({ id, repo, type, data: JSON.stringify(data), at_ms });
  counters.event_id = id;
  return id;
}

/**
 * The claim store of core (`src/core/store.ts`) on PostgreSQL. Times are epoch milliseconds.
 * `transact(clock, fn)` is `lockedTransaction`, with `tx.now_ms` read from `clock` after the lock
 * (SPEC §16); it commits when `fn` resolves and rolls back and rethrows when it rejects. Reads and
 * sweeps outside `transact` are single statements at READ COMMITTED. Every method rejects with
 * CoordError `store_unavailable` while PostgreSQL cannot be reached.
 */
export function createPgClaimStore(db: PgCoordDatabase): ClaimStore {
  const orm = db.orm;
  const listActive = (repo: string, since: number) =>
    orm
      .select()
      .from(claims)
      .where(and(eq(claims.repo, repo), isNull(claims.completed_at_ms), gte(claims.claimed_at_ms, since)))
      .orderBy(asc(claims.claimed_at_ms), asc(claims.id));
  return {
    reservations: pgReservationReads(db),

    transact<T>(clock: Clock, fn: (tx: ClaimTx) => Promise<T>): Promise<T> {
      return lockedTransaction(orm, async (tx, counters) => {
        const scope = { open: true };
        try {
          const live = (): PgTx => {
            if (!scope.open) throw new Error("ClaimTx used after its transaction ended");
            return tx;
          };
          return await fn({ ...claimTx(live, counters, clock()), ...pgActivityTx(live), ...pgControlTx(live) });
        } finally {
          scope.open = false;
        }
      });
    },

    listActive(repo, claimed_since_ms) {
      return pgCall(async () => (await listActive(repo, claimed_since_ms)) as ClaimRecord[]);
    },

    listCompleted(repo, completed_since_ms) {
      return pgCall(
        async () =>
          (await orm
            .select()
            .from(claims)
            .where(and(eq(claims.repo, repo), isNotNull(claims.completed_at_ms), gte(claims.completed_at_ms, completed_since_ms)))
            .orderBy(asc(claims.completed_at_ms), asc(claims.id))) as ClaimRecord[],
      );
    },

    listAllActive() {
      return pgCall(async () => (await orm.select().from(claims).where(isNull(claims.completed_at_ms)).orderBy(asc(claims.claimed_at_ms), asc(claims.id))) as ClaimRecord[]);
    },

    deleteActiveClaimedBefore(claimed_before_ms) {
      return pgCall(async () => (await orm.delete(claims).where(and(isNull(claims.completed_at_ms), lt(claims.claimed_at_ms, claimed_before_ms))).returning({ id: claims.id })).length);
    },

    deleteCompletedBefore(completed_before_ms) {
      return pgCall(async () => (await orm.delete(claims).where(and(isNotNull(claims.completed_at_ms), lt(claims.completed_at_ms, completed_before_ms))).returning({ id: claims.id })).length);
    },
  };
}

/** The claim primitives of one locked transaction at `now_ms`; each throws once the transaction ended (`live`). */
function claimTx(live: () => PgTx, counters: LockedCounters, now_ms: number): Omit<ClaimTx, keyof (SessionTx & MessageTx & ControlTx)> {
  return {
    now_ms,
    reservations: pgReservationTx(live),

    async activeByTask(repo: string, task_id: string): Promise<ClaimRecord | undefined> {
      const [row] = await live().select().from(claims).where(and(eq(claims.repo, repo), eq(claims.task_id, task_id), isNull(claims.completed_at_ms)));
      return row as ClaimRecord | undefined;
    },

    async activeBySession(repo: string, session_id: string): Promise<ClaimRecord | undefined> {
      const [row] = await live().select().from(claims).where(and(eq(claims.repo, repo), eq(claims.session_id, session_id), isNull(claims.completed_at_ms)));
      return row as ClaimRecord | undefined;
    },

    async activeByTaskAndSession(repo: string, task_id: string, session_id: string) {
      // One round trip for both (a claim asks it inside the counter lock); at most two rows (the partial unique indexes).
      const rows = (await live()
        .select()
        .from(claims)
        .where(and(eq(claims.repo, repo), isNull(claims.completed_at_ms), or(eq(claims.task_id, task_id), eq(claims.session_id, session_id))))) as ClaimRecord[];
      return { by_task: rows.find((r) => r.task_id === task_id), by_session: rows.find((r) => r.session_id === session_id) };
    },

    async activeBySessionPrefix(repo: string, prefix: string): Promise<ClaimRecord[]> {
      // left/length rather than LIKE: LIKE treats % and _ as wildcards.
      return (await live()
        .select()
        .from(claims)
        .where(and(eq(claims.repo, repo), isNull(claims.completed_at_ms), sql`left(${claims.session_id}, length(${prefix})) = ${prefix}`))
        .orderBy(asc(claims.claimed_at_ms), asc(claims.id))) as ClaimRecord[];
    },

    async liveSessionIds(repo: string, prefix: string, claimed_after_ms: number, seen_since_ms: number): Promise<string[]> {
      // One round trip for both (a session's admission asks it inside the counter lock).
      const byPrefix = (column: typeof claims.session_id | typeof sessions.session_id) => sql`left(${column}, length(${prefix})) = ${prefix}`;
      const held = live()
        .select({ session_id: claims.session_id })
        .from(claims)
        .where(and(eq(claims.repo, repo), isNull(claims.completed_at_ms), gt(claims.claimed_at_ms, claimed_after_ms), byPrefix(claims.session_id)));
      const seen = live()
        .select({ session_id: sessions.session_id })
        .from(sessions)
        .where(and(eq(sessions.repo, repo), gte(sessions.last_heartbeat_ms, seen_since_ms), byPrefix(sessions.session_id)));
      return (await held.union(seen)).map((r) => r.session_id);
    },

    async nextFence(): Promise<number> {
      live();
      counters.fence += 1;
      return counters.fence;
    },

    async insertActive(claim: NewClaim): Promise<ClaimRecord> {
      const [row] = await live()
        .insert(claims)
        .values({ ...claim, completed_at_ms: null, completion_reason: null, outcome: null, pr_url: null })
        .returning();
      if (row === undefined) throw new Error("insertActive: the insert returned no row");
      return row as ClaimRecord;
    },

    async markCompleted(id: number, reason: CompletionReason, completed_at_ms: number, extra: CompletionExtra = {}): Promise<void> {
      const updated = await live()
        .update(claims)
        .set({ completed_at_ms, completion_reason: reason, outcome: extra.outcome ?? null, pr_url: extra.pr_url ?? null })
        .where(and(eq(claims.id, id), isNull(claims.completed_at_ms)))
        .returning({ id: claims.id });
      if (updated.length !== 1) throw new Error(`markCompleted: no active claim has id ${id}`);
    },

    async reassign(id: number, session_id: string, fence: number): Promise<void> {
      const updated = await live()
        .update(claims)
        .set({ session_id, fence })
        .where(and(eq(claims.id, id), isNull(claims.completed_at_ms)))
        .returning({ id: claims.id });
      if (updated.length !== 1) throw new Error(`reassign: no active claim has id ${id}`);
    },

    async deleteClaim(id: number): Promise<void> {
      await live().delete(claims).where(eq(claims.id, id));
    },

    async appendEvent(repo: string, type: EventType, data: unknown, at_ms: number): Promise<void> {
      live();
      logEvent(counters, repo, type, data, at_ms);
    },
  };
}
