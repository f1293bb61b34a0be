// The PostgreSQL schema of the service (drizzle): the same tables and column names as schema.ts (SQLite), text and bigint milliseconds; drizzle-kit generates drizzle/pg/ from it.

import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { COMPLETION_REASONS, CONTROL_ACTIONS, NOTIFY_STATUSES, OUTCOMES, SESSION_STATES } from "./schema.ts";

/** A column of epoch milliseconds (or an id): `bigint`, read back as a JS number (exact up to 2^53). */
const ms = (name: string) => bigint(name, { mode: "number" });

/**
 * Claims, as `schema.ts` `claims`: the partial unique indexes are the compare-and-swap of SPEC §3.
 * `id` comes from an identity column: claim ids need not be in commit order (fences and event ids
 * do, and come from `fence_counter`).
 */
export const claims = pgTable(
  "claims",
  {
    id: ms("id").primaryKey().generatedByDefaultAsIdentity(),
    repo: text("repo").notNull(),
    task_id: text("task_id").notNull(),
    session_id: text("session_id").notNull(),
    branch: text("branch").notNull(),
    plan_file: text("plan_file").notNull(),
    fence: ms("fence").notNull(),
    claimed_at_ms: ms("claimed_at_ms").notNull(),
    completed_at_ms: ms("completed_at_ms"),
    completion_reason: text("completion_reason", { enum: COMPLETION_REASONS }),
    outcome: text("outcome", { enum: OUTCOMES }),
    pr_url: text("pr_url"),
  },
  (t) => [
    uniqueIndex("claims_active_task_uq").on(t.repo, t.task_id).where(sql`${t.completed_at_ms} IS NULL`),
    uniqueIndex("claims_active_session_uq").on(t.repo, t.session_id).where(sql`${t.completed_at_ms} IS NULL`),
    uniqueIndex("claims_fence_uq").on(t.fence),
    index("claims_active_repo_claimed_idx").on(t.repo, t.claimed_at_ms).where(sql`${t.completed_at_ms} IS NULL`),
    index("claims_repo_completed_idx").on(t.repo, t.completed_at_ms),
    check("claims_completion_consistent", sql`(${t.completed_at_ms} IS NULL) = (${t.completion_reason} IS NULL)`),
    check(
      "claims_completion_reason_known",
      sql`${t.completion_reason} IS NULL OR ${t.completion_reason} IN ('client_completed', 'admin_expired', 'branch_removed', 'released')`,
    ),
    check("claims_outcome_known", sql`${t.outcome} IS NULL OR ${t.outcome} IN ('done', 'freed')`),
  ],
);

/**
 * The one row (`id = 1`, created by the migration runner) that every writing transaction locks
 * first (`SELECT … FOR UPDATE`): it serialises writers as SQLite's `BEGIN IMMEDIATE` does, so
 * check-then-insert never races, and what it hands out under that lock commits in the order it
 * was handed out. `last_fence` is the last fence (SPEC §3); `last_event_id` the last event id
 * (SPEC §12: event ids in commit order, so a reader polling `id > last` never skips one). A plain
 * sequence gives neither: its values commit out of order.
 */
export const fenceCounter = pgTable(
  "fence_counter",
  {
    id: integer("id").primaryKey(),
    last_fence: ms("last_fence").notNull(),
    last_event_id: ms("last_event_id").notNull().default(0),
  },
  (t) => [check("fence_counter_single_row", sql`${t.id} = 1`)],
);

/** As `schema.ts` `branch_sightings`. */
export const branchSightings = pgTable("branch_sightings", {
  claim_id: ms("claim_id").primaryKey(),
  seen_at_ms: ms("seen_at_ms").notNull(),
});

/** As `schema.ts` `webhook_deliveries`: the primary key is what makes replicas agree on who handles a delivery. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    delivery_id: text("delivery_id").primaryKey(),
    received_at_ms: ms("received_at_ms").notNull(),
  },
  (t) => [index("webhook_deliveries_received_idx").on(t.received_at_ms)],
);

/** As `schema.ts` `sessions`. */
export const sessions = pgTable(
  "sessions",
  {
    repo: text("repo").notNull(),
    session_id: text("session_id").notNull(),
    branch: text("branch").notNull(),
    state: text("state", { enum: SESSION_STATES }).notNull(),
    task_id: text("task_id"),
    progress: integer("progress"),
    note: text("note"),
    stuck_reason: text("stuck_reason"),
    stuck_context: text("stuck_context"),
    stuck_options: text("stuck_options"),
    pr_url: text("pr_url"),
    worktree: text("worktree"),
    first_seen_ms: ms("first_seen_ms").notNull(),
    last_heartbeat_ms: ms("last_heartbeat_ms").notNull(),
    plan: text("plan"),
    state_since_ms: ms("state_since_ms").notNull().default(0),
  },
  (t) => [uniqueIndex("sessions_repo_session_uq").on(t.repo, t.session_id), index("sessions_repo_heartbeat_idx").on(t.repo, t.last_heartbeat_ms)],
);

