// The views core renders for the wire (SPEC §3, §7): TypeBox schemas, so core's view types are Static<> of the very schemas the route table answers with.
import { type Static, Type as T } from "@sinclair/typebox";

/** RFC 3339 UTC, second precision (`2026-01-05T20:00:00Z`). */
export const Timestamp = T.String({ description: "RFC 3339 UTC" });

/** Why a claim left the active set (SPEC §3). */
export const CompletionReasonSchema = T.Union([T.Literal("client_completed"), T.Literal("admin_expired"), T.Literal("branch_removed"), T.Literal("released")]);

/** An active claim as listings show it (SPEC §3): `session` is the first 8 characters of the session id. */
export const ActiveClaimView = T.Object({
  session: T.String(),
  task_id: T.String(),
  branch: T.String(),
  plan_file: T.String(),
  claimed_at: Timestamp,
  fence: T.Integer(),
});
export type ActiveClaimView = Static<typeof ActiveClaimView>;

/** A recently completed claim as listings show it. */
export const CompletedClaimView = T.Object({
  session: T.String(),
  task_id: T.String(),
  branch: T.String(),
  plan_file: T.String(),
  claimed_at: Timestamp,
  completed_at: Timestamp,
  completion_reason: CompletionReasonSchema,
  /** `done`: the work landed; `freed`: the task is open again (SPEC §10). This service always sets it; a listing from an older one may lack it (read as done). */
  outcome: T.Optional(T.Union([T.Literal("done"), T.Literal("freed")])),
  /** The pull request the completion named, or null (absent from an older service's listing). */
  pr_url: T.Optional(T.Union([T.String(), T.Null()])),
  fence: T.Integer(),
});
export type CompletedClaimView = Static<typeof CompletedClaimView>;

/** The states a session reports (SPEC §7). Every state may follow every other: sessions resume, re-plan and get unstuck. */
export const SESSION_STATES = ["registered", "planning", "planning_complete", "working", "stuck", "paused", "complete", "cancelled"] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** A session state on the wire. */
export const SessionStateSchema = T.Union(
  SESSION_STATES.map((s) => T.Literal(s)),
  { description: `one of ${SESSION_STATES.join(", ")}` },
);

/** A session as listings show it (SPEC §7): the id shortened, times as RFC 3339, the stale flag. */
export const SessionView = T.Object({
  session: T.String(),
  branch: T.String(),
  state: SessionStateSchema,
  task_id: T.Union([T.String(), T.Null()]),
  progress: T.Union([T.Integer(), T.Null()]),
  note: T.Union([T.String(), T.Null()]),
  stuck: T.Union([T.Object({ reason: T.String(), context: T.Union([T.String(), T.Null()]), options: T.Array(T.String()) }), T.Null()]),
  pr_url: T.Union([T.String(), T.Null()]),
  worktree: T.Union([T.String(), T.Null()]),
  /** The plan attached for the human's review (SPEC §13 `heartbeat --plan`), or null. */
  plan: T.Optional(T.Union([T.String(), T.Null()])),
  first_seen: Timestamp,
  last_heartbeat: Timestamp,
  /** When the session entered its state (SPEC §13: time in state = now − state_since). */
  state_since: T.Optional(Timestamp),
  stale: T.Boolean(),
});
export type SessionView = Static<typeof SessionView>;

/** A message in an inbox (SPEC §7): sender and recipient shown by 8-character prefix, or `human` / `broadcast`. */
export const MessageView = T.Object({ id: T.Integer(), from: T.String(), to: T.String(), subject: T.String(), body: T.String(), sent_at: Timestamp, read: T.Boolean() });
export type MessageView = Static<typeof MessageView>;
