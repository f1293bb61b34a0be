// The wire contract of SPEC §3: TypeBox schemas for every request and response, and their static types.
import { type Static, Type as T } from "@sinclair/typebox";
import { ActiveClaimView, CompletedClaimView, MessageView, SessionStateSchema, SessionView, Timestamp } from "../core/views.ts";

/** Limits on request fields, in characters. */
export const LIMITS = {
  repo: 200,
  session_id: 200,
  task_id: 200,
  branch: 255,
  plan_file: 500,
  /** The largest request body the service reads, in bytes (Bun's default would be 128 MB). */
  body_bytes: 64 * 1024,
} as const;

/**
 * What every identifier (repo, session id, task id, branch, plan file, session address) must match
 * (SPEC §16): no C0/C1 control character (NUL included), no bidirectional override, embedding,
 * isolate or mark, no U+FFFD (what invalid UTF-8 decodes to) and no lone surrogate — so an id
 * cannot hide text on a terminal or collapse into another id. Written for JavaScript's RegExp
 * without the `u` flag (TypeBox's), where a surrogate pair is two code units.
 */
export const IDENTIFIER_PATTERN = String.raw`^(?:[^\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFFFD\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$`;
const identifierRegExp = new RegExp(IDENTIFIER_PATTERN);

/** True when `value` is free of what identifiers may not contain (see `IDENTIFIER_PATTERN`). */
export function isIdentifierText(value: string): boolean {
  return identifierRegExp.test(value);
}

/** A string identifier of `minLength`..`maxLength` characters matching `IDENTIFIER_PATTERN` (reuse it for every new identifier field, e.g. reservation paths). */
export function Identifier(opts: { minLength: number; maxLength: number; description?: string }) {
  return T.String({ ...opts, pattern: IDENTIFIER_PATTERN });
}

const Repo = Identifier({ minLength: 1, maxLength: LIMITS.repo, description: "owner/name of a whitelisted repository" });
const Token = T.String({ pattern: "^sha256:[0-9a-f]{64}$", description: "sha256: followed by 64 lowercase hex" });
const CommitSha = T.String({ pattern: "^[0-9a-f]{40}([0-9a-f]{24})?$", description: "40 lowercase hex" });
/** A session id: at least 16 characters (SPEC §16), so the full id cannot be guessed from its public 8-character prefix. */
export const SessionId = Identifier({ minLength: 16, maxLength: LIMITS.session_id, description: "a session id of at least 16 characters, such as Claude Code's session UUID" });
const TaskId = Identifier({ minLength: 1, maxLength: LIMITS.task_id });
const Branch = Identifier({ minLength: 1, maxLength: LIMITS.branch });
const PlanFile = Identifier({ minLength: 0, maxLength: LIMITS.plan_file });
/** Another session, as others address it (SPEC §16): its 8-character prefix or its full id. */
const SessionAddress = Identifier({ minLength: 1, maxLength: LIMITS.session_id, description: "a session's 8-character prefix, as listings show it, or its full id" });

/** The three fields every repo-scoped request carries to prove access (SPEC §2), to spread into a request schema. */
export const REPO_AUTH_FIELDS = { repo: Repo, token: Token, commit_sha: CommitSha };
/** `REPO_AUTH_FIELDS` and the session asking: what every request a session makes for itself starts with. */
export const SESSION_AUTH_FIELDS = { ...REPO_AUTH_FIELDS, session_id: SessionId };

/** The three fields every repo-scoped request carries to prove access (SPEC §2). */
export const RepoAuth = T.Object(REPO_AUTH_FIELDS);
/** `REPO_AUTH_FIELDS` where an admin bearer token may stand in for `token` and `commit_sha` (the human's requests, README). */
const ADMIN_OR_REPO_AUTH_FIELDS = { repo: Repo, token: T.Optional(Token), commit_sha: T.Optional(CommitSha) };

