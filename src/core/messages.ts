// Messages between sessions and from the human (SPEC §7): addressing, recipients and inbox views.
import { type ClaimPolicy, isExpired } from "./claims.ts";
import { CoordError } from "./errors.ts";
import { MIN_SESSION_PREFIX, sessionPrefix } from "./session-id.ts";
import type { SessionPolicy, SessionRecord } from "./sessions.ts";
import type { ClaimRecord, ClaimStore } from "./store.ts";
import { type Clock, toRfc3339 } from "./time.ts";
import type { MessageView } from "./views.ts";

/** Where a message goes: everyone, the session holding a task, the sessions on a branch, a session by prefix, or the human (SPEC §10). */
export type MessageTarget = { broadcast: true } | { to_task: string } | { to_branch: string } | { to_session: string } | { to_human: true };

/**
 * The recipient id stored for a message to the human (SPEC §10 `send --to-human`). Session ids
 * have at least 16 characters (SPEC §16), so it never names a session, and no session's inbox
 * shows it; the human's view (admin token) lists it, shown as to `human`.
 */
export const HUMAN = "human";

/** One stored message. `to_session` null is a broadcast; `from_session` null is the human (admin token). */
export interface MessageRecord {
  id: number;
  repo: string;
  from_session: string | null;
  to_session: string | null;
  subject: string;
  body: string;
  created_at_ms: number;
}

export type { MessageView };

/** Renders a message for `viewer`'s inbox; `read` says whether the viewer acknowledged it. */
export function messageView(m: MessageRecord, read: boolean): MessageView {
  return {
    id: m.id,
    from: m.from_session === null ? "human" : sessionPrefix(m.from_session),
    to: m.to_session === null ? "broadcast" : sessionPrefix(m.to_session),
    subject: m.subject,
    body: m.body,
    sent_at: toRfc3339(m.created_at_ms),
    read,
  };
}

/**
 * The recipients of a message: `"broadcast"`, or the full session ids it is delivered to, found
 * among the repo's known sessions (heartbeats) and active claims at send time.
 * - `to_task`: the session holding the task's active claim;
 * - `to_branch`: every session whose heartbeat or active claim names that branch;
 * - `to_session`: the one session whose id starts with the prefix (at least 8 characters).
 * Throws CoordError `not_found` when nobody matches, `ambiguous` (details.sessions) when a prefix
 * matches several sessions, `invalid_request` for a prefix under 8 characters.
 */
export function resolveRecipients(target: MessageTarget, sessions: readonly SessionRecord[], active: readonly ClaimRecord[]): "broadcast" | string[] {
  if ("broadcast" in target) return "broadcast";
  if ("to_human" in target) return [HUMAN];
  if ("to_task" in target) {
    const holder = active.find((c) => c.task_id === target.to_task);
    if (!holder) throw new CoordError("not_found", `No session holds task '${target.to_task}'.`, { task_id: target.to_task });
    return [holder.session_id];
  }
  const known = new Map<string, string>();
  for (const s of sessions) known.set(s.session_id, s.branch);
  for (const c of active) if (!known.has(c.session_id)) known.set(c.session_id, c.branch);
  if ("to_branch" in target) {
    const ids = new Set<string>();
    for (const s of sessions) if (s.branch === target.to_branch) ids.add(s.session_id);
    for (const c of active) if (c.branch === target.to_branch) ids.add(c.session_id);
    if (ids.size === 0) throw new CoordError("not_found", `No session works on branch '${target.to_branch}'.`, { branch: target.to_branch });
    return [...ids];
  }
  if (target.to_session.length < MIN_SESSION_PREFIX) {
    throw new CoordError("invalid_request", `Invalid request body: field 'to_session' must be a session id or a prefix of at least ${MIN_SESSION_PREFIX} characters.`, { field: "to_session" });
  }
  const ids = [...known.keys()].filter((id) => id.startsWith(target.to_session));
  if (ids.length === 0) throw new CoordError("not_found", `No session starts with '${target.to_session}'.`);
  if (ids.length > 1) {
    throw new CoordError("ambiguous", `Session prefix '${target.to_session}' matches ${ids.length} sessions; give more characters.`, { sessions: ids.map(sessionPrefix) });
  }
  return ids;
}

