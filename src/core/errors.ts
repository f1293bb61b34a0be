// The domain errors of claude-coord: one class, stable snake_case codes (the wire codes the service answers with, and the client-only ones), shared by service and client.

/**
 * The codes the service answers with (SPEC §3): each has its HTTP status in `WIRE_STATUS` and its
 * body in the route table (`api/routes.ts`), and a route may declare only these.
 */
export type WireCode =
  | "invalid_request" // 400: the request's shape is wrong (a field is missing, mistyped or too long)
  | "repo_not_allowed" // 403: the repository is not in the service's whitelist
  | "unauthorized" // 401: an admin token is required and none or a wrong one was given
  | "stale_token" // 401: the token or commit does not match the service's current main
  | "not_found" // 404: no active claim matches
  | "forbidden" // 403: the claim belongs to another session
  | "conflict" // 409: the task is claimed by another session
  | "session_has_claim" // 409: this session already holds another active claim
  | "ambiguous" // 409: a session prefix matches several sessions
  | "session_prefix_taken" // 409: another live session has the same 8-character prefix (SPEC §16)
  | "payload_too_large" // 413: the body is over the service's limit, or a [limits] size bound (SPEC §16)
  | "rate_limited" // 429: too many requests from this session or address, for the git host, or over a [limits] bound (SPEC §15, §16); details.retry_after_s
  | "upstream_unavailable" // 503: the git host cannot be reached to verify the token
  | "store_unavailable" // 503: the service's database (PostgreSQL) cannot be reached (SPEC §12)
  | "internal_error"; // 500: a bug; logged with its cause

/**
 * The codes that exist only in the client (and in the service's start-up, before anything listens):
 * the service never answers with one, and the route table refuses them.
 */
export type ClientOnlyCode =
  | "no_task_available" // claim --next: every available task is taken
  | "service_unavailable" // the service cannot be reached or answered 5xx
  | "tls_untrusted" // the service's (or a proxy's) TLS certificate is signed by a CA this machine does not trust
  | "not_a_service" // what answered at the URL is not a claude-coord service (its answer is outside the route table)
  | "config_error" // configuration is missing or broken
  | "usage_error"; // bad flags or arguments

/**
 * Every failure the domain knows, as a stable snake_case code (SPEC §3, §4): the wire codes and the
 * client-only ones. `server/` maps a wire code to an HTTP status, `api/client.ts` maps a response
 * body back to the code, `cli/` maps any code to an exit code. Nothing else invents codes.
 */
export type ErrorCode = WireCode | ClientOnlyCode;

/**
 * A domain error. `details` carries the extra fields of the error body (SPEC §3), for example
 * `claimed_by` for `conflict`, `current_commit` for `stale_token`.
 */
export class CoordError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "CoordError";
    this.code = code;
    this.details = details;
  }
}

/** True when `e` is a CoordError, optionally with the given code. */
export function isCoordError(e: unknown, code?: ErrorCode): e is CoordError {
  return e instanceof CoordError && (code === undefined || e.code === code);
}