export const ClaimBody = T.Object({
  ...SESSION_AUTH_FIELDS,
  task_id: TaskId,
  branch: Branch,
  plan_file: T.Optional(PlanFile),
});
export type ClaimBody = Static<typeof ClaimBody>;

const PrUrl = T.String({ maxLength: 500, pattern: "^https?://", description: "an http(s) URL" });

export const CompleteBody = T.Object({
  ...SESSION_AUTH_FIELDS,
  task_id: TaskId,
  /** The pull request of the work (SPEC §10 `complete --pr`); listings show it while the completion is listed. */
  pr_url: T.Optional(PrUrl),
});
export type CompleteBody = Static<typeof CompleteBody>;

/** `POST /release` (SPEC §10): the owner gives its claim back. */
export const ReleaseBody = T.Object({ ...SESSION_AUTH_FIELDS, task_id: TaskId });
export type ReleaseBody = Static<typeof ReleaseBody>;

export const ReleaseResponse = T.Object({ status: T.Literal("released"), task_id: T.String() });
export type ReleaseResponse = Static<typeof ReleaseResponse>;

/** `POST /handover` (SPEC §10): `session_id` takes over `from_session_id`'s claim, state and unread messages; the full old id is the proof. */
export const HandoverBody = T.Object({ ...REPO_AUTH_FIELDS, from_session_id: SessionId, session_id: SessionId });
export type HandoverBody = Static<typeof HandoverBody>;

export const HandoverResponse = T.Object({
  status: T.Literal("handed_over"),
  task_id: T.Union([T.String(), T.Null()]),
  fence: T.Union([T.Integer(), T.Null()]),
  /** The state the new session took over, and how many unread messages moved with it. */
  state: T.Union([T.String(), T.Null()]),
  messages: T.Integer(),
});
export type HandoverResponse = Static<typeof HandoverResponse>;

export const ClaimsQuery = RepoAuth;
export type ClaimsQuery = Static<typeof ClaimsQuery>;

/** With admin tokens configured the bearer token stands in for `token` and `commit_sha` (README). */
export const ExpireBody = T.Object({
  ...ADMIN_OR_REPO_AUTH_FIELDS,
  task_id: T.Optional(TaskId),
  session: T.Optional(SessionAddress),
});
export type ExpireBody = Static<typeof ExpireBody>;

const ClaimedBy = T.Object({ session: T.String(), branch: T.String(), claimed_at: Timestamp });

const ControlActionSchema = T.Union([T.Literal("pause"), T.Literal("resume"), T.Literal("approve"), T.Literal("reject")], { description: "one of pause, resume, approve, reject" });

/** The human's latest control of a session (SPEC §13), as heartbeat, claim and directive answers carry it. */
export const Directive = T.Object({ action: ControlActionSchema, message: T.Union([T.String(), T.Null()]), at: Timestamp });
export type Directive = Static<typeof Directive>;

export const ClaimResponse = T.Object({
  status: T.Literal("claimed"),
  task_id: T.String(),
  fence: T.Integer(),
  /** The human's latest control of the claiming session (SPEC §13), when there is one. */
  directive: T.Optional(Directive),
});
export type ClaimResponse = Static<typeof ClaimResponse>;

/** `branch` is the claim's branch (SPEC §10: the session's state follows the claim, not the checkout). */
export const CompleteResponse = T.Object({ status: T.Literal("completed"), task_id: T.String(), branch: T.String() });
export type CompleteResponse = Static<typeof CompleteResponse>;

export const ActiveClaim = ActiveClaimView;
export type ActiveClaim = ActiveClaimView;
export const CompletedClaim = CompletedClaimView;
export type CompletedClaim = CompletedClaimView;

export const ClaimsResponse = T.Object({ active: T.Array(ActiveClaim), recently_completed: T.Array(CompletedClaim) });
export type ClaimsResponse = Static<typeof ClaimsResponse>;

export const ExpireResponse = T.Object({ status: T.Literal("expired"), task_id: T.String(), session: T.String(), branch: T.String() });
export type ExpireResponse = Static<typeof ExpireResponse>;

