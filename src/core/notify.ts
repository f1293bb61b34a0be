// Notifications of SPEC §13 derived from the event log: which events notify, each with a key that makes it once per target, and the retry schedule.
import type { EventRecord } from "./events.ts";
import type { SessionView } from "./sessions.ts";

/** The notification kinds a `[[notify]]` target can ask for (SPEC §13). */
export const NOTIFY_EVENTS = ["stuck", "plan_ready", "pr_ready", "stale", "claimed", "completed", "message_to_human"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** What a target gets without `events` (SPEC §13). */
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEvent[] = ["stuck", "plan_ready", "pr_ready"];

/** One thing to tell the human. `key` is the same for every event saying the same thing, so a target gets it once. */
export interface Notification {
  kind: NotifyEvent;
  key: string;
  repo: string;
  /** The session's 8-character prefix (no full id ever leaves the service), or null. */
  session: string | null;
  /** One sentence for chat formats: what happened and what the human can do. */
  text: string;
  /** Links: the pull request (pr_ready), else null. */
  url: string | null;
  /** The event data as listings show it (a session, a claim or a message without its body for repo readers). */
  data: Record<string, unknown>;
  /** RFC 3339 UTC: when it happened. */
  at: string;
}

type Fields = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/**
 * The notifications an event of the log makes (SPEC §13), before any target filter:
 * - a heartbeat in `stuck` → `stuck`, in `planning_complete` → `plan_ready` (keyed by the time the
 *   state began, so a repeated heartbeat in the same state makes the same key: nothing new);
 * - a heartbeat in `complete` with a `pr_url`, or a completion carrying one (`complete --pr`) →
 *   `pr_ready` (keyed by session and PR URL, so both make one);
 * - `claimed` → `claimed`, `completed` → `completed` (keyed by the fence);
 * - a message to `human` → `message_to_human` (keyed by its id).
 * Anything else makes none. `at` is the event's time as RFC 3339.
 */
export function notificationsOf(e: EventRecord, at: string): Notification[] {
  const d = (e.data ?? {}) as Fields;
  const session = str(d.session);
  const base = { repo: e.repo, session, url: null, data: d, at };
  if (e.type === "heartbeat") {
    const since = str(d.state_since) ?? str(d.last_heartbeat) ?? String(e.id);
    const who = `${e.repo}: session ${session ?? "?"}${str(d.task_id) ? ` (task ${d.task_id})` : ""}`;
    if (d.state === "stuck") {
      const reason = str((d.stuck as Fields | null)?.reason) ?? "no reason given";
      return [{ ...base, kind: "stuck", key: `stuck:${session}:${str(d.first_seen)}:${since}`, text: `${who} is stuck: ${reason}` }];
    }
    if (d.state === "planning_complete") {
      return [{ ...base, kind: "plan_ready", key: `plan_ready:${session}:${str(d.first_seen)}:${since}`, text: `${who} has a plan ready for review: claude-coord approve ${session} | claude-coord reject ${session} --message <why>` }];
    }
    const pr = str(d.pr_url);
    if (d.state === "complete" && pr) {
      return [prReady(e.repo, session, who, pr, base)];
    }
    return [];
  }
  if (e.type === "claimed" || e.type === "completed") {
    const kind = e.type;
    const out: Notification[] = [{ ...base, kind, key: `${kind}:${String(d.fence)}`, text: `${e.repo}: session ${session ?? "?"} ${kind} task ${str(d.task_id) ?? "?"}` }];
    const pr = str(d.pr_url);
    if (kind === "completed" && pr) out.push(prReady(e.repo, session, `${e.repo}: session ${session ?? "?"} (task ${str(d.task_id) ?? "?"})`, pr, base));
    return out;
  }
  if (e.type === "message" && d.to === "human") {
    const from = str(d.from) ?? "?";
    return [{ ...base, kind: "message_to_human", key: `message:${String(d.id)}`, text: `${e.repo}: message from session ${from} to the human: ${str(d.subject) ?? ""}` }];
  }
  return [];
}

/** `pr_ready`, keyed by session and PR URL: a heartbeat reporting it and a `complete --pr` completion make one notification. */
function prReady(repo: string, session: string | null, who: string, pr: string, base: Omit<Notification, "kind" | "key" | "text">): Notification {
  return { ...base, repo, kind: "pr_ready", key: `pr_ready:${session}:${pr}`, url: pr, text: `${who} has a pull request ready: ${pr}` };
}

/**
 * A `stale` notification for a session silent past the stale interval (SPEC §7), keyed by its last
 * heartbeat so each silence notifies once.
 */
export function staleNotification(repo: string, view: SessionView, at: string): Notification {
  return {
    kind: "stale",
    key: `stale:${view.session}:${view.last_heartbeat}`,
    repo,
    session: view.session,
    url: null,
    data: { ...view },
    at,
    text: `${repo}: session ${view.session}${view.task_id ? ` (task ${view.task_id})` : ""} has sent no heartbeat since ${view.last_heartbeat} (its claim still holds)`,
  };
}

/** Retry timing, in ms (SPEC §13: the first retry within 5 s, then backing off to at most an hour, giving up after 24 h). */
export const RETRY = { first_ms: 1000, max_ms: 3_600_000, give_up_ms: 86_400_000 } as const;

/**
 * When the next attempt after `attempts` failed ones is due, or null to give up: 1 s after the
 * first failure, doubling per attempt up to an hour, never later than `created_ms + 24 h`.
 */
export function nextAttemptMs(attempts: number, created_ms: number, now_ms: number): number | null {
  const delay = Math.min(RETRY.first_ms * 2 ** Math.max(0, attempts - 1), RETRY.max_ms);
  const at = now_ms + delay;
  return at - created_ms > RETRY.give_up_ms ? null : at;
}
