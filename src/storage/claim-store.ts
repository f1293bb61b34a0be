// Core's ClaimStore on SQLite through drizzle: immediate transactions through the connection queue, the fence counter, listings and sweeps.

import { and, asc, eq, gt, gte, isNotNull, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { EventType } from "../core/events.ts";
import type { ClaimRecord, ClaimStore, ClaimTx, CompletionExtra, CompletionReason, NewClaim } from "../core/store.ts";
import type { MessageTx } from "../core/messages.ts";
import type { SessionTx } from "../core/sessions.ts";
import type { Clock } from "../core/time.ts";
import { activityTxStatements } from "./activity-store.ts";
import { controlTxStatements } from "./control-store.ts";
import type { ControlTx } from "../core/controls.ts";
import { inTransaction } from "./connection-queue.ts";
import { sqliteCode, type CoordDatabase, type CoordOrm } from "./db.ts";
import { reservationReads, reservationTx } from "./reservation-store.ts";
import { claims, events, fenceCounter, sessions } from "./schema.ts";

/** What both the drizzle database and a drizzle transaction offer: the query builders used here. */
type Queryable = Pick<CoordOrm, "select" | "insert" | "update" | "delete">;

/**
 * True when `e` (or an error in its `cause` chain) is SQLite's `SQLITE_CONSTRAINT_UNIQUE`: for
 * `insertActive`, a second active claim of the same (repo, task_id) or (repo, session_id), caught
 * by the partial unique indexes of `schema.ts`. The transaction that hit it rolls back.
 */
export function isUniqueViolation(e: unknown): boolean {
  return sqliteCode(e) === "SQLITE_CONSTRAINT_UNIQUE";
}

/**
 * The claim store of core (`src/core/store.ts`) over an open database (`openDatabase`).
 * All times are epoch milliseconds. Every read, sweep and transaction runs through the database's
 * connection queue (`db.queue`), so nothing else runs on the connection while a transaction's
 * callback awaits. Reads and sweeps outside `transact` are single statements (each atomic on its
 * own) that wait for other writers up to the busy timeout.
 *
 * `transact(clock, fn)` runs `fn` in `BEGIN IMMEDIATE` (the write lock is taken before the first
 * read, so check-then-insert cannot interleave with another process), with `tx.now_ms` read from
 * `clock` after the lock; it commits when `fn` resolves and rolls back and rethrows when `fn`
 * rejects (fences taken in a rolled-back transaction are handed out again). The `tx` handle throws
 * once its transaction has ended. A writer still holding the lock after the busy timeout makes
 * `transact` reject with SQLite's `SQLITE_BUSY` error.
 */
export function createClaimStore(db: CoordDatabase): ClaimStore {
  const orm = db.orm;
  const queue = db.queue;
  const q = prepare(orm);
  const activity = activityTxStatements(orm);
  const controls = controlTxStatements(orm);
  const listings = listingCache(db, q);
  /** Deletes the claims `where` selects, in one statement; resolves to how many. */
  const sweep = (where: SQL | undefined): Promise<number> =>
    queue.run(() => listings.writing(() => orm.delete(claims).where(where).returning({ id: claims.id }).all().length));
  return {
    transact<T>(clock: Clock, fn: (tx: ClaimTx) => Promise<T>): Promise<T> {
      return queue.transaction(clock, (now_ms, scope) =>
        listings.writing(() => fn({ ...claimTx(orm, q, scope, now_ms), ...inTransaction<SessionTx & MessageTx>(scope, activity), ...inTransaction<ControlTx>(scope, controls) })),
      );
    },

    listActive(repo: string, claimed_since_ms: number): Promise<ClaimRecord[]> {
      return queue.run(() => listings.get(repo).active.filter((c) => c.claimed_at_ms >= claimed_since_ms));
    },

    listCompleted(repo: string, completed_since_ms: number): Promise<ClaimRecord[]> {
      return queue.run(() => listings.get(repo).completed.filter((c) => (c.completed_at_ms as number) >= completed_since_ms));
    },

    listAllActive(): Promise<ClaimRecord[]> {
      return queue.run(() =>
        orm.select().from(claims).where(isNull(claims.completed_at_ms)).orderBy(asc(claims.claimed_at_ms), asc(claims.id)).all(),
      );
    },

    deleteActiveClaimedBefore(claimed_before_ms: number): Promise<number> {
      return sweep(and(isNull(claims.completed_at_ms), lt(claims.claimed_at_ms, claimed_before_ms)));
    },

    deleteCompletedBefore(completed_before_ms: number): Promise<number> {
      return sweep(and(isNotNull(claims.completed_at_ms), lt(claims.completed_at_ms, completed_before_ms)));
    },

    reservations: reservationReads(db),
  };
}

/**
 * The statements of the hot paths (claim, complete, listings), prepared once per store: building a
 * drizzle query costs more than running it (measured ~150 µs a listing unprepared). They run on the
 * store's one connection, so inside `transact` they are part of the immediate transaction.
 */
function prepare(orm: CoordOrm) {
  const p = sql.placeholder;
  return {
    activeByTask: orm
      .select()
      .from(claims)
      .where(and(eq(claims.repo, p("repo")), eq(claims.task_id, p("task_id")), isNull(claims.completed_at_ms)))
      .prepare(),
    activeBySession: orm
      .select()
      .from(claims)
      .where(and(eq(claims.repo, p("repo")), eq(claims.session_id, p("session_id")), isNull(claims.completed_at_ms)))
      .prepare(),
    nextFence: orm
      .insert(fenceCounter)
      .values({ id: 1, last_fence: 1 })
      .onConflictDoUpdate({ target: fenceCounter.id, set: { last_fence: sql`${fenceCounter.last_fence} + 1` } })
      .returning({ fence: fenceCounter.last_fence })
      .prepare(),
    insertActive: orm
      .insert(claims)
      .values({
        repo: p("repo"),
        task_id: p("task_id"),
        session_id: p("session_id"),
        branch: p("branch"),
        plan_file: p("plan_file"),
        fence: p("fence"),
        claimed_at_ms: p("claimed_at_ms"),
        completed_at_ms: null,
        completion_reason: null,
        outcome: null,
        pr_url: null,
      })
      .returning()
      .prepare(),
    markCompleted: orm
      .update(claims)
      .set({ completed_at_ms: sql`${p("completed_at_ms")}`, completion_reason: sql`${p("reason")}`, outcome: sql`${p("outcome")}`, pr_url: sql`${p("pr_url")}` })
      .where(and(eq(claims.id, p("id")), isNull(claims.completed_at_ms)))
      .returning({ id: claims.id })
      .prepare(),
    appendEvent: orm
      .insert(events)
      .values({ repo: p("repo"), type: p("type"), data: p("data"), at_ms: p("at_ms") })
      .prepare(),
    // Both halves read a (repo, session_id) index over the prefix's range only (see prefixRange);
    // the substr test keeps the answer exact.
    liveSessionIds: orm
      .select({ session_id: claims.session_id })
      .from(claims)
      .where(and(eq(claims.repo, p("repo")), isNull(claims.completed_at_ms), ...inPrefixRange(claims.session_id), gt(claims.claimed_at_ms, p("claimed_after_ms"))))
      .union(
        orm
          .select({ session_id: sessions.session_id })
          .from(sessions)
          .where(and(eq(sessions.repo, p("repo")), ...inPrefixRange(sessions.session_id), gte(sessions.last_heartbeat_ms, p("seen_since_ms")))),
      )
      .prepare(),
    listActive: orm
      .select()
      .from(claims)
      .where(and(eq(claims.repo, p("repo")), isNull(claims.completed_at_ms), gte(claims.claimed_at_ms, p("since"))))
      .orderBy(asc(claims.claimed_at_ms), asc(claims.id))
      .prepare(),
    listCompleted: orm
      .select()
      .from(claims)
      .where(and(eq(claims.repo, p("repo")), isNotNull(claims.completed_at_ms), gte(claims.completed_at_ms, p("since"))))
      .orderBy(asc(claims.completed_at_ms), asc(claims.id))
      .prepare(),
  };
}

type Prepared = ReturnType<typeof prepare>;

/** `column` starts with the placeholder `prefix`, as a range an index on it can serve (`lo`, `hi`: `prefixRange`) and the exact test. */
function inPrefixRange(column: typeof claims.session_id | typeof sessions.session_id): SQL[] {
  const p = sql.placeholder;
  return [gte(column, p("lo")), sql`${column} < CAST(${p("hi")} AS TEXT)`, sql`substr(${column}, 1, length(${p("prefix")})) = ${p("prefix")}`];
}

/**
 * The range of text starting with `prefix` under SQLite's BINARY collation (memcmp of the UTF-8
 * bytes): from `prefix` itself up to, not including, its bytes followed by 0xFF, a byte no UTF-8
 * text contains. `hi` is bound as a blob and cast to text, so the comparison stays text to text.
 */
function prefixRange(prefix: string): { lo: string; hi: Uint8Array } {
  const bytes = new TextEncoder().encode(prefix);
  const hi = new Uint8Array(bytes.length + 1);
  hi.set(bytes);
  hi[bytes.length] = 0xff;
  return { lo: prefix, hi };
}

/**
 * Each repo's active and completed rows, kept in memory between writes: a listing is the hot read
 * path (every `claims`, every session start) and re-reading unchanged rows costs more than the
 * rest of the request. An entry is valid while the database is unchanged: no write through this
 * store (counted around every write, and reads during a write bypass the cache) and no commit by
 * another connection (SQLite's `PRAGMA data_version`, which changes exactly then). Times are
 * filtered by the caller's `since`, so the entries never go stale by the clock.
 */
function listingCache(db: CoordDatabase, q: Prepared) {
  const dataVersion = db.sqlite.query("PRAGMA data_version");
  const entries = new Map<string, { version: string; active: ClaimRecord[]; completed: ClaimRecord[] }>();
  let ownWrites = 0;
  let writing = 0;
  const version = () => `${(dataVersion.get() as { data_version: number }).data_version}:${ownWrites}`;
  return {
    /** Runs a write (sync or async), invalidating every entry before and after it. */
    async writing<T>(fn: () => T | Promise<T>): Promise<T> {
      ownWrites++;
      writing++;
      try {
        return await fn();
      } finally {
        writing--;
        ownWrites++;
      }
    },
    /** The rows of `repo`, from memory when nothing changed since they were read. */
    get(repo: string): { active: ClaimRecord[]; completed: ClaimRecord[] } {
      if (writing > 0) return { active: q.listActive.all({ repo, since: 0 }), completed: q.listCompleted.all({ repo, since: 0 }) };
      const v = version();
      const hit = entries.get(repo);
      if (hit && hit.version === v) return hit;
      const fresh = { version: v, active: q.listActive.all({ repo, since: 0 }), completed: q.listCompleted.all({ repo, since: 0 }) };
      entries.set(repo, fresh);
      return fresh;
    },
  };
}

/** The primitives of one transaction at `now_ms`; each throws once `scope.open` is false (the transaction ended). */
function claimTx(q: Queryable, ps: Prepared, scope: { readonly open: boolean }, now_ms: number): Omit<ClaimTx, keyof (SessionTx & MessageTx & ControlTx)> {
  const live = (): Queryable => {
    if (!scope.open) throw new Error("ClaimTx used after its transaction ended");
    return q;
  };
  return {
    now_ms,

    async activeByTask(repo: string, task_id: string): Promise<ClaimRecord | undefined> {
      live();
      return ps.activeByTask.get({ repo, task_id });
    },

    async activeBySession(repo: string, session_id: string): Promise<ClaimRecord | undefined> {
      live();
      return ps.activeBySession.get({ repo, session_id });
    },

    async activeByTaskAndSession(repo: string, task_id: string, session_id: string) {
      // In process, two prepared lookups cost less than one OR query.
      live();
      return { by_task: ps.activeByTask.get({ repo, task_id }), by_session: ps.activeBySession.get({ repo, session_id }) };
    },

    async activeBySessionPrefix(repo: string, prefix: string): Promise<ClaimRecord[]> {
      // substr/length rather than LIKE: LIKE ignores ASCII case and treats % and _ as wildcards.
      return live()
        .select()
        .from(claims)
        .where(
          and(
            eq(claims.repo, repo),
            isNull(claims.completed_at_ms),
            sql`substr(${claims.session_id}, 1, length(${prefix})) = ${prefix}`,
          ),
        )
        .orderBy(asc(claims.claimed_at_ms), asc(claims.id))
        .all();
    },

    async liveSessionIds(repo: string, prefix: string, claimed_after_ms: number, seen_since_ms: number): Promise<string[]> {
      live();
      return ps.liveSessionIds.all({ repo, prefix, ...prefixRange(prefix), claimed_after_ms, seen_since_ms }).map((r) => r.session_id);
    },

    async nextFence(): Promise<number> {
      live();
      const row = ps.nextFence.get();
      if (row === undefined) throw new Error("nextFence: the fence counter returned no row");
      return row.fence;
    },

    async insertActive(claim: NewClaim): Promise<ClaimRecord> {
      live();
      const row = ps.insertActive.get({ ...claim });
      if (row === undefined) throw new Error("insertActive: the insert returned no row");
      return row;
    },

    async markCompleted(id: number, reason: CompletionReason, completed_at_ms: number, extra: CompletionExtra = {}): Promise<void> {
      live();
      const updated = ps.markCompleted.all({ id, reason, completed_at_ms, outcome: extra.outcome ?? null, pr_url: extra.pr_url ?? null });
      if (updated.length !== 1) throw new Error(`markCompleted: no active claim has id ${id}`);
    },

    async reassign(id: number, session_id: string, fence: number): Promise<void> {
      const updated = live()
        .update(claims)
        .set({ session_id, fence })
        .where(and(eq(claims.id, id), isNull(claims.completed_at_ms)))
        .returning({ id: claims.id })
        .all();
      if (updated.length !== 1) throw new Error(`reassign: no active claim has id ${id}`);
    },

    async deleteClaim(id: number): Promise<void> {
      live().delete(claims).where(eq(claims.id, id)).run();
    },

    async appendEvent(repo: string, type: EventType, data: unknown, at_ms: number): Promise<void> {
      live();
      ps.appendEvent.run({ repo, type, data: JSON.stringify(data), at_ms });
    },

    reservations: reservationTx(live),
  };
}
