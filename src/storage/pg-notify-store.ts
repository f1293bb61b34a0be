// Notification deliveries (SPEC §13) on PostgreSQL through drizzle: the same NotifyStore as notify-store.ts, shared by every replica: one row per (target, key), each claimed by one replica at a time under a lease.
import { and, asc, eq, lte, sql } from "drizzle-orm";
import { deliveredSet, failedSet, type NotifyStore, pendingRow, toDelivery } from "./notify-store.ts";
import type { PgCoordDatabase } from "./pg-db.ts";
import { pgCall } from "./pg-errors.ts";
import { notifyCursors, notifyDeliveries } from "./pg-schema.ts";

/** Rows per INSERT: 6 columns each stays far below PostgreSQL's 65535 bound parameters. */
const CHUNK = 1000;

/**
 * The NotifyStore on PostgreSQL, for any number of replicas on one database:
 * - `enqueue` inserts with `ON CONFLICT (target, key) DO NOTHING` and moves the cursor with
 *   `GREATEST` in one transaction, so replicas scanning the same events add each row once and never
 *   move a cursor back;
 * - `claimDue` is one `UPDATE … WHERE id = ANY(ARRAY(SELECT … LIMIT n FOR UPDATE SKIP LOCKED))`: a due row locked by
 *   another replica's claim is skipped, one whose lease that claim just set fails the re-checked
 *   `lease_until_ms <= now` condition, so each lease is won by exactly one replica; a row whose
 *   sender died is due again once its lease has passed.
 * Every call rejects with CoordError `store_unavailable` while PostgreSQL is down (nothing changes).
 */
export function createPgNotifyStore(db: PgCoordDatabase): NotifyStore {
  const orm = db.orm;
  const d = notifyDeliveries;
  return {
    cursor(repo, start_after_id) {
      const read = async () => (await orm.select({ id: notifyCursors.last_event_id }).from(notifyCursors).where(eq(notifyCursors.repo, repo)))[0]?.id;
      return pgCall(async () => {
        const stored = await read();
        if (stored !== undefined) return stored;
        await orm.insert(notifyCursors).values({ repo, last_event_id: start_after_id }).onConflictDoNothing({ target: notifyCursors.repo });
        return (await read()) ?? start_after_id;
      });
    },
    enqueue(repo, rows, last_event_id, now_ms) {
      return pgCall(() =>
        orm.transaction(async (tx) => {
          let added = 0;
          for (let i = 0; i < rows.length; i += CHUNK) {
            const values = rows.slice(i, i + CHUNK).map((r) => pendingRow(r, now_ms));
            added += (await tx.insert(d).values(values).onConflictDoNothing({ target: [d.target, d.key] }).returning({ id: d.id })).length;
          }
          await tx
            .insert(notifyCursors)
            .values({ repo, last_event_id })
            .onConflictDoUpdate({ target: notifyCursors.repo, set: { last_event_id: sql`GREATEST(${notifyCursors.last_event_id}, excluded.last_event_id)` } });
          return added;
        }),
      );
    },
    claimDue(now_ms, lease_until_ms, limit) {
      return pgCall(async () => {
        const due = and(eq(d.status, "pending"), lte(d.next_attempt_ms, now_ms), lte(d.lease_until_ms, now_ms));
        const pick = orm.select({ id: d.id }).from(d).where(due).orderBy(asc(d.id)).limit(limit).for("update", { skipLocked: true });
        // ARRAY(…) is an InitPlan, run once: with `id IN (…)` the planner may rescan the subquery and lock more than `limit` rows.
        const won = await orm.update(d).set({ lease_until_ms }).where(and(sql`${d.id} = ANY(ARRAY(${pick}))`, due)).returning();
        return won.map(toDelivery).sort((a, b) => a.id - b.id);
      });
    },
    delivered(id, now_ms) {
      return pgCall(async () => {
        await orm.update(d).set(deliveredSet(d.attempts, now_ms)).where(eq(d.id, id));
      });
    },
    failed(id, error, next_attempt_ms, now_ms) {
      return pgCall(async () => {
        await orm.update(d).set(failedSet(d.attempts, error, next_attempt_ms, now_ms)).where(eq(d.id, id));
      });
    },
    list() {
      return pgCall(() => orm.select({ target: d.target, key: d.key, kind: d.kind, status: d.status, attempts: d.attempts }).from(d).orderBy(asc(d.id)));
    },
  };
}
