// The bounds of SPEC §16 ([limits]): what one session, one client or one repo may use, and the errors that say which bound was hit.
import { CoordError } from "./errors.ts";

/** The bounds of `[limits]` (SPEC §16). Counts per the named window; sizes in bytes. */
export interface Limits {
  /** Messages one session may send per hour, counted per recipient (a message to 3 sessions counts 3). */
  messages_per_session_per_hour: number;
  /** The largest message body, in bytes of UTF-8. */
  message_bytes: number;
  /** The most sessions one message may reach (`to_branch` fan-out). */
  recipients_per_message: number;
  /** New sessions (ids no live session has) one client IP may start per hour. */
  new_sessions_per_ip_per_hour: number;
  /** Open `GET /events` streams per client IP. */
  event_streams_per_ip: number;
  /** Open `GET /events` streams per session (`X-Session-Id`). */
  event_streams_per_session: number;
  /** Messages stored per repo (until the retention prunes them). */
  stored_messages_per_repo: number;
}

/** The defaults (README): generous for real agents, far below what the robustness run abused. */
export const DEFAULT_LIMITS: Limits = {
  messages_per_session_per_hour: 120,
  message_bytes: 8000,
  recipients_per_message: 20,
  new_sessions_per_ip_per_hour: 300,
  event_streams_per_ip: 16,
  event_streams_per_session: 4,
  stored_messages_per_repo: 10_000,
};

/** The hour the per-hour bounds count over, in ms. */
export const HOUR_MS = 3_600_000;

/**
 * A request over a rate bound: CoordError `rate_limited` (429, `Retry-After: retry_after_s`), with
 * `limit` (the `[limits]` key) and `max` (its value) in the body.
 */
export function rateLimited(limit: keyof Limits, max: number, retry_after_s: number, what: string): CoordError {
  const after = Math.max(1, Math.ceil(retry_after_s));
  return new CoordError("rate_limited", `${what} (limit '${limit}' = ${max}); retry in ${after} s.`, { limit, max, retry_after_s: after });
}

/** A request over a size bound: CoordError `payload_too_large` (413) with `limit` and `max`. */
export function tooLarge(limit: keyof Limits, max: number, what: string): CoordError {
  return new CoordError("payload_too_large", `${what} (limit '${limit}' = ${max}).`, { limit, max });
}
