// The claim store interface core needs: synchronous primitives run inside one immediate transaction.
import type { EventType } from "./events.ts";

/** Why a claim left the active set (SPEC §3). */
export type CompletionReason = "client_completed" | "admin_expired" | "branch_removed";

/** One claim row, active (`completed_at_ms === null`) or recently completed. Times in epoch ms. */
export interface ClaimRecord {
  id: number;
  repo: string;
  task_id: string;
  /** The full session id: a credential, never shown to other sessions (listings show 8 chars). */
  session_id: string;
  branch: string;
  plan_file: string;
  /** Strictly increasing across every claim the service grants, also across restarts. */
  fence: number;
  claimed_at_ms: number;
  completed_at_ms: number | null;
  completion_reason: CompletionReason | null;
}

/** The fields of a claim being granted; the store assigns `id`. */
export type NewClaim = Omit<ClaimRecord, "id" | "completed_at_ms" | "completion_reason">;

/**
 * What the claim rules may do inside one transaction. Every method is synchronous: the
 * transaction is SQLite's `BEGIN IMMEDIATE`, and nothing asynchronous may run inside it.
 * "Active" here means `completed_at_ms IS NULL`, whatever its age: callers apply the TTL.
 */
export interface ClaimTx {
  /** The active claim of `(repo, task_id)`, if any (at most one: a unique index enforces it). */
  activeByTask(repo: string, task_id: string): ClaimRecord | undefined;
  /** The active claim of `(repo, session_id)`, if any (at most one: a unique index enforces it). */
  activeBySession(repo: string, session_id: string): ClaimRecord | undefined;
  /** Active claims of `repo` whose session id starts with `prefix` (case-sensitive). */
  activeBySessionPrefix(repo: string, prefix: string): ClaimRecord[];
  /** The next fence: strictly greater than every fence handed out before, durable with the transaction. */
  nextFence(): number;
  /** Inserts an active claim. Throws when a unique index is violated (the caller's transaction then rolls back). */
  insertActive(claim: NewClaim): ClaimRecord;
  /** Moves an active claim to recently completed. */
  markCompleted(id: number, reason: CompletionReason, completed_at_ms: number): void;
  /** Deletes a claim row (used for active claims past the claim TTL). */
  deleteClaim(id: number): void;
  /**
   * Logs a change for live views (SPEC §7 `GET /events`) in the same transaction, so that an
   * event exists exactly when its change was committed (and costs no second commit).
   */
  appendEvent(repo: string, type: EventType, data: unknown, at_ms: number): void;
}

/** The claim store: transactions for the rules, plus the reads and sweeps of listings and jobs. */
export interface ClaimStore {
  /**
   * Runs `fn` in one immediate transaction and returns its result; commits on return, rolls back
   * when `fn` throws and rethrows. Waits for other writers up to the busy timeout (≥ 5000 ms).
   */
  transact<T>(fn: (tx: ClaimTx) => T): T;
  /** Active claims of `repo` claimed at or after `claimed_since_ms`, oldest first. */
  listActive(repo: string, claimed_since_ms: number): ClaimRecord[];
  /** Completed claims of `repo` completed at or after `completed_since_ms`, oldest completion first. */
  listCompleted(repo: string, completed_since_ms: number): ClaimRecord[];
  /** Active claims of every repo (for the branch lifecycle job). */
  listAllActive(): ClaimRecord[];
  /** Deletes active claims claimed before `claimed_before_ms`; returns how many. */
  deleteActiveClaimedBefore(claimed_before_ms: number): number;
  /** Deletes completed claims completed before `completed_before_ms`; returns how many. */
  deleteCompletedBefore(completed_before_ms: number): number;
}
