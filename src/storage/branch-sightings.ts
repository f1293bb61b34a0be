// The branch lifecycle job's memory on SQLite: which active claims' branches were seen on the remote, and when.
import { inArray, sql } from "drizzle-orm";
import { queued } from "./connection-queue.ts";
import type { CoordDatabase } from "./db.ts";
import { branchSightings, claims } from "./schema.ts";

/** SQLite's default limit on bound parameters is 32766; chunks stay far below it. */
const CHUNK = 500;

/** Sightings of claims' branches (the job's `BranchSightings`). Times in epoch milliseconds. */
export interface BranchSightingStore {
  /** The ids among `claim_ids` whose branch was seen at least once. */
  seen(claim_ids: readonly number[]): Promise<Set<number>>;
  /** Records that the branches of `claim_ids` were seen at `seen_at_ms` (the latest sighting wins). */
  record(claim_ids: readonly number[], seen_at_ms: number): Promise<void>;
  /** Forgets sightings of claims that are no longer active (completed, expired or deleted). Returns how many. */
  prune(): Promise<number>;
}

/** `items` in slices of at most `size` (default 500: far below SQLite's bound-parameter limit). */
export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The sightings table of `schema.ts` over an open database. Each method is one statement per chunk
 * of 500 ids (each atomic on its own; `record` of one chunk is one transaction) and waits for other
 * writers up to the busy timeout. Throws SQLite's errors.
 */
export function createBranchSightings(db: CoordDatabase): BranchSightingStore {
  const orm = db.orm;
  return queued<BranchSightingStore>(db.queue, {
    seen(claim_ids) {
      const out = new Set<number>();
      for (const part of chunks(claim_ids)) {
        for (const row of orm.select({ id: branchSightings.claim_id }).from(branchSightings).where(inArray(branchSightings.claim_id, part)).all()) {
          out.add(row.id);
        }
      }
      return out;
    },
    record(claim_ids, seen_at_ms) {
      for (const part of chunks(claim_ids)) {
        orm
          .insert(branchSightings)
          .values(part.map((claim_id) => ({ claim_id, seen_at_ms })))
          .onConflictDoUpdate({ target: branchSightings.claim_id, set: { seen_at_ms } })
          .run();
      }
    },
    prune() {
      return orm
        .delete(branchSightings)
        .where(sql`${branchSightings.claim_id} NOT IN (SELECT ${claims.id} FROM ${claims} WHERE ${claims.completed_at_ms} IS NULL)`)
        .returning({ id: branchSightings.claim_id })
        .all().length;
    },
  });
}