/** As `schema.ts` `messages`. */
export const messages = pgTable(
  "messages",
  {
    id: ms("id").primaryKey().generatedByDefaultAsIdentity(),
    repo: text("repo").notNull(),
    from_session: text("from_session"),
    to_session: text("to_session"),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    created_at_ms: ms("created_at_ms").notNull(),
  },
  (t) => [index("messages_repo_to_idx").on(t.repo, t.to_session, t.id)],
);

/** As `schema.ts` `message_reads`. */
export const messageReads = pgTable(
  "message_reads",
  {
    message_id: ms("message_id").notNull(),
    session_id: text("session_id").notNull(),
    read_at_ms: ms("read_at_ms").notNull(),
  },
  (t) => [uniqueIndex("message_reads_uq").on(t.message_id, t.session_id)],
);

/**
 * As `schema.ts` `events`, except that `id` has no default: the store assigns
 * `fence_counter.last_event_id + 1` under the row lock, so ids commit in increasing order.
 */
export const events = pgTable(
  "events",
  {
    id: ms("id").primaryKey(),
    repo: text("repo").notNull(),
    type: text("type").notNull(),
    data: text("data").notNull(),
    at_ms: ms("at_ms").notNull(),
  },
  (t) => [index("events_repo_id_idx").on(t.repo, t.id)],
);

/**
 * PostgreSQL only: the last schedule slot (epoch ms) each background job ran for. A replica runs a
 * job only when it moves `last_slot_ms` forward (one atomic upsert), so several replicas firing the
 * same cron tick run it once (SPEC §12).
 */
export const jobRuns = pgTable("job_runs", {
  name: text("name").primaryKey(),
  last_slot_ms: ms("last_slot_ms").notNull(),
});

/** As `schema.ts` `reservations` (SPEC §11): one row per (repo, session_id, path); `exclusive` and `keep` as booleans. */
export const reservations = pgTable(
  "reservations",
  {
    id: ms("id").primaryKey().generatedByDefaultAsIdentity(),
    repo: text("repo").notNull(),
    session_id: text("session_id").notNull(),
    path: text("path").notNull(),
    exclusive: boolean("exclusive").notNull(),
    reason: text("reason"),
    keep: boolean("keep").notNull(),
    created_at_ms: ms("created_at_ms").notNull(),
    expires_at_ms: ms("expires_at_ms").notNull(),
  },
  (t) => [uniqueIndex("reservations_repo_session_path_uq").on(t.repo, t.session_id, t.path), index("reservations_repo_expires_idx").on(t.repo, t.expires_at_ms)],
);

/** As `schema.ts` `session_controls`: the latest control of each session (SPEC §13). */
export const sessionControls = pgTable(
  "session_controls",
  {
    repo: text("repo").notNull(),
    session_id: text("session_id").notNull(),
    action: text("action", { enum: CONTROL_ACTIONS }).notNull(),
    message: text("message"),
    at_ms: ms("at_ms").notNull(),
    paused_from: text("paused_from", { enum: SESSION_STATES }),
  },
  (t) => [uniqueIndex("session_controls_uq").on(t.repo, t.session_id)],
);

/** As `schema.ts` `notify_cursors`: one per repo, shared by every replica's notifier (pg-notify-store.ts). */
export const notifyCursors = pgTable("notify_cursors", {
  repo: text("repo").primaryKey(),
  last_event_id: ms("last_event_id").notNull(),
});

/** As `schema.ts` `notify_deliveries`: one row per (target, key), claimed by one replica at a time (pg-notify-store.ts). */
export const notifyDeliveries = pgTable(
  "notify_deliveries",
  {
    id: ms("id").primaryKey().generatedByDefaultAsIdentity(),
    target: text("target").notNull(),
    key: text("key").notNull(),
    repo: text("repo").notNull(),
    kind: text("kind").notNull(),
    payload: text("payload").notNull(),
    status: text("status", { enum: NOTIFY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    created_ms: ms("created_ms").notNull(),
    next_attempt_ms: ms("next_attempt_ms").notNull(),
    lease_until_ms: ms("lease_until_ms").notNull().default(0),
    done_ms: ms("done_ms"),
    last_error: text("last_error"),
  },
  (t) => [uniqueIndex("notify_deliveries_uq").on(t.target, t.key), index("notify_deliveries_due_idx").on(t.status, t.next_attempt_ms)],
);
