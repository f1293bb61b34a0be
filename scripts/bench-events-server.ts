// Benchmark helper (not a test): a service app in this process with /events fed either by one event reader for the process or by each stream polling the log itself (how streams were fed before), for scripts/bench-postgres.ts's idle-stream CPU rows.
// Usage: bun scripts/bench-events-server.ts <single|per-stream> <database>   (prints "listening on <url>")
import type { EventLog, EventRecord } from "../src/core/events.ts";
import { DEFAULT_POLICY } from "../src/core/claims.ts";
import { DEFAULT_LIMITS } from "../src/core/limits.ts";
import { createApp } from "../src/server/app.ts";
import { createEventHub, type EventHub } from "../src/server/event-hub.ts";
import { DEFAULT_STREAM_TIMING } from "../src/server/event-stream.ts";
import { DEFAULT_SESSION_POLICY } from "../src/core/sessions.ts";
import { openStorage } from "../src/storage/storage.ts";

/** The admin token the benchmark's streams authenticate with. */
export const BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";

/**
 * The baseline: how streams were fed before the single reader (the per-stream polling that
 * src/server/event-stream.ts did until the event hub replaced it), behind the hub's interface. Every
 * stream reads `log.since(repo, last, 500)` itself every `poll_ms` (once at once), one read at a
 * time per stream, and delivers what it read.
 */
export function perStreamHub(log: EventLog, poll_ms: number): EventHub {
  const stops = new Set<() => void>();
  return {
    subscribe(repo: string, after_id: number, deliver: (e: EventRecord) => void) {
      let last = after_id;
      let draining = false;
      let closed = false;
      const drain = async () => {
        if (draining || closed) return;
        draining = true;
        try {
          for (;;) {
            const batch = await log.since(repo, last, 500);
            for (const e of batch) {
              if (closed) return;
              last = e.id;
              deliver(e);
            }
            if (batch.length < 500 || closed) return;
          }
        } catch {
          // The old stream stopped on a failed read; the benchmark keeps polling.
        } finally {
          draining = false;
        }
      };
      void drain();
      const poll = setInterval(() => void drain(), poll_ms);
      const stop = () => {
        closed = true;
        clearInterval(poll);
        stops.delete(stop);
      };
      stops.add(stop);
      return stop;
    },
    wake() {},
    get size() {
      return stops.size;
    },
    close() {
      for (const stop of [...stops]) stop();
    },
  };
}

if (import.meta.main) {
  const [mode, database] = process.argv.slice(2);
  if ((mode !== "single" && mode !== "per-stream") || !database) throw new Error("usage: bench-events-server.ts <single|per-stream> <database>");
  const storage = await openStorage(database);
  const poll_ms = DEFAULT_STREAM_TIMING.poll_ms;
  const hub = mode === "single" ? createEventHub(storage.events, poll_ms) : perStreamHub(storage.events, poll_ms);
  const reader = {
    async current(): Promise<never> {
      throw new Error("the benchmark authenticates with the admin token only");
    },
  };
  const app = createApp({
    store: storage.claims,
    repos: new Map([["acme/bench", { name: "acme/bench", reader } as never]]),
    admin_tokens: [BENCH_ADMIN_TOKEN],
    policy: DEFAULT_POLICY,
    clock: Date.now,
    version: "bench",
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    // All the benchmark's streams come from 127.0.0.1: lift the per-IP bound of SPEC §16 (16 by default, `[limits] event_streams_per_ip`).
    limits: { ...DEFAULT_LIMITS, event_streams_per_ip: 1_000_000 },
    activity: {
      sessions: storage.sessions,
      controls: storage.controls,
      messages: storage.messages,
      events: storage.events,
      session_policy: { stale_ms: 30 * 60_000, listed_ms: DEFAULT_SESSION_POLICY.listed_ms },
      stream: DEFAULT_STREAM_TIMING,
      hub,
    },
  });
  app.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`listening on http://127.0.0.1:${app.server!.port}`);
}