export const HealthResponse = T.Object({ status: T.Literal("ok"), version: T.String(), backend: T.Optional(T.String({ description: "sqlite or postgresql (SPEC §12)" })) });
export type HealthResponse = Static<typeof HealthResponse>;

/** Every error body (SPEC §3): a code, one sentence, and the code's extra fields. */
export const ErrorBody = T.Object(
  {
    status: T.String(),
    message: T.String(),
    field: T.Optional(T.String()),
    claimed_by: T.Optional(ClaimedBy),
    current_claim: T.Optional(T.Object({ task_id: T.String(), branch: T.String(), plan_file: T.String(), claimed_at: Timestamp, fence: T.Integer() })),
    current_commit: T.Optional(T.String()),
    your_commit: T.Optional(T.String()),
  },
  { additionalProperties: true },
);
export type ErrorBody = Static<typeof ErrorBody>;

// ---- Sessions, status and messages (SPEC §7) ----

/** Limits of the session and message fields, in characters (lists: in items). `body` is only the schema's ceiling: `[limits] message_bytes` (default 8000 bytes) is the bound. */
export const ACTIVITY_LIMITS = { note: 500, reason: 500, context: 2000, option: 200, options: 10, pr_url: 500, worktree: 1024, subject: 200, body: 60_000, ack_ids: 500, plan: 20000, control_message: 2000 } as const;

/** The query of repo-scoped GETs; `token` and `commit_sha` may be left out when an admin bearer token is sent. */
export const RepoQuery = T.Object(ADMIN_OR_REPO_AUTH_FIELDS);
export type RepoQuery = Static<typeof RepoQuery>;

const State = SessionStateSchema;
const Stuck = T.Object({
  reason: T.String({ minLength: 1, maxLength: ACTIVITY_LIMITS.reason }),
  context: T.Optional(T.Union([T.String({ maxLength: ACTIVITY_LIMITS.context }), T.Null()])),
  options: T.Optional(T.Array(T.String({ minLength: 1, maxLength: ACTIVITY_LIMITS.option }), { maxItems: ACTIVITY_LIMITS.options, description: `at most ${ACTIVITY_LIMITS.options} options` })),
});

export const HeartbeatBody = T.Object({
  ...SESSION_AUTH_FIELDS,
  branch: Branch,
  /** Absent: the stored state is kept (a new session is `registered`): registration and `hook activity` (SPEC §10). */
  state: T.Optional(State),
  task_id: T.Optional(T.Union([TaskId, T.Null()])),
  progress: T.Optional(T.Union([T.Integer({ minimum: 0, maximum: 100, description: "an integer from 0 to 100" }), T.Null()])),
  note: T.Optional(T.Union([T.String({ maxLength: ACTIVITY_LIMITS.note }), T.Null()])),
  stuck: T.Optional(Stuck),
  pr_url: T.Optional(T.Union([T.String({ maxLength: ACTIVITY_LIMITS.pr_url, pattern: "^https?://", description: "an http(s) URL" }), T.Null()])),
  worktree: T.Optional(T.Union([T.String({ minLength: 1, maxLength: ACTIVITY_LIMITS.worktree, description: "the absolute path of the session's git worktree (SPEC §14)" }), T.Null()])),
  plan: T.Optional(T.Union([T.String({ maxLength: ACTIVITY_LIMITS.plan, description: `the plan for the human to review, at most ${ACTIVITY_LIMITS.plan} characters` }), T.Null()])),
});
export type HeartbeatBody = Static<typeof HeartbeatBody>;

export const HeartbeatResponse = T.Object({
  status: T.Literal("ok"),
  session: T.String(),
  state: T.String(),
  unread: T.Integer(),
  /** The human's latest control of this session (SPEC §13), when there is one; `hook activity` passes it to the model. */
  directive: T.Optional(T.Union([Directive, T.Null()])),
});
export type HeartbeatResponse = Static<typeof HeartbeatResponse>;

