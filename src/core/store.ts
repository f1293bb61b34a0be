// The claim store interface core needs: async primitives run inside one serialised write transaction.
import type { ControlTx } from "./controls.ts";
import type { EventTx } from "./events.ts";
import type { MessageTx } from "./messages.ts";
import type { SessionTx } from "./sessions.ts";
import type { ReservationReads, ReservationTx } from "./reservations.ts";
import type { Clock } from "./time.ts";

/** Why a claim left the active set (SPEC §3; `released` from §10: the owner gave the task back). */
export type CompletionReason = "client_completed" | "admin_expired" | "branch_removed" | "released";

/** What a completion means for the task (SPEC §10): `done` (the work landed) or `freed` (the task is open again). */
export type Outcome = "done" | "freed";

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
  /** Set with the completion; null while active (and on rows completed before outcomes existed: read as the reason's default). */
  outcome: Outcome | null;
  /** The pull request the completion named (`complete --pr`), if any. */
  pr_url: string | null;
}

/** The fields of a claim being granted; the store assigns `id`. */
export type NewClaim = Omit<ClaimRecord, "id" | "completed_at_ms" | "completion_reason" | "outcome" | "pr_url">;

/** What a completion records besides its reason and time: the outcome (absent: null, read as the reason's default) and the PR it names. */
export interface CompletionExtra {
  outcome?: Outcome;
  pr_url?: string | null;
}

/**
 * What a use case may do inside one transaction: the claim primitives below, the session and
 * message writes (`SessionTx`, `MessageTx`) and the event log (`EventTx`), so that a change and
 * its event are one commit. Every method returns a Promise (PostgreSQL's drivers are async); the
 * store runs one transaction at a time per connection, so awaiting them keeps the transaction's
 * isolation. "Active" here means `completed_at_ms IS NULL`, whatever its age: callers apply the
 * TTL. A handle used after its transaction ended throws.
 */
export interface ClaimTx extends SessionTx, MessageTx, EventTx, ControlTx {
  /**
   * The transaction's time, epoch ms: read from the clock after the write lock was taken (SPEC §16:
   * times written by a transaction are read after its lock is taken, so a claim is never stamped
   * before the completion it follows). Every time the transaction writes is this one.
   */
  readonly now_ms: number;
  /** The active claim of `(repo, task_id)`, if any (at most one: a unique index enforces it). */
  activeByTask(repo: string, task_id: string): Promise<ClaimRecord | undefined>;
  /** The active claim of `(repo, session_id)`, if any (at most one: a unique index enforces it). */
  activeBySession(repo: string, session_id: string): Promise<ClaimRecord | undefined>;
  /**
   * `activeByTask(repo, task_id)` and `activeBySession(repo, session_id)` together (equal records
   * when the session holds that task), in one query where the backend has round trips (a claim asks
   * it inside the write lock).
   */
  activeByTaskAndSession(repo: string, task_id: string, session_id: string): Promise<{ by_task: ClaimRecord | undefined; by_session: ClaimRecord | undefined }>;
  /** Active claims of `repo` whose session id starts with `prefix` (case-sensitive). */
  activeBySessionPrefix(repo: string, prefix: string): Promise<ClaimRecord[]>;
  /**
   * The session ids of `repo` starting with `prefix` (case-sensitive, literally) that are live: the
   * holders of active claims claimed after `claimed_after_ms` and the sessions whose last heartbeat
   * is at or after `seen_since_ms`; each id once, in no particular order. One query (a session's
   * admission asks it inside the write lock, SPEC §16).
   */
  liveSessionIds(repo: string, prefix: string, claimed_after_ms: number, seen_since_ms: number): Promise<string[]>;
  /** The next fence: strictly greater than every fence handed out before, durable with the transaction. */
  nextFence(): Promise<number>;
  /** Inserts an active claim. Rejects when a unique index is violated (the caller's transaction then rolls back). */
  insertActive(claim: NewClaim): Promise<ClaimRecord>;
  /** Moves an active claim to recently completed; rejects when `id` is not an active claim. */
  markCompleted(id: number, reason: CompletionReason, completed_at_ms: number, extra?: CompletionExtra): Promise<void>;
  /** Gives an active claim to another session with a new fence (handover, SPEC §10); rejects when `id` is not an active claim. */
  reassign(id: number, session_id: string, fence: number): Promise<void>;
  /** Deletes a claim row (used for active claims past the claim TTL). */
  deleteClaim(id: number): Promise<void>;
  /** Reservations (SPEC §11), in this same transaction: claims ending end them. */
  readonly reservations: ReservationTx;
}

/**
 * The store's transactions (every write of a use case: claims, sessions, messages, events), plus
 * the claim reads and sweeps of listings and jobs.
 */
export interface ClaimStore {
  /**
   * Runs `fn` in one write transaction and resolves to its result; commits when `fn` resolves,
   * rolls back when it rejects and rejects with the same error. Transactions are serialised (on
   * SQLite: one `BEGIN IMMEDIATE` at a time per connection, waiting for other processes up to the
   * busy timeout, ≥ 5000 ms). `clock` is read once, after the lock is taken: `tx.now_ms`.
   * Inside `fn`, use only `tx` (calling the store itself there rejects), and call no git host.
   */
  transact<T>(clock: Clock, fn: (tx: ClaimTx) => Promise<T>): Promise<T>;
  /** Active claims of `repo` claimed at or after `claimed_since_ms`, oldest first. */
  listActive(repo: string, claimed_since_ms: number): Promise<ClaimRecord[]>;
  /** Completed claims of `repo` completed at or after `completed_since_ms`, oldest completion first. */
  listCompleted(repo: string, completed_since_ms: number): Promise<ClaimRecord[]>;
  /** Active claims of every repo (for the branch lifecycle job). */
  listAllActive(): Promise<ClaimRecord[]>;
  /** Deletes active claims claimed before `claimed_before_ms`; resolves to how many. */
  deleteActiveClaimedBefore(claimed_before_ms: number): Promise<number>;
  /** Deletes completed claims completed before `completed_before_ms`; resolves to how many. */
  deleteCompletedBefore(completed_before_ms: number): Promise<number>;
  /** Reservation reads outside a transaction (SPEC §11). */
  readonly reservations: ReservationReads;
}
