// The change log behind live views (SPEC §7 `GET /events`): claimed, completed, expired, heartbeat and message events.

/** The kinds of change a live view is told about. */
export type EventType = "claimed" | "completed" | "expired" | "heartbeat" | "message";

/** One logged change: `id` increases across the whole log, so a client resumes after the last id it saw. */
export interface EventRecord {
  id: number;
  repo: string;
  type: EventType;
  /** The changed thing as listings show it (never a full session id). */
  data: unknown;
  at_ms: number;
}

/** The event log: shared by every service process on one database. Times in epoch ms. */
export interface EventLog {
  /** Appends an event and returns its id. */
  append(repo: string, type: EventType, data: unknown, at_ms: number): Promise<number>;
  /** Events of `repo` with an id above `after_id`, oldest first, at most `limit`. */
  since(repo: string, after_id: number, limit: number): Promise<EventRecord[]>;
  /** The highest event id of the whole log (0 when empty): where a new subscriber starts. */
  latestId(): Promise<number>;
  /** Deletes events before `before_ms`; returns how many. */
  deleteEventsBefore(before_ms: number): Promise<number>;
}
