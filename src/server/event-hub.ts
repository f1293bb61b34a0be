// The process's one event reader: reads the event log once for every open /events stream and fans each event out to the streams of its repo, on both backends.
import type { EventLog, EventRecord } from "../core/events.ts";

/** Events read per query. */
const BATCH = 500;

/** One open stream's registration. */
interface Subscriber {
  repo: string;
  /** The last event id this subscriber got (or resumed after). */
  last: number;
  /** False until it has read its backlog (events between its resume point and the hub's position) itself. */
  ready: boolean;
  deliver: (e: EventRecord) => void;
}

/** The event reader of one process. */
export interface EventHub {
  /**
   * Registers a stream of `repo` resuming after event `after_id`: `deliver` gets every event of
   * `repo` with a larger id, once each and in id order (first its backlog from the log, then live
   * events). Returns the function that unregisters it.
   */
  subscribe(repo: string, after_id: number, deliver: (e: EventRecord) => void): () => void;
  /** Reads the log now (a NOTIFY said something committed) instead of waiting for the next poll. */
  wake(): void;
  /** How many streams are registered. */
  readonly size: number;
  /** Stops polling; registered streams get nothing more. */
  close(): void;
}

/**
 * Creates the reader over `log`. While at least one stream is registered it reads
 * `log.sinceAll(position)` every `poll_ms` (and at once on `wake()`), so 1,000 idle streams cost
 * one query per poll instead of 1,000 (measured in scripts/bench.ts). Reads never overlap: one
 * pump runs at a time, and a new stream's backlog is read inside the pump, before live events, so
 * a stream never misses or repeats an event. This is sound because event ids are handed out in
 * commit order on both backends (SQLite: one writer; PostgreSQL: ids assigned under the counter
 * row lock): once id N is visible, no smaller id can still appear. A failing read (the database
 * is down) is retried at the next poll; `onError` hears about it.
 */
export function createEventHub(log: EventLog, poll_ms: number, onError: (e: unknown) => void = () => undefined): EventHub {
  const subs = new Set<Subscriber>();
  let position: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const dispatch = (e: EventRecord) => {
    for (const s of subs) {
      if (!s.ready || s.repo !== e.repo || e.id <= s.last) continue;
      s.last = e.id;
      try {
        s.deliver(e);
      } catch {
        subs.delete(s);
      }
    }
  };

  const catchUp = async (s: Subscriber, upTo: number) => {
    while (subs.has(s) && s.last < upTo) {
      const batch = await log.since(s.repo, s.last, BATCH);
      for (const e of batch) {
        if (e.id > upTo) break;
        s.last = e.id;
        s.deliver(e);
      }
      if (batch.length < BATCH || batch[batch.length - 1]!.id >= upTo) break;
    }
    s.last = Math.max(s.last, upTo);
    s.ready = true;
  };

  const pumpOnce = async () => {
    position ??= await log.latestId();
    for (const s of subs) if (!s.ready) await catchUp(s, position);
    for (;;) {
      const batch = await log.sinceAll(position, BATCH);
      for (const e of batch) {
        position = e.id;
        dispatch(e);
      }
      if (batch.length < BATCH || closed) break;
    }
  };

  const pump = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = pumpOnce()
      .catch(onError)
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          pump();
        }
      });
  };

  const ensureTimer = () => {
    if (timer === undefined && !closed) timer = setInterval(pump, poll_ms);
  };

  return {
    subscribe(repo, after_id, deliver) {
      const s: Subscriber = { repo, last: after_id, ready: false, deliver };
      subs.add(s);
      ensureTimer();
      pump();
      return () => {
        subs.delete(s);
        if (subs.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
          // The next first stream starts from the log's newest id again, without a backlog scan of what nobody watched.
          position = undefined;
        }
      };
    },
    wake() {
      if (subs.size > 0) pump();
    },
    get size() {
      return subs.size;
    },
    close() {
      closed = true;
      clearInterval(timer);
      timer = undefined;
      subs.clear();
    },
  };
}
