// Session status (SPEC §7): heartbeats, the state lifecycle, stuck reasons and the stale flag.
import { CoordError } from "./errors.ts";
import { type ControlRecord, type ControlTx, heldState, startsNewReview } from "./controls.ts";
import type { EventTx } from "./events.ts";
import { type Admission, admitSession, sessionPrefix } from "./session-id.ts";
import type { ClaimStore } from "./store.ts";
import { type Clock, toRfc3339 } from "./time.ts";
import type { SessionState, SessionView } from "./views.ts";

export { SESSION_STATES, type SessionState, type SessionView } from "./views.ts";

/** Why a session is stuck, and the answers it offers the human. */
export interface StuckInfo {
  reason: string;
  context: string | null;
  options: string[];
}

/** One session of one repo as stored. Times in epoch ms. */
export interface SessionRecord {
  repo: string;
  /** The full id: a credential, never listed (listings show 8 characters). */
  session_id: string;
  branch: string;
  state: SessionState;
  task_id: string | null;
  /** 0–100, or null when never reported. */
  progress: number | null;
  note: string | null;
  stuck: StuckInfo | null;
  pr_url: string | null;
  /** The absolute path of the git worktree the session runs in (SPEC §14, set by `spawn`); null when never reported. */
  worktree: string | null;
  /** The plan the session attached for the human to review (`heartbeat --plan`, SPEC §13), or null. */
  plan: string | null;
  first_seen_ms: number;
  last_heartbeat_ms: number;
  /** When the session entered its current state (a heartbeat repeating the state keeps it). */
  state_since_ms: number;
}

/** What a heartbeat names; a field left undefined keeps its stored value (SPEC §7; `state` too, SPEC §10: registration and `hook activity` keep it). */
export interface HeartbeatInput {
  repo: string;
  session_id: string;
  branch: string;
  state?: SessionState;
  task_id?: string | null;
  progress?: number | null;
  note?: string | null;
  stuck?: { reason: string; context?: string | null; options?: string[] } | null;
  pr_url?: string | null;
  worktree?: string | null;
  plan?: string | null;
}

/** Durations of the session rules, in ms. */
export interface SessionPolicy {
  /** No heartbeat for longer than this: `stale: true` (default 30 minutes). A stale session keeps its claim. */
  stale_ms: number;
  /** Sessions seen within this window are listed (default 24 hours); older ones are pruned by the job. */
  listed_ms: number;
}

/** SPEC §7 defaults: stale after 30 minutes, listed for 24 hours. */
export const DEFAULT_SESSION_POLICY: SessionPolicy = { stale_ms: 30 * 60_000, listed_ms: 86_400_000 };

/**
 * Applies a heartbeat to the stored session (undefined: the first heartbeat registers it) at
 * `now_ms`, and returns the new record. Fields the heartbeat names replace the stored ones; the
 * others are kept. A heartbeat without `state` keeps the stored state and stuck info (a new session
 * starts `registered`); one naming a state other than `stuck` clears the stuck info. Throws CoordError `invalid_request`
 * (with `field`) when `state` is `stuck` without `stuck.reason`, when `stuck` is given with another
 * state, or when `progress` is not an integer from 0 to 100.
 */
export function applyHeartbeat(prev: SessionRecord | undefined, hb: HeartbeatInput, now_ms: number): SessionRecord {
  if (hb.state === "stuck" && !hb.stuck?.reason?.trim()) {
    throw new CoordError("invalid_request", "Invalid request body: field 'stuck.reason' is required when state is 'stuck'.", { field: "stuck.reason" });
  }
  if (hb.state !== "stuck" && hb.stuck) {
    throw new CoordError("invalid_request", `Invalid request body: field 'stuck' goes with state 'stuck', not '${hb.state ?? "(none)"}'.`, { field: "stuck" });
  }
  if (hb.progress !== undefined && hb.progress !== null && !(Number.isInteger(hb.progress) && hb.progress >= 0 && hb.progress <= 100)) {
    throw new CoordError("invalid_request", "Invalid request body: field 'progress' must be an integer from 0 to 100.", { field: "progress" });
  }
  const keep = <T>(v: T | undefined, old: T): T => (v === undefined ? old : v);
  const state = hb.state ?? prev?.state ?? "registered";
  return {
    repo: hb.repo,
    session_id: hb.session_id,
    branch: hb.branch,
    state,
    task_id: keep(hb.task_id, prev?.task_id ?? null),
    progress: keep(hb.progress, prev?.progress ?? null),
    note: keep(hb.note, prev?.note ?? null),
    stuck:
      hb.state === "stuck"
        ? { reason: hb.stuck!.reason.trim(), context: hb.stuck!.context ?? null, options: hb.stuck!.options ?? [] }
        : hb.state === undefined
          ? (prev?.stuck ?? null)
          : null,
    pr_url: keep(hb.pr_url, prev?.pr_url ?? null),
    worktree: keep(hb.worktree, prev?.worktree ?? null),
    plan: keep(hb.plan, prev?.plan ?? null),
    first_seen_ms: prev?.first_seen_ms ?? now_ms,
    last_heartbeat_ms: now_ms,
    state_since_ms: prev !== undefined && prev.state === state ? prev.state_since_ms : now_ms,
  };
}

