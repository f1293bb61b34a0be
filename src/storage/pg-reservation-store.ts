// Reservations (SPEC §11) on PostgreSQL through drizzle: the primitives of core's ReservationTx (inside the locked transaction) and ReservationReads.
import { and, asc, eq, gt, inArray, lte } from "drizzle-orm";
import type { NewReservation, ReservationReads, ReservationRecord, ReservationTx } from "../core/reservations.ts";
import type { PgTx } from "./pg-activity-store.ts";
import type { PgCoordDatabase, PgOrm } from "./pg-db.ts";
import { pgCall } from "./pg-errors.ts";
import { reservations } from "./pg-schema.ts";

/** The live reservations of `repo` at `now_ms`, oldest first: one statement. */
async function liveRows(q: Pick<PgOrm, "select">, repo: string, now_ms: number): Promise<ReservationRecord[]> {
  return (await q.select().from(reservations).where(and(eq(reservations.repo, repo), gt(reservations.expires_at_ms, now_ms))).orderBy(asc(reservations.id))) as ReservationRecord[];
}

/**
 * Core's ReservationTx inside the PostgreSQL claim store's locked transaction (reservations change
 * in the same transaction as claims). `live()` returns the transaction and throws once it ended.
 */
export function pgReservationTx(live: () => PgTx): ReservationTx {
  return {
    live: (repo, now_ms) => liveRows(live(), repo, now_ms),
    async deleteExpired(repo, now_ms) {
      return (await live().delete(reservations).where(and(eq(reservations.repo, repo), lte(reservations.expires_at_ms, now_ms))).returning({ id: reservations.id })).length;
    },
    async insert(r: NewReservation) {
      const [row] = await live().insert(reservations).values(r).returning();
      if (row === undefined) throw new Error("reservations.insert: the insert returned no row");
      return row as ReservationRecord;
    },
    async renew(id, terms) {
      await live().update(reservations).set(terms).where(eq(reservations.id, id));
    },
    async delete(ids) {
      if (ids.length === 0) return;
      await live().delete(reservations).where(inArray(reservations.id, [...ids]));
    },
  };
}

/** Core's ReservationReads on PostgreSQL: single statements; rejects with `store_unavailable` while PostgreSQL is down. */
export function pgReservationReads(db: PgCoordDatabase): ReservationReads {
  return {
    listLive: (repo, now_ms) => pgCall(() => liveRows(db.orm, repo, now_ms)),
  };
}
