// Messages between sessions and from the human (SPEC §7): addressing, recipients and inbox views.
import { type ClaimPolicy, isExpired } from "./claims.ts";
import { CoordError } from "./errors.ts";
import { DEFAULT_LIMITS, HOUR_MS, type Limits, rateLimited, tooLarge } from "./limits.ts";
import { type Admission, admitSession, checkSessionAddress, matchesSessionAddress, sessionPrefix } from "./session-id.ts";
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
 * - `to_session`: the one session named by its 8-character prefix or its full id (SPEC §16).
 * Throws CoordError `not_found` when nobody matches, `ambiguous` (details.sessions) when a prefix
 * matches several sessions, `invalid_request` for an address that is neither 8 characters nor a full id.
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
  checkSessionAddress(target.to_session, "to_session");
  const ids = [...known.keys()].filter((id) => matchesSessionAddress(id, target.to_session));
  if (ids.length === 0) throw new CoordError("not_found", `No session '${target.to_session}' in this repository.`);
  if (ids.length > 1) {
    throw new CoordError("ambiguous", `Session prefix '${target.to_session}' matches ${ids.length} sessions; give the full session id.`, { sessions: ids.map(sessionPrefix) });
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
  /** When `from_session` sent its messages of `repo` created at or after `since_ms` (epoch ms, oldest first; one per recipient row). */
  sentSince(repo: string, from_session: string, since_ms: number): Promise<number[]>;
  /** How many messages `repo` stores (one per recipient row). */
  countMessages(repo: string): Promise<number>;
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
  /** The subject and body of message `id` of `repo` (events carry neither: SPEC §16 stores a body once). */
  messageText(repo: string, id: number): Promise<{ subject: string; body: string } | undefined>;
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
 * The use case of `POST /messages` (SPEC §7, §16): in one transaction at its own time, admits the
 * sending session (`admission`: `admitSession`), resolves the recipients among the repo's sessions
 * seen within `session_policy.listed_ms` and its live active claims (`resolveRecipients`, whose
 * errors it rejects with), checks the `[limits]` bounds, stores one message per recipient (one for a
 * broadcast) and appends a `message` event for each that names it without its subject and body
 * (the text is stored once, in the message). Returns the stored messages and the recipients
 * (`"broadcast"` or full session ids).
 * Rejects with CoordError `payload_too_large` (limit `message_bytes`, `recipients_per_message`) or
 * `rate_limited` (limit `messages_per_session_per_hour`, counted per recipient and not for the
 * human; `stored_messages_per_repo`); nothing is stored then.
 */
export function sendMessage(
  store: ClaimStore,
  msg: NewMessage,
  clock: Clock,
  policy: { claims: ClaimPolicy; sessions: SessionPolicy },
  limits: Limits = DEFAULT_LIMITS,
  admission?: Admission,
): Promise<{ stored: MessageRecord[]; recipients: "broadcast" | string[] }> {
  const bytes = Buffer.byteLength(msg.body);
  if (bytes > limits.message_bytes) return Promise.reject(tooLarge("message_bytes", limits.message_bytes, `The message body is ${bytes} bytes`));
  return store.transact(clock, async (tx) => {
    const now = tx.now_ms;
    if (admission && msg.from_session !== null) await admitSession(tx, msg.repo, msg.from_session, admission);
    const sessions = await tx.listSessions(msg.repo, now - policy.sessions.listed_ms);
    // The empty prefix: every active claim of the repo.
    const active = (await tx.activeBySessionPrefix(msg.repo, "")).filter((c) => !isExpired(c, now, policy.claims));
    const recipients = resolveRecipients(msg.target, sessions, active);
    const count = recipients === "broadcast" ? 1 : recipients.length;
    if (count > limits.recipients_per_message) throw tooLarge("recipients_per_message", limits.recipients_per_message, `The message would reach ${count} sessions`);
    if (msg.from_session !== null) {
      const sent = await tx.sentSince(msg.repo, msg.from_session, now - HOUR_MS + 1);
      const max = limits.messages_per_session_per_hour;
      if (sent.length + count > max) {
        // Retry when enough of this hour's messages have left the window for this one to fit.
        const frees = sent[Math.min(sent.length - 1, Math.max(0, sent.length + count - max - 1))];
        throw rateLimited("messages_per_session_per_hour", max, frees === undefined ? HOUR_MS / 1000 : (frees + HOUR_MS - now) / 1000, `This session sent ${sent.length} messages in the last hour`);
      }
    }
    const stored_count = await tx.countMessages(msg.repo);
    if (stored_count + count > limits.stored_messages_per_repo) {
      throw rateLimited("stored_messages_per_repo", limits.stored_messages_per_repo, HOUR_MS / 1000, `The repository stores ${stored_count} messages`);
    }
    const rows = (recipients === "broadcast" ? [null] : recipients).map((to_session) => ({
      repo: msg.repo,
      from_session: msg.from_session,
      to_session,
      subject: msg.subject,
      body: msg.body,
      created_at_ms: now,
    }));
    const stored = await tx.insertMessages(rows);
    for (const m of stored) {
      const { subject: _s, body: _b, ...ref } = messageView(m, false);
      await tx.appendEvent(msg.repo, "message", ref, now);
    }
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
