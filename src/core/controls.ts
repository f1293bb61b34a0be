// The human's controls over a session (SPEC §13): pause, resume, approve, reject; the directive a session reads; the state a control leaves.
import { checkSessionAddress, matchesSessionAddress, sessionPrefix } from "./session-id.ts";
import { CoordError } from "./errors.ts";
import type { SessionRecord, SessionState } from "./sessions.ts";
import type { ClaimStore } from "./store.ts";
import { type Clock, toRfc3339 } from "./time.ts";

/** What the human can do to a session (SPEC §13). */
export const CONTROL_ACTIONS = ["pause", "resume", "approve", "reject"] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** The human's latest control of one session, as stored. Times in epoch ms. */
export interface ControlRecord {
  repo: string;
  /** The full session id. */
  session_id: string;
  action: ControlAction;
  /** The human's words to the session, or null. */
  message: string | null;
  at_ms: number;
  /** The state the session was in when it was paused (restored by `resume`); null otherwise. */
  paused_from: SessionState | null;
}

/** What a session is told in its heartbeat, claim and `hook activity` answers: the human's latest control. */
export interface Directive {
  action: ControlAction;
  message: string | null;
  /** RFC 3339 UTC: when the human gave it (a client shows each directive once by this time). */
  at: string;
}

/** The latest control as a session's answers carry it, or null. */
export function directiveOf(c: ControlRecord | undefined): Directive | null {
  return c ? { action: c.action, message: c.message, at: toRfc3339(c.at_ms) } : null;
}

/** True while the human's latest control of the session is `pause`: the guard denies every tool then. */
export function isPaused(c: ControlRecord | undefined): boolean {
  return c?.action === "pause";
}

/**
 * The state a control leaves the session in: `pause` → `paused` (remembering the state it had);
 * `resume` → the state it had before the pause (`working` when unknown); `approve` → `working`
 * (the plan is accepted: build it); `reject` → `planning` (re-plan). Throws CoordError
 * `invalid_request` (field `action`) for `resume` when the session is not paused.
 */
export function applyControl(
  session: SessionRecord,
  prev: ControlRecord | undefined,
  action: ControlAction,
  message: string | null,
  now_ms: number,
): { session: SessionRecord; control: ControlRecord } {
  let state: SessionState;
  let paused_from: SessionState | null = null;
  if (action === "pause") {
    paused_from = isPaused(prev) ? (prev!.paused_from ?? null) : session.state;
    state = "paused";
  } else if (action === "resume") {
    if (!isPaused(prev) && session.state !== "paused") {
      throw new CoordError("invalid_request", `Invalid request body: field 'action': session is ${session.state}, not paused; there is nothing to resume.`, { field: "action" });
    }
    state = prev?.paused_from ?? "working";
  } else {
    state = action === "approve" ? "working" : "planning";
  }
  const changed = state !== session.state;
  return {
    session: { ...session, state, stuck: state === "stuck" ? session.stuck : null, state_since_ms: changed ? now_ms : session.state_since_ms },
    control: { repo: session.repo, session_id: session.session_id, action, message, at_ms: now_ms, paused_from },
  };
}

/**
 * A heartbeat's state under the human's control: while paused, the session stays `paused` whatever
 * it reports (the human's pause wins until `resume`); otherwise what it reports (undefined: keep).
 */
export function heldState(reported: SessionState | undefined, c: ControlRecord | undefined): SessionState | undefined {
  return isPaused(c) ? "paused" : reported;
}

/**
 * True when a heartbeat ends the previous review decision: a session entering
 * `planning_complete` offers a new plan, so an earlier approve, reject or resume no longer
 * answers it (`wait` then blocks until the human decides again).
 */
export function startsNewReview(prev_state: SessionState | undefined, next_state: SessionState, c: ControlRecord | undefined): boolean {
  return next_state === "planning_complete" && prev_state !== "planning_complete" && c !== undefined && !isPaused(c);
}

/** What the control rules do inside a store transaction (src/core/store.ts `ClaimTx`). */
export interface ControlTx {
  /** The latest control of `(repo, session_id)`, if any. */
  getControl(repo: string, session_id: string): Promise<ControlRecord | undefined>;
  /**
   * `SessionTx.getSession` and `getControl` of `(repo, session_id)` together, in one query where the
   * backend has round trips (every claim and heartbeat asks it inside the write lock).
   */
  getSessionAndControl(repo: string, session_id: string): Promise<{ session: SessionRecord | undefined; control: ControlRecord | undefined }>;
  /** Stores `c` as the latest control of its session (replacing the previous one). */
  putControl(c: ControlRecord): Promise<void>;
  /** Forgets the control of `(repo, session_id)`. */
  deleteControl(repo: string, session_id: string): Promise<void>;
}

/** The control reads outside transactions: a session's directive for `wait`, the guard and claim answers. */
export interface ControlStore {
  /** The latest control of `(repo, session_id)`, if any. */
  getControl(repo: string, session_id: string): Promise<ControlRecord | undefined>;
  /** The stored session `(repo, session_id)` and its latest control, each if any, read by their keys (whatever the number of sessions). */
  getSessionAndControl(repo: string, session_id: string): Promise<{ session: SessionRecord | undefined; control: ControlRecord | undefined }>;
}

/** The human's control request, after shape validation and the admin-token check. */
export interface ControlRequest {
  repo: string;
  /** The session's 8-character prefix or its full id (SPEC §16). */
  session: string;
  action: ControlAction;
  message: string | null;
}


/**
 * The one session among `list` that `address` names (SPEC §16: exactly its 8-character prefix, or
 * its full id). Throws CoordError `invalid_request` (field `session`) for any other length,
 * `not_found` when none matches, `ambiguous` when a prefix matches several (then the full id is needed).
 */
export function resolveSession(list: readonly SessionRecord[], address: string): SessionRecord {
  checkSessionAddress(address, "session");
  const found = list.filter((s) => matchesSessionAddress(s.session_id, address));
  if (found.length === 0) throw new CoordError("not_found", `No session '${address}' was seen in this repository in the last 24 hours.`);
  if (found.length > 1) {
    throw new CoordError("ambiguous", `Session prefix '${address}' matches ${found.length} sessions; give the full session id.`, {
      sessions: found.map((s) => sessionPrefix(s.session_id)),
    });
  }
  return found[0]!;
}

/**
 * The use case of `POST /sessions/control` (SPEC §13): in one transaction at `tx.now_ms`, finds
 * the session `req.session` addresses among those seen within `opts.listed_ms`
 * (`resolveSession`), applies the control (`applyControl`), stores session and control, and
 * appends the session's `heartbeat` event (`opts.view` of it) so live views update. Resolves to
 * the new session record. Rejects with the CoordErrors of `resolveSession` and `applyControl`;
 * nothing is stored then.
 */
export function controlSession(
  store: ClaimStore,
  req: ControlRequest,
  clock: Clock,
  opts: { listed_ms: number; view: (s: SessionRecord, now_ms: number) => unknown },
): Promise<SessionRecord> {
  return store.transact(clock, async (tx) => {
    const target = resolveSession(await tx.listSessions(req.repo, tx.now_ms - opts.listed_ms), req.session);
    const next = applyControl(target, await tx.getControl(req.repo, target.session_id), req.action, req.message, tx.now_ms);
    await tx.putSession(next.session);
    await tx.putControl(next.control);
    await tx.appendEvent(req.repo, "heartbeat", opts.view(next.session, tx.now_ms), tx.now_ms);
    return next.session;
  });
}
