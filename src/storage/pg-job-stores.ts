// The webhook delivery log and the branch job's sightings on PostgreSQL: what replicas share so that a delivery is handled once and a branch's history is known to every replica.
import { eq, inArray, lt, sql } from "drizzle-orm";
import { chunks, type BranchSightingStore } from "./branch-sightings.ts";
import type { PgCoordDatabase } from "./pg-db.ts";
import { pgCall } from "./pg-errors.ts";
import { branchSightings, claims, webhookDeliveries } from "./pg-schema.ts";
import { DELIVERY_RETENTION_MS, type DeliveryLogStore } from "./webhook-deliveries.ts";

/** Ids per statement: far below PostgreSQL's 65535 bound parameters. */
const CHUNK = 1000;


/**
 * The deliveries table on PostgreSQL (the webhook route's `DeliveryLogStore`): `claim` inserts the
 * id with `ON CONFLICT DO NOTHING`, so of two replicas receiving one delivery exactly one gets true.
 * Rejects with `store_unavailable` while PostgreSQL is down.
 */
export function createPgDeliveryLog(db: PgCoordDatabase): DeliveryLogStore {
  const orm = db.orm;
  return {
    claim(delivery_id, now_ms) {
      return pgCall(() =>
        orm.transaction(async (tx) => {
          await tx.delete(webhookDeliveries).where(lt(webhookDeliveries.received_at_ms, now_ms - DELIVERY_RETENTION_MS));
          const inserted = await tx.insert(webhookDeliveries).values({ delivery_id, received_at_ms: now_ms }).onConflictDoNothing().returning({ id: webhookDeliveries.delivery_id });
          return inserted.length === 1;
        }),
      );
    },
    release(delivery_id) {
      return pgCall(async () => {
        await orm.delete(webhookDeliveries).where(eq(webhookDeliveries.delivery_id, delivery_id));
      });
    },
  };
}

/** The sightings table on PostgreSQL (the branch job's `BranchSightingStore`); one statement per 1000 ids. Rejects with `store_unavailable` while PostgreSQL is down. */
export function createPgBranchSightings(db: PgCoordDatabase): BranchSightingStore {
  const orm = db.orm;
  return {
    seen(claim_ids) {
      return pgCall(async () => {
        const out = new Set<number>();
        for (const part of chunks(claim_ids, CHUNK)) {
          for (const row of await orm.select({ id: branchSightings.claim_id }).from(branchSightings).where(inArray(branchSightings.claim_id, part))) out.add(row.id);
        }
        return out;
      });
    },
    record(claim_ids, seen_at_ms) {
      return pgCall(async () => {
        for (const part of chunks(claim_ids, CHUNK)) {
          await orm
            .insert(branchSightings)
            .values(part.map((claim_id) => ({ claim_id, seen_at_ms })))
            .onConflictDoUpdate({ target: branchSightings.claim_id, set: { seen_at_ms } });
        }
      });
    },
    prune() {
      return pgCall(
        async () =>
          (
            await orm
              .delete(branchSightings)
              .where(sql`${branchSightings.claim_id} NOT IN (SELECT ${claims.id} FROM ${claims} WHERE ${claims.completed_at_ms} IS NULL)`)
              .returning({ id: branchSightings.claim_id })
          ).length,
      );
    },
  };
}
