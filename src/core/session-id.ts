// Session ids as others see them (SPEC §3, §16): the shown 8-character prefix; the rest is the session's credential, so others address a session by exactly that prefix or its full id.
import { CoordError } from "./errors.ts";

/** How many characters of a session id listings show (SPEC §3): the rest is that session's credential. */
export const SESSION_PREFIX_LENGTH = 8;

/** The shortened session id listings show (first 8 characters). */
export function sessionPrefix(session_id: string): string {
  return session_id.slice(0, SESSION_PREFIX_LENGTH);
}

/** The shortest session id accepted (SPEC §16): Claude Code's ids are 36-character UUIDs. */
export const MIN_SESSION_ID_LENGTH = 16;

/**
 * Checks the shape of an address of a session given by another party (`to_session` of a message,
 * `session` of DELETE /claim, the human's controls): exactly 8 characters (the public prefix) or
 * a full id (at least 16 characters). Anything else — in particular 9 to 15 leading characters of
 * a real id — is refused before any lookup, so the answer cannot depend on stored ids (SPEC §16).
 * Throws CoordError `invalid_request` naming `field`.
 */
export function checkSessionAddress(address: string, field: string): void {
  if (address.length === SESSION_PREFIX_LENGTH || address.length >= MIN_SESSION_ID_LENGTH) return;
  throw new CoordError(
    "invalid_request",
    `Invalid request body: field '${field}' must be a session's ${SESSION_PREFIX_LENGTH}-character prefix, as listings show it, or its full id (at least ${MIN_SESSION_ID_LENGTH} characters).`,
    { field },
  );
}

/**
 * True when `session_id` is the session `address` names: the address is its 8-character prefix,
 * or the whole id. A longer partial prefix never matches, so extending a prefix one character at
 * a time learns nothing (SPEC §16: no answer depends on characters beyond the listed 8).
 */
export function matchesSessionAddress(session_id: string, address: string): boolean {
  return address.length === SESSION_PREFIX_LENGTH ? session_id.startsWith(address) : session_id === address;
}

/**
 * Prefixes are first come, first served within a repo (SPEC §16): throws CoordError
 * `session_prefix_taken` (409) when another live session of the repo — `live_ids`: the sessions
 * seen within the listing window (24 h) and the holders of live claims — has the same 8-character
 * prefix as `session_id`. The session itself (same full id) never conflicts with itself.
 */
export function checkPrefixFree(session_id: string, live_ids: Iterable<string>): void {
  const prefix = session_id.slice(0, SESSION_PREFIX_LENGTH);
  for (const id of live_ids) {
    if (id !== session_id && id.startsWith(prefix)) {
      throw new CoordError(
        "session_prefix_taken",
        `Another live session already uses the prefix '${prefix}'; a session id's first ${SESSION_PREFIX_LENGTH} characters must be its own in this repository. Start a new session (a new session id).`,
        { session: prefix },
      );
    }
  }
}

/** How a use case admits a session id it is about to make known (SPEC §16): the windows of "live" and what to do for a new session. */
export interface Admission {
  /** Sessions seen within this window are live (the listing window, 24 h). */
  listed_ms: number;
  /** Active claims younger than this are live (the claim TTL). */
  claim_ttl_ms: number;
  /** Called inside the transaction, at its time, when the id is no live session yet; throwing refuses it (e.g. new sessions per client IP). */
  on_new_session?: (now_ms: number) => void;
}

/** What `admitSession` reads inside a transaction (`ClaimTx.liveSessionIds`). */
export interface AdmissionTx {
  readonly now_ms: number;
  liveSessionIds(repo: string, prefix: string, claimed_after_ms: number, seen_since_ms: number): Promise<string[]>;
}

/**
 * Admits `session_id` in `repo` inside a transaction at `tx.now_ms` (so the check and the write
 * that follows are one commit): the live sessions with its 8-character prefix are those seen within
 * `listed_ms` and the holders of active claims younger than `claim_ttl_ms` (README: "live").
 * Rejects with CoordError `session_prefix_taken` when one of them is another session; calls
 * `on_new_session` when the id itself is not live yet.
 */
export async function admitSession(tx: AdmissionTx, repo: string, session_id: string, a: Admission): Promise<void> {
  const prefix = sessionPrefix(session_id);
  // A claim is live while claimed_at_ms + claim_ttl_ms > now_ms, a session while last_heartbeat_ms >= now_ms - listed_ms.
  const live = new Set(await tx.liveSessionIds(repo, prefix, tx.now_ms - a.claim_ttl_ms, tx.now_ms - a.listed_ms));
  checkPrefixFree(session_id, live);
  if (!live.has(session_id)) a.on_new_session?.(tx.now_ms);
}
