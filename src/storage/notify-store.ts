// Notification deliveries (SPEC §13) on SQLite through drizzle: per-repo cursors over the event log, one row per (target, key), atomic claims by senders.
import { type AnyColumn, and, asc, eq, lte, sql } from "drizzle-orm";
import { queued } from "./connection-queue.ts";
import type { CoordDatabase } from "./db.ts";
import { notifyCursors, notifyDeliveries } from "./schema.ts";

/** A delivery to make: one notification for one target. */
export interface NewDelivery {
  target: string;
  key: string;
  repo: string;
  kind: string;
  /** The notification as JSON (the sender renders it in the target's format). */
  payload: string;
}

/** A stored delivery a sender has claimed. Times in epoch ms. */
export interface Delivery extends NewDelivery {
  id: number;
  attempts: number;
  created_ms: number;
}

/** What the notifier needs stored (async, like every store the service shares between processes). */
export interface NotifyStore {
  /**
   * The last event id of `repo` already turned into deliveries. A repo without one starts at
   * `start_after_id`, stored at once if no other process stored one first (never overwritten): so a
   * second replica, started when the log had moved on, continues where the first one started
   * instead of skipping the events the first has not read yet.
   */
  cursor(repo: string, start_after_id: number): Promise<number>;
  /**
   * In one transaction: inserts `rows` (a (target, key) already stored is skipped, so a second
   * process or a restart adds nothing twice) and moves `repo`'s cursor to `last_event_id` (never back).
   * Returns how many rows were new.
   */
  enqueue(repo: string, rows: readonly NewDelivery[], last_event_id: number, now_ms: number): Promise<number>;
  /**
   * Claims up to `limit` pending deliveries due at `now_ms`, each by an atomic update that only one
   * process can win, leased until `lease_until_ms`.
   */
  claimDue(now_ms: number, lease_until_ms: number, limit: number): Promise<Delivery[]>;
  /** Marks a claimed delivery delivered. */
  delivered(id: number, now_ms: number): Promise<void>;
  /** Records a failed attempt: retry at `next_attempt_ms`, or give up (status failed) when it is null. */
  failed(id: number, error: string, next_attempt_ms: number | null, now_ms: number): Promise<void>;
  /** Every delivery's key, target, status and attempts (tests and operators). */
  list(): Promise<Array<{ target: string; key: string; kind: string; status: string; attempts: number }>>;
}

/** A delivery row (either dialect: the columns are the same) as the Delivery a sender gets. */
export function toDelivery(r: Delivery): Delivery {
  return { id: r.id, target: r.target, key: r.key, repo: r.repo, kind: r.kind, payload: r.payload, attempts: r.attempts, created_ms: r.created_ms };
}

/** The row `enqueue` stores for `r` (either dialect): pending, no attempt yet, due at once. */
export function pendingRow(r: NewDelivery, now_ms: number) {
  return { ...r, status: "pending" as const, attempts: 0, created_ms: now_ms, next_attempt_ms: now_ms };
}

/** What `delivered` writes (either dialect; `attempts` is that dialect's column): the attempt counted, the lease released. */
export function deliveredSet(attempts: AnyColumn, now_ms: number) {
  return { status: "delivered" as const, done_ms: now_ms, lease_until_ms: 0, attempts: sql`${attempts} + 1` };
}

/** What `failed` writes (either dialect): the attempt and its error counted, the lease released; with no next attempt the delivery is given up. */
export function failedSet(attempts: AnyColumn, error: string, next_attempt_ms: number | null, now_ms: number) {
  const counted = { lease_until_ms: 0, last_error: error, attempts: sql`${attempts} + 1` };
  return next_attempt_ms === null ? { ...counted, status: "failed" as const, done_ms: now_ms } : { ...counted, next_attempt_ms };
}

/** The NotifyStore over `db`; every call runs through the connection's queue (one statement or one synchronous transaction each). */
export function createNotifyStore(db: CoordDatabase): NotifyStore {
  const orm = db.orm;
  return queued<NotifyStore>(db.queue, {
    cursor(repo, start_after_id) {
      const read = () => orm.select().from(notifyCursors).where(eq(notifyCursors.repo, repo)).get()?.last_event_id;
      const stored = read();
      if (stored !== undefined) return stored;
      orm.insert(notifyCursors).values({ repo, last_event_id: start_after_id }).onConflictDoNothing().run();
      return read() ?? start_after_id;
    },
    enqueue(repo, rows, last_event_id, now_ms) {
      return orm.transaction(
        (tx) => {
          let added = 0;
          for (const r of rows) {
            const ins = tx
              .insert(notifyDeliveries)
              .values(pendingRow(r, now_ms))
              .onConflictDoNothing()
              .returning({ id: notifyDeliveries.id })
              .all();
            added += ins.length;
          }
          tx.insert(notifyCursors)
            .values({ repo, last_event_id })
            .onConflictDoUpdate({ target: notifyCursors.repo, set: { last_event_id: sql`max(${notifyCursors.last_event_id}, ${last_event_id})` } })
            .run();
          return added;
        },
        { behavior: "immediate" },
      );
    },
    claimDue(now_ms, lease_until_ms, limit) {
      const due = orm
        .select()
        .from(notifyDeliveries)
        .where(and(eq(notifyDeliveries.status, "pending"), lte(notifyDeliveries.next_attempt_ms, now_ms), lte(notifyDeliveries.lease_until_ms, now_ms)))
        .orderBy(asc(notifyDeliveries.id))
        .limit(limit)
        .all();
      const won: Delivery[] = [];
      for (const d of due) {
        const r = orm
          .update(notifyDeliveries)
          .set({ lease_until_ms })
          .where(and(eq(notifyDeliveries.id, d.id), eq(notifyDeliveries.status, "pending"), lte(notifyDeliveries.lease_until_ms, now_ms)))
          .returning({ id: notifyDeliveries.id })
          .all();
        if (r.length === 1) won.push(toDelivery(d));
      }
      return won;
    },
    delivered(id, now_ms) {
      orm.update(notifyDeliveries).set(deliveredSet(notifyDeliveries.attempts, now_ms)).where(eq(notifyDeliveries.id, id)).run();
    },
    failed(id, error, next_attempt_ms, now_ms) {
      orm.update(notifyDeliveries).set(failedSet(notifyDeliveries.attempts, error, next_attempt_ms, now_ms)).where(eq(notifyDeliveries.id, id)).run();
    },
    list() {
      return orm
        .select({ target: notifyDeliveries.target, key: notifyDeliveries.key, kind: notifyDeliveries.kind, status: notifyDeliveries.status, attempts: notifyDeliveries.attempts })
        .from(notifyDeliveries)
        .orderBy(asc(notifyDeliveries.id))
        .all();
    },
  });
}
