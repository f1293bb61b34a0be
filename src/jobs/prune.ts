// The pruning job: forgets silent sessions, old messages and old events (retention from [jobs]).
import type { EventLog } from "../core/events.ts";
import type { MessageStore } from "../core/messages.ts";
import type { SessionStore } from "../core/sessions.ts";

/** How long each kind is kept, in ms. */
export interface Retention {
  session_retention_ms: number;
  message_retention_ms: number;
  event_retention_ms: number;
}

/**
 * Runs one prune at `now_ms`: sessions whose last heartbeat is older than the session retention,
 * messages older than the message retention (with their read marks), events older than the event
 * retention. Returns the counts; throws what the stores throw (the scheduler logs it).
 */
export async function runPrune(
  stores: { sessions: SessionStore; messages: MessageStore; events: EventLog },
  now_ms: number,
  r: Retention,
): Promise<{ sessions: number; messages: number; events: number }> {
  return {
    sessions: await stores.sessions.deleteSessionsBefore(now_ms - r.session_retention_ms),
    messages: await stores.messages.deleteMessagesBefore(now_ms - r.message_retention_ms),
    events: await stores.events.deleteEventsBefore(now_ms - r.event_retention_ms),
  };
}
