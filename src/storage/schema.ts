// The SQLite schema of the service (drizzle): claims, the fence counter, branch sightings, webhook deliveries, sessions, messages, events and reservations; drizzle-kit generates drizzle/ from it.

import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** The completion reasons the database accepts (mirrors core's `CompletionReason`). */
export const COMPLETION_REASONS = ["client_completed", "admin_expired", "branch_removed", "released"] as const;

/** The outcomes of a completion (mirrors core's `Outcome`, SPEC §10). */
export const OUTCOMES = ["done", "freed"] as const;

/**
 * Every claim ever granted and not yet swept: active while `completed_at_ms IS NULL`, recently
 * completed otherwise. Times are epoch milliseconds.
 *
 * The two partial unique indexes are the compare-and-swap of SPEC §3: at most one active claim
 * per (repo, task_id) and per (repo, session_id), enforced by SQLite itself, so the rule holds with
 * several service processes on one file. Completed rows are outside the indexes.
 */
export const claims = sqliteTable(
  "claims",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    task_id: text("task_id").notNull(),
    session_id: text("session_id").notNull(),
    branch: text("branch").notNull(),
    plan_file: text("plan_file").notNull(),
    fence: integer("fence").notNull(),
    claimed_at_ms: integer("claimed_at_ms").notNull(),
    completed_at_ms: integer("completed_at_ms"),
    completion_reason: text("completion_reason", { enum: COMPLETION_REASONS }),
    /** done / freed (SPEC §10); null while active, and on rows completed before outcomes existed. */
    outcome: text("outcome", { enum: OUTCOMES }),
    /** The pull request a completion named (`complete --pr`). */
    pr_url: text("pr_url"),
  },
  (t) => [
    uniqueIndex("claims_active_task_uq").on(t.repo, t.task_id).where(sql`${t.completed_at_ms} IS NULL`),
    uniqueIndex("claims_active_session_uq").on(t.repo, t.session_id).where(sql`${t.completed_at_ms} IS NULL`),
    uniqueIndex("claims_fence_uq").on(t.fence),
    index("claims_active_repo_claimed_idx").on(t.repo, t.claimed_at_ms).where(sql`${t.completed_at_ms} IS NULL`),
    index("claims_repo_completed_idx").on(t.repo, t.completed_at_ms),
    check(
      "claims_completion_consistent",
      sql`(${t.completed_at_ms} IS NULL) = (${t.completion_reason} IS NULL)`,
    ),
    check(
      "claims_completion_reason_known",
      sql`${t.completion_reason} IS NULL OR ${t.completion_reason} IN ('client_completed', 'admin_expired', 'branch_removed', 'released')`,
    ),
    check("claims_outcome_known", sql`${t.outcome} IS NULL OR ${t.outcome} IN ('done', 'freed')`),
  ],
);

/**
 * The fence counter: one row (`id = 1`) holding the last fence handed out. It lives apart from
 * `claims` so that deleting claims never lets a fence be reused (SPEC §3: never reused, also
 * across restarts). The row is created by the first `nextFence`.
 */
export const fenceCounter = sqliteTable(
  "fence_counter",
  {
    id: integer("id").primaryKey(),
    last_fence: integer("last_fence").notNull(),
  },
  (t) => [check("fence_counter_single_row", sql`${t.id} = 1`)],
);

/**
 * Branch sightings of the branch lifecycle job: the branch of active claim `claim_id` was seen on
 * the remote at `seen_at_ms`. Only a claim whose branch was seen after it was granted, and is gone
 * now, is completed as `branch_removed`: a branch that was never pushed is not "removed". Rows of
 * claims that are no longer active are pruned by the job.
 */
export const branchSightings = sqliteTable("branch_sightings", {
  claim_id: integer("claim_id").primaryKey(),
  seen_at_ms: integer("seen_at_ms").notNull(),
});

/**
 * GitHub webhook deliveries already handled, by `X-GitHub-Delivery` (a GUID that a redelivery
 * keeps), so a replayed or redelivered delivery changes nothing. Rows older than the retention
 * are deleted when a new delivery arrives.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    delivery_id: text("delivery_id").primaryKey(),
    received_at_ms: integer("received_at_ms").notNull(),
  },
  (t) => [index("webhook_deliveries_received_idx").on(t.received_at_ms)],
);

/** The session states the database accepts (mirrors core's `SESSION_STATES`). */
export const SESSION_STATES = ["registered", "planning", "planning_complete", "working", "stuck", "paused", "complete", "cancelled"] as const;

/**
 * Sessions of SPEC §7, one row per (repo, session_id), created by the first heartbeat and updated
 * by each one. `stuck_options` is a JSON array of strings. Pruned after the session retention.
 */