export const SessionViewSchema = SessionView;
export const SessionsResponse = T.Object({ sessions: T.Array(SessionViewSchema) });
export type SessionsResponse = Static<typeof SessionsResponse>;

/** `session_id` (the sender) may be left out, with `token` and `commit_sha`, when the human sends with an admin bearer token. */
export const SendBody = T.Object({
  ...ADMIN_OR_REPO_AUTH_FIELDS,
  session_id: T.Optional(SessionId),
  broadcast: T.Optional(T.Boolean()),
  to_task: T.Optional(TaskId),
  to_branch: T.Optional(Branch),
  to_session: T.Optional(SessionAddress),
  /** To the human (SPEC §10 `send --to-human`): the dashboard, `watch`, `board` and the admin token's `inbox` show it. */
  to_human: T.Optional(T.Boolean()),
  subject: T.String({ minLength: 1, maxLength: ACTIVITY_LIMITS.subject }),
  body: T.String({ minLength: 1, maxLength: ACTIVITY_LIMITS.body }),
});
export type SendBody = Static<typeof SendBody>;

export const SendResponse = T.Object({ status: T.Literal("sent"), ids: T.Array(T.Integer()), to: T.Array(T.String()) });
export type SendResponse = Static<typeof SendResponse>;

export const MessageViewSchema = MessageView;
export const InboxQuery = T.Object({
  ...ADMIN_OR_REPO_AUTH_FIELDS,
  unread: T.Optional(T.Union([T.Literal("true"), T.Literal("false"), T.Literal("1"), T.Literal("0")], { description: "true or false" })),
});
export type InboxQuery = Static<typeof InboxQuery>;
export const InboxResponse = T.Object({ messages: T.Array(MessageViewSchema) });
export type InboxResponse = Static<typeof InboxResponse>;

export const AckBody = T.Object({
  ...SESSION_AUTH_FIELDS,
  ids: T.Array(T.Integer({ minimum: 1 }), { minItems: 1, maxItems: ACTIVITY_LIMITS.ack_ids, description: `a list of 1 to ${ACTIVITY_LIMITS.ack_ids} message ids` }),
});
export type AckBody = Static<typeof AckBody>;
export const AckResponse = T.Object({ status: T.Literal("acked"), acked: T.Integer() });
export type AckResponse = Static<typeof AckResponse>;

/** `GET /events`: the repo query plus `last_event_id` for clients that cannot send the `Last-Event-ID` header. */
export const EventsQuery = T.Object({
  ...ADMIN_OR_REPO_AUTH_FIELDS,
  last_event_id: T.Optional(T.String({ maxLength: 20 })),
});
export type EventsQuery = Static<typeof EventsQuery>;

// ---- The human in the loop (SPEC §13) ----

/** `POST /sessions/control` (admin token): `session` is a session's 8-character prefix or its full id (SPEC §16). */
export const ControlBody = T.Object({
  repo: Repo,
  session: T.String({ minLength: 1, maxLength: LIMITS.session_id, description: "the session's 8-character prefix, as listings show it, or its full id" }),
  action: ControlActionSchema,
  message: T.Optional(T.Union([T.String({ maxLength: ACTIVITY_LIMITS.control_message }), T.Null()])),
});
export type ControlBody = Static<typeof ControlBody>;
export const ControlResponse = T.Object({ status: T.Literal("ok"), session: T.String(), action: ControlActionSchema, state: T.String() });
export type ControlResponse = Static<typeof ControlResponse>;

/** `GET /sessions/directive` (repo token, header `X-Session-Id`): the caller's latest directive, for `wait` and the PreToolUse guard. */
export const DirectiveResponse = T.Object({ session: T.String(), state: T.Union([T.String(), T.Null()]), directive: T.Union([Directive, T.Null()]) });
export type DirectiveResponse = Static<typeof DirectiveResponse>;
