// The domain errors of claude-coord: one class, stable snake_case codes, shared by service and client.

/**
 * Every failure the domain knows, as a stable snake_case code (SPEC §3, §4).
 * `server/` maps a code to an HTTP status, `api/client.ts` maps a response body back to the code,
 * `cli/` maps a code to an exit code. Nothing else invents codes.
 */
export type ErrorCode =
  | "invalid_request" // 400: the request's shape is wrong (a field is missing, mistyped or too long)
  | "repo_not_allowed" // 403: the repository is not in the service's whitelist
  | "unauthorized" // 401: an admin token is required and none or a wrong one was given
  | "stale_token" // 401: the token or commit does not match the service's current main
  | "not_found" // 404: no active claim matches
  | "forbidden" // 403: the claim belongs to another session
  | "conflict" // 409: the task is claimed by another session
  | "session_has_claim" // 409: this session already holds another active claim
  | "no_task_available" // client side (claim --next): every available task is taken
  | "ambiguous" // 409: a session prefix matches several sessions
  | "session_prefix_taken" // 409: another live session has the same 8-character prefix (SPEC §16)
  | "payload_too_large" // 413: the body is over the service's limit, or a [limits] size bound (SPEC §16)
  | "rate_limited" // 429: too many requests from this session or address, for the git host, or over a [limits] bound (SPEC §15, §16); details.retry_after_s
  | "upstream_unavailable" // 503: the git host cannot be reached to verify the token
  | "store_unavailable" // 503: the service's database (PostgreSQL) cannot be reached (SPEC §12)
  | "service_unavailable" // client side: the service cannot be reached or answered 5xx
  | "tls_untrusted" // client side: the service's (or a proxy's) TLS certificate is signed by a CA this machine does not trust
  | "not_a_service" // client side: what answered at the URL is not a claude-coord service (its answer is outside the route table)
  | "config_error" // client side: configuration is missing or broken
  | "usage_error" // client side: bad flags or arguments
  | "internal_error"; // 500: a bug; logged with its cause

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
