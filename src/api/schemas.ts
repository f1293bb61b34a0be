// The wire contract of SPEC §3: TypeBox schemas for every request and response, and their static types.
import { type Static, Type as T } from "@sinclair/typebox";

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

const Repo = T.String({ minLength: 1, maxLength: LIMITS.repo, description: "owner/name of a whitelisted repository" });
const Token = T.String({ pattern: "^sha256:[0-9a-f]{64}$", description: "sha256: followed by 64 lowercase hex" });
const CommitSha = T.String({ pattern: "^[0-9a-f]{40}([0-9a-f]{24})?$", description: "40 lowercase hex" });
const SessionId = T.String({ minLength: 1, maxLength: LIMITS.session_id });
const TaskId = T.String({ minLength: 1, maxLength: LIMITS.task_id });
const Branch = T.String({ minLength: 1, maxLength: LIMITS.branch });
const PlanFile = T.String({ maxLength: LIMITS.plan_file });
const Timestamp = T.String({ description: "RFC 3339 UTC" });

/** The three fields every repo-scoped request carries to prove access (SPEC §2). */
export const RepoAuth = T.Object({ repo: Repo, token: Token, commit_sha: CommitSha });

export const ClaimBody = T.Object({
  repo: Repo,
  token: Token,
  commit_sha: CommitSha,
  session_id: SessionId,
  task_id: TaskId,
  branch: Branch,
  plan_file: T.Optional(PlanFile),
});
export type ClaimBody = Static<typeof ClaimBody>;

export const CompleteBody = T.Object({
  repo: Repo,
  token: Token,
  commit_sha: CommitSha,
  session_id: SessionId,
  task_id: TaskId,
});
export type CompleteBody = Static<typeof CompleteBody>;

export const ClaimsQuery = T.Object({ repo: Repo, token: Token, commit_sha: CommitSha });
export type ClaimsQuery = Static<typeof ClaimsQuery>;

/** With admin tokens configured the bearer token stands in for `token` and `commit_sha` (README). */
export const ExpireBody = T.Object({
  repo: Repo,
  token: T.Optional(Token),
  commit_sha: T.Optional(CommitSha),
  task_id: T.Optional(TaskId),
  session: T.Optional(T.String({ minLength: 1, maxLength: LIMITS.session_id, description: "a session id or a prefix of at least 8 characters" })),
});
export type ExpireBody = Static<typeof ExpireBody>;

const ClaimedBy = T.Object({ session: T.String(), branch: T.String(), claimed_at: Timestamp });

export const ClaimResponse = T.Object({ status: T.Literal("claimed"), task_id: T.String(), fence: T.Integer() });
export type ClaimResponse = Static<typeof ClaimResponse>;

export const CompleteResponse = T.Object({ status: T.Literal("completed"), task_id: T.String() });
export type CompleteResponse = Static<typeof CompleteResponse>;

export const ActiveClaim = T.Object({
  session: T.String(),
  task_id: T.String(),
  branch: T.String(),
  plan_file: T.String(),
  claimed_at: Timestamp,
  fence: T.Integer(),
});
export type ActiveClaim = Static<typeof ActiveClaim>;

export const CompletedClaim = T.Object({
  session: T.String(),
  task_id: T.String(),
  branch: T.String(),
  plan_file: T.String(),
  claimed_at: Timestamp,
  completed_at: Timestamp,
  completion_reason: T.Union([T.Literal("client_completed"), T.Literal("admin_expired"), T.Literal("branch_removed")]),
  fence: T.Integer(),
});
export type CompletedClaim = Static<typeof CompletedClaim>;

export const ClaimsResponse = T.Object({ active: T.Array(ActiveClaim), recently_completed: T.Array(CompletedClaim) });
export type ClaimsResponse = Static<typeof ClaimsResponse>;

export const ExpireResponse = T.Object({ status: T.Literal("expired"), task_id: T.String(), session: T.String(), branch: T.String() });
export type ExpireResponse = Static<typeof ExpireResponse>;

export const HealthResponse = T.Object({ status: T.Literal("ok"), version: T.String() });
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