export const sessions = sqliteTable(
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
    /** The worktree path the session runs in, as `spawn` registers it (SPEC §14); null when never reported. */
    worktree: text("worktree"),
    first_seen_ms: integer("first_seen_ms").notNull(),
    last_heartbeat_ms: integer("last_heartbeat_ms").notNull(),
    /** SPEC §13: the plan attached for review, and when the current state began (0 for rows from before: read as last_heartbeat_ms). */
    plan: text("plan"),
    state_since_ms: integer("state_since_ms").notNull().default(0),
  },
  (t) => [uniqueIndex("sessions_repo_session_uq").on(t.repo, t.session_id), index("sessions_repo_heartbeat_idx").on(t.repo, t.last_heartbeat_ms)],
);

/**
 * Messages of SPEC §7: `to_session` null is a broadcast, `from_session` null the human (admin
 * token). A message to several sessions (a branch) is one row per recipient.
 */
export const messages = sqliteTable(
  "messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    from_session: text("from_session"),
    to_session: text("to_session"),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    created_at_ms: integer("created_at_ms").notNull(),
  },
  (t) => [index("messages_repo_to_idx").on(t.repo, t.to_session, t.id)],
);

/** Which session acknowledged which message (direct or broadcast), and when. */
export const messageReads = sqliteTable(
  "message_reads",
  {
    message_id: integer("message_id").notNull(),
    session_id: text("session_id").notNull(),
    read_at_ms: integer("read_at_ms").notNull(),
  },
  (t) => [uniqueIndex("message_reads_uq").on(t.message_id, t.session_id)],
);

/**
 * The change log behind `GET /events` (server-sent events): one row per claimed, completed,
 * expired, heartbeat or message, with an increasing id that clients resume from
 * (`Last-Event-ID`). Shared by every service process on the file; pruned after the event retention.
 */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    type: text("type").notNull(),
    data: text("data").notNull(),
    at_ms: integer("at_ms").notNull(),
  },
  (t) => [index("events_repo_id_idx").on(t.repo, t.id)],
);

/**
 * Reservations of SPEC §11: a session's glob `path` (normalised, src/core/glob-overlap.ts) in a
 * repo, exclusive or shared, until `expires_at_ms` (treated as gone when read after that). One row
 * per (repo, session_id, path): reserving the same pattern again renews that row. `keep` 1: the
 * reservation outlives the session's claim.
 */
export const reservations = sqliteTable(
  "reservations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repo: text("repo").notNull(),
    session_id: text("session_id").notNull(),
    path: text("path").notNull(),
    exclusive: integer("exclusive", { mode: "boolean" }).notNull(),
    reason: text("reason"),
    keep: integer("keep", { mode: "boolean" }).notNull(),
    created_at_ms: integer("created_at_ms").notNull(),
    expires_at_ms: integer("expires_at_ms").notNull(),
  },
  (t) => [uniqueIndex("reservations_repo_session_path_uq").on(t.repo, t.session_id, t.path), index("reservations_repo_expires_idx").on(t.repo, t.expires_at_ms)],
);

/** The actions of a session control (SPEC §13), stored in `session_controls.action`. */
export const CONTROL_ACTIONS = ["pause", "resume", "approve", "reject"] as const;

/** The states of a notification delivery, stored in `notify_deliveries.status`. */
export const NOTIFY_STATUSES = ["pending", "delivered", "failed"] as const;

/** The human's controls (SPEC §13): the latest control of each session (pause, resume, approve, reject). */
export const sessionControls = sqliteTable(
  "session_controls",
  {
    repo: text("repo").notNull(),
    session_id: text("session_id").notNull(),
    action: text("action", { enum: CONTROL_ACTIONS }).notNull(),
    message: text("message"),
    at_ms: integer("at_ms").notNull(),
    paused_from: text("paused_from", { enum: SESSION_STATES }),
  },
  (t) => [uniqueIndex("session_controls_uq").on(t.repo, t.session_id)],
);

/**
 * Notification delivery (SPEC §13): per repo, the last event id the notifier has turned into
 * deliveries, so a restart resumes where it stopped.
 */
export const notifyCursors = sqliteTable("notify_cursors", {
  repo: text("repo").primaryKey(),
  last_event_id: integer("last_event_id").notNull(),
});

/**
 * One notification for one `[[notify]]` target: unique per (target, key), so an event is delivered
 * to a target once across restarts and processes. `lease_until_ms` is the atomic claim of a sender;
 * `status` is pending, delivered or failed (gave up after 24 h). Times in epoch ms.
 */
export const notifyDeliveries = sqliteTable(
  "notify_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    target: text("target").notNull(),
    key: text("key").notNull(),
    repo: text("repo").notNull(),
    kind: text("kind").notNull(),
    payload: text("payload").notNull(),
    status: text("status", { enum: NOTIFY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    created_ms: integer("created_ms").notNull(),
    next_attempt_ms: integer("next_attempt_ms").notNull(),
    lease_until_ms: integer("lease_until_ms").notNull().default(0),
    done_ms: integer("done_ms"),
    last_error: text("last_error"),
  },
  (t) => [uniqueIndex("notify_deliveries_uq").on(t.target, t.key), index("notify_deliveries_due_idx").on(t.status, t.next_attempt_ms)],
);
