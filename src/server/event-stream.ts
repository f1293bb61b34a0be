// Server-sent events (SPEC §7 GET /events): a repo's events streamed live from the process's event reader, resumable with Last-Event-ID.
import type { EventLog, EventRecord } from "../core/events.ts";
import type { EventHub } from "./event-hub.ts";

/** Stream timing, in ms. */
export interface StreamTiming {
  /** How often the process's event reader reads the log for new events (every service process on the database writes to it). Default 250. */
  poll_ms: number;
  /** How often a comment line keeps the connection open (Bun closes idle connections after 10 s). Default 5000. */
  keepalive_ms: number;
}

/** Default timing: events reach subscribers within about a quarter of a second. */
export const DEFAULT_STREAM_TIMING: StreamTiming = { poll_ms: 250, keepalive_ms: 5000 };

/**
 * The id a subscriber resumes after: `Last-Event-ID` (header, as EventSource sends it on reconnect,
 * or the `last_event_id` query parameter), else the log's newest id (new subscribers get only new
 * events). A value that is not a non-negative integer counts as absent.
 */
export async function resumeAfter(header: string | null, query: string | undefined, log: EventLog): Promise<number> {
  for (const v of [header, query]) {
    if (v !== null && v !== undefined && /^\d{1,15}$/.test(v.trim())) return Number(v.trim());
  }
  return log.latestId();
}

/**
 * A `text/event-stream` response of `repo`'s events after `after_id`, fed by the process's event
 * reader `hub`: each event as `id: <id>`, `event: <type>`, `data: <json>` (SPEC §7: claimed,
 * completed, expired, heartbeat, message), comment keep-alives every `timing.keepalive_ms`, and
 * `retry: 2000`. It ends when `signal` aborts (the client left). `view` turns an event into what
 * this subscriber may see (default: all of it; it may be async, events still go out in id order);
 * `on_close` runs once when the stream ends, however it ends.
 */
export function eventStream(
  hub: EventHub,
  repo: string,
  after_id: number,
  signal: AbortSignal,
  timing: StreamTiming = DEFAULT_STREAM_TIMING,
  view: (e: EventRecord) => unknown | Promise<unknown> = (e) => e.data,
  on_close: () => void = () => {},
): Response {
  const enc = new TextEncoder();
  let keep: ReturnType<typeof setInterval> | undefined;
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  const stop = () => {
    if (!closed) on_close();
    closed = true;
    clearInterval(keep);
    unsubscribe?.();
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(enc.encode(text));
        } catch {
          stop();
        }
      };
      send("retry: 2000\n: connected\n\n");
      // One chain: an async view must not let a later event overtake an earlier one.
      let chain: Promise<void> = Promise.resolve();
      unsubscribe = hub.subscribe(repo, after_id, (e) => {
        chain = chain.then(async () => send(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(await view(e))}\n\n`)).catch(() => stop());
      });
      keep = setInterval(() => send(": keep-alive\n\n"), timing.keepalive_ms);
      signal.addEventListener("abort", () => {
        if (closed) return;
        stop();
        try {
          controller.close();
        } catch {
          // Already closed by the runtime.
        }
      });
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" },
  });
}