/** A message and whether the reading session acknowledged it. */
export interface InboxEntry {
  message: MessageRecord;
  read: boolean;
}

/** What messaging writes inside a store transaction (src/core/store.ts `ClaimTx`). Times in epoch ms. */
export interface MessageTx {
  /** Stores messages (one per recipient; `to_session` null for a broadcast) and returns them with ids, in order. */
  insertMessages(rows: readonly Omit<MessageRecord, "id">[]): Promise<MessageRecord[]>;
  /** Marks `ids` read for `session_id`, only those in its inbox; returns how many were newly marked. */
  markRead(repo: string, session_id: string, ids: readonly number[], at_ms: number): Promise<number>;
  /** How many inbox messages `session_id` has not acknowledged. */
  unreadCount(repo: string, session_id: string): Promise<number>;
  /**
   * Handover (SPEC §10): re-addresses `from_session`'s unread direct messages to `to_session`, and
   * marks read for `to_session` every message `from_session` had read (so old broadcasts do not
   * come back as unread). Resolves to how many direct messages moved.
   */
  transferUnread(repo: string, from_session: string, to_session: string, at_ms: number): Promise<number>;
}

/** The message reads of inboxes and the pruning job, outside transactions. Times in epoch ms. */
export interface MessageStore {
  /**
   * `session_id`'s inbox in `repo`: messages to it and broadcasts from others, oldest first, the
   * newest `limit` of them; only unacknowledged ones when `unread_only`.
   */
  inbox(repo: string, session_id: string, opts: { unread_only: boolean; limit: number }): Promise<InboxEntry[]>;
  /** The newest `limit` messages of `repo`, oldest first (the human's view). */
  recentMessages(repo: string, limit: number): Promise<MessageRecord[]>;
  /** Deletes messages created before `before_ms` (and their read marks); returns how many messages. */
  deleteMessagesBefore(before_ms: number): Promise<number>;
}

/** A message to send: from a session (`from_session`, a full id) or the human (null). */
export interface NewMessage {
  repo: string;
  from_session: string | null;
  target: MessageTarget;
  subject: string;
  body: string;
}

/**
 * The use case of `POST /messages` (SPEC §7): in one transaction at its own time, resolves the
 * recipients among the repo's sessions seen within `session_policy.listed_ms` and its live active
 * claims (`resolveRecipients`, whose errors it rejects with), stores one message per recipient (one
 * for a broadcast) and appends a `message` event for each. Returns the stored messages and the
 * recipients (`"broadcast"` or full session ids).
 */
export function sendMessage(
  store: ClaimStore,
  msg: NewMessage,
  clock: Clock,
  policy: { claims: ClaimPolicy; sessions: SessionPolicy },
): Promise<{ stored: MessageRecord[]; recipients: "broadcast" | string[] }> {
  return store.transact(clock, async (tx) => {
    const now = tx.now_ms;
    const sessions = await tx.listSessions(msg.repo, now - policy.sessions.listed_ms);
    // The empty prefix: every active claim of the repo.
    const active = (await tx.activeBySessionPrefix(msg.repo, "")).filter((c) => !isExpired(c, now, policy.claims));
    const recipients = resolveRecipients(msg.target, sessions, active);
    const rows = (recipients === "broadcast" ? [null] : recipients).map((to_session) => ({
      repo: msg.repo,
      from_session: msg.from_session,
      to_session,
      subject: msg.subject,
      body: msg.body,
      created_at_ms: now,
    }));
    const stored = await tx.insertMessages(rows);
    for (const m of stored) await tx.appendEvent(msg.repo, "message", messageView(m, false), now);
    return { stored, recipients };
  });
}

/**
 * The use case of `POST /messages/ack`: marks `ids` read for `session_id` (only messages in its
 * inbox) in one transaction, stamped at its time. Returns how many were newly marked.
 */
export function ackMessages(store: ClaimStore, req: { repo: string; session_id: string; ids: readonly number[] }, clock: Clock): Promise<number> {
  return store.transact(clock, (tx) => tx.markRead(req.repo, req.session_id, req.ids, tx.now_ms));
}
