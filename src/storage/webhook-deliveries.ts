// The webhook delivery log on SQLite: each X-GitHub-Delivery id is handled once, across restarts and service processes.
import { eq, lt } from "drizzle-orm";
import { queued } from "./connection-queue.ts";
import type { CoordDatabase } from "./db.ts";
import { webhookDeliveries } from "./schema.ts";

/**
 * How long a delivery id is remembered: GitHub redelivers (by hand or through the API) deliveries
 * of the past 3 days; a week covers that with room.
 */
export const DELIVERY_RETENTION_MS = 7 * 86_400_000;

/** The log of handled deliveries (the webhook route's `DeliveryLog`). */
export interface DeliveryLogStore {
  /**
   * Records `delivery_id` as received at `now_ms`; false when it was recorded before (a replay or a
   * redelivery: the caller ignores it). Also forgets ids older than `DELIVERY_RETENTION_MS`.
   */
  claim(delivery_id: string, now_ms: number): Promise<boolean>;
  /** Forgets `delivery_id` (its handling failed, so a redelivery may try again). */
  release(delivery_id: string): Promise<void>;
}

/**
 * The deliveries table of `schema.ts` over an open database. `claim` is one immediate transaction
 * (the insert is the check: the primary key makes two processes agree on who got a delivery
 * first). Throws SQLite's errors.
 */
export function createDeliveryLog(db: CoordDatabase): DeliveryLogStore {
  const orm = db.orm;
  return queued<DeliveryLogStore>(db.queue, {
    claim(delivery_id, now_ms) {
      return orm.transaction(
        (tx) => {
          tx.delete(webhookDeliveries).where(lt(webhookDeliveries.received_at_ms, now_ms - DELIVERY_RETENTION_MS)).run();
          const inserted = tx
            .insert(webhookDeliveries)
            .values({ delivery_id, received_at_ms: now_ms })
            .onConflictDoNothing()
            .returning({ id: webhookDeliveries.delivery_id })
            .all();
          return inserted.length === 1;
        },
        { behavior: "immediate" },
      );
    },
    release(delivery_id) {
      orm.delete(webhookDeliveries).where(eq(webhookDeliveries.delivery_id, delivery_id)).run();
    },
  });
}
