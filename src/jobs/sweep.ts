// The housekeeping sweep job: deletes expired claims and forgets old completions.
import { type ClaimPolicy, sweepClaims } from "../core/claims.ts";
import type { ClaimStore } from "../core/store.ts";

/**
 * Runs one sweep at `now_ms`: active claims past `claim_ttl_ms` and completions past
 * `completed_ttl_ms` are deleted. Returns the counts; throws what the store throws.
 */
export function runSweep(store: ClaimStore, now_ms: number, policy: ClaimPolicy): Promise<{ expired: number; forgotten: number }> {
  return sweepClaims(store, now_ms, policy);
}
