// Reservations (SPEC §11) on SQLite through drizzle: the primitives of core's ReservationTx and ReservationReads.
import { and, asc, eq, gt, inArray, lte } from "drizzle-orm";
import type { NewReservation, ReservationReads, ReservationRecord, ReservationTx } from "../core/reservations.ts";
import type { CoordDatabase, CoordOrm } from "./db.ts";
import { reservations } from "./schema.ts";

/** What both the drizzle database and a drizzle transaction offer. */
type Queryable = Pick<CoordOrm, "select" | "insert" | "update" | "delete">;

/** The live reservations of `repo` at `now_ms`, oldest first: one statement. */
function liveRows(q: Queryable, repo: string, now_ms: number): ReservationRecord[] {
  return q
    .select()
    .from(reservations)
    .where(and(eq(reservations.repo, repo), gt(reservations.expires_at_ms, now_ms)))
    .orderBy(asc(reservations.id))
    .all();
}

/**
 * Core's ReservationTx inside the claim store's transaction (reservations change in the same
 * immediate transaction as claims). `use()` returns the connection and throws once the
 * transaction ended.
 */
export function reservationTx(use: () => Queryable): ReservationTx {
  return {
    async live(repo: string, now_ms: number): Promise<ReservationRecord[]> {
      return liveRows(use(), repo, now_ms);
    },
    async deleteExpired(repo: string, now_ms: number): Promise<number> {
      return use()
        .delete(reservations)
        .where(and(eq(reservations.repo, repo), lte(reservations.expires_at_ms, now_ms)))
        .returning({ id: reservations.id })
        .all().length;
    },
    async insert(r: NewReservation): Promise<ReservationRecord> {
      const row = use().insert(reservations).values(r).returning().get();
      if (row === undefined) throw new Error("reservations.insert: the insert returned no row");
      return row;
    },
    async renew(id, terms): Promise<void> {
      use().update(reservations).set(terms).where(eq(reservations.id, id)).run();
    },
    async delete(ids: readonly number[]): Promise<void> {
      if (ids.length === 0) return;
      use().delete(reservations).where(inArray(reservations.id, [...ids])).run();
    },
  };
}

/** Core's ReservationReads over the database: single statements through the connection's queue. */
export function reservationReads(db: CoordDatabase): ReservationReads {
  return {
    listLive: (repo, now_ms) => db.queue.run(() => liveRows(db.orm, repo, now_ms)),
  };
}
