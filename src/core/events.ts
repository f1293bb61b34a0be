// The change log behind live views (SPEC §7 `GET /events`): claimed, completed, expired, released, heartbeat and message events.

/** The kinds of change a live view is told about. */
export type EventType = "claimed" | "completed" | "expired" | "released" | "heartbeat" | "message" | "reserved" | "unreserved";

/** One logged change: `id` increases across the whole log, so a client resumes after the last id it saw. */
export interface EventRecord {
  id: number;
  repo: string;
  type: EventType;
  /** The changed thing as listings show it (never a full session id). */
  data: unknown;
  at_ms: number;
}

/** Appending to the log inside a store transaction (src/core/store.ts `ClaimTx`). */
export interface EventTx {
  /**
   * Logs a change for live views (SPEC §7 `GET /events`) in the same transaction, so that an
   * event exists exactly when its change was committed (and costs no second commit).
   */
  appendEvent(repo: string, type: EventType, data: unknown, at_ms: number): Promise<void>;
}

/**
 * The event log's reads and pruning: shared by every service process on one database. Times in
 * epoch ms. Events are only appended by a use case's transaction (`EventTx`).
 */
export interface EventLog {
  /** Events of every repo with an id above `after_id`, oldest first, at most `limit` (the process's one event reader). */
  sinceAll(after_id: number, limit: number): Promise<EventRecord[]>;
  /** Events of `repo` with an id above `after_id`, oldest first, at most `limit`. */
  since(repo: string, after_id: number, limit: number): Promise<EventRecord[]>;
  /** The highest event id of the whole log (0 when empty): where a new subscriber starts. */
  latestId(): Promise<number>;
  /** Deletes events before `before_ms`; returns how many. */
  deleteEventsBefore(before_ms: number): Promise<number>;
}