/** True when no heartbeat came for longer than the stale interval at `now_ms`. */
export function isStale(s: SessionRecord, now_ms: number, policy: SessionPolicy): boolean {
  return now_ms - s.last_heartbeat_ms > policy.stale_ms;
}

/** Renders a session for a listing, with its stale flag at `now_ms`. */
export function sessionView(s: SessionRecord, now_ms: number, policy: SessionPolicy): SessionView {
  return {
    session: sessionPrefix(s.session_id),
    branch: s.branch,
    state: s.state,
    task_id: s.task_id,
    progress: s.progress,
    note: s.note,
    stuck: s.stuck,
    pr_url: s.pr_url,
    worktree: s.worktree,
    plan: s.plan,
    first_seen: toRfc3339(s.first_seen_ms),
    last_heartbeat: toRfc3339(s.last_heartbeat_ms),
    state_since: toRfc3339(s.state_since_ms),
    stale: isStale(s, now_ms, policy),
  };
}

/**
 * The listing of `GET /sessions`: sessions seen within `listed_ms`, stuck ones first, then by
 * latest heartbeat (newest first).
 */
export function listSessionViews(sessions: readonly SessionRecord[], now_ms: number, policy: SessionPolicy): SessionView[] {
  return sessions
    .filter((s) => now_ms - s.last_heartbeat_ms <= policy.listed_ms)
    .sort((a, b) => Number(b.state === "stuck") - Number(a.state === "stuck") || b.last_heartbeat_ms - a.last_heartbeat_ms)
    .map((s) => sessionView(s, now_ms, policy));
}

/** What the session rules do inside a store transaction (src/core/store.ts `ClaimTx`). Times in epoch ms. */
export interface SessionTx {
  /** The session of `(repo, session_id)`, if it ever sent a heartbeat (and was not pruned). */
  getSession(repo: string, session_id: string): Promise<SessionRecord | undefined>;
  /** Inserts or replaces the session `(rec.repo, rec.session_id)`. */
  putSession(rec: SessionRecord): Promise<void>;
  /** Sessions of `repo` whose last heartbeat is at or after `seen_since_ms`. */
  listSessions(repo: string, seen_since_ms: number): Promise<SessionRecord[]>;
}

/** The session reads of listings and the pruning job, outside transactions. Times in epoch ms. */
export interface SessionStore {
  /** Sessions of `repo` whose last heartbeat is at or after `seen_since_ms`. */
  listSessions(repo: string, seen_since_ms: number): Promise<SessionRecord[]>;
  /** Deletes sessions whose last heartbeat is before `before_ms`; returns how many. */
  deleteSessionsBefore(before_ms: number): Promise<number>;
}

/**
 * Inside a transaction at `tx.now_ms`: applies `hb` to the stored session (`applyHeartbeat`, so
 * it throws its `invalid_request` errors), stores it and appends its `heartbeat` event (the
 * session as listings show it; a session just written is never stale). Returns the new record.
 */
export async function writeSessionState(tx: SessionTx & EventTx & ControlTx & { readonly now_ms: number }, hb: HeartbeatInput): Promise<SessionRecord> {
  return (await writeHeldSessionState(tx, hb)).session;
}

/**
 * `writeSessionState` under the human's control (SPEC §13), also returning the control: while the
 * session is paused it stays `paused` whatever `hb` reports (its stuck info dropped); a session
 * entering `planning_complete` again forgets the earlier approve, reject or resume (a new plan
 * awaits review).
 */
export async function writeHeldSessionState(
  tx: SessionTx & EventTx & ControlTx & { readonly now_ms: number },
  hb: HeartbeatInput,
): Promise<{ session: SessionRecord; control: ControlRecord | undefined }> {
  const { session: prev, control: stored } = await tx.getSessionAndControl(hb.repo, hb.session_id);
  let control = stored;
  const held = heldState(hb.state, control);
  const rec = applyHeartbeat(prev, held === hb.state ? hb : { ...hb, state: held, stuck: undefined }, tx.now_ms);
  if (startsNewReview(prev?.state, rec.state, control)) {
    await tx.deleteControl(hb.repo, hb.session_id);
    control = undefined;
  }
  await tx.putSession(rec);
  await tx.appendEvent(hb.repo, "heartbeat", sessionView(rec, tx.now_ms, DEFAULT_SESSION_POLICY), tx.now_ms);
  return { session: rec, control };
}

/**
 * The use case of `POST /heartbeat` (SPEC §7): in one transaction stamped at its own time
 * (`clock` read after the lock), the session's new state (`writeHeldSessionState`: a paused
 * session stays paused), its `heartbeat` event, the count of its unread messages and the human's
 * latest control (the directive the answer carries). Rejects with CoordError `invalid_request` (with
 * `field`) for the heartbeats `applyHeartbeat` refuses; nothing is stored then. With `admission`
 * (the service's route), first admits the session id in the same transaction (`admitSession`).
 */
export function recordHeartbeat(store: ClaimStore, hb: HeartbeatInput, clock: Clock, admission?: Admission): Promise<{ session: SessionRecord; unread: number; control: ControlRecord | undefined }> {
  return store.transact(clock, async (tx) => {
    if (admission) await admitSession(tx, hb.repo, hb.session_id, admission);
    const { session, control } = await writeHeldSessionState(tx, hb);
    return { session, control, unread: await tx.unreadCount(hb.repo, hb.session_id) };
  });
}
