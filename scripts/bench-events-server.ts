// Benchmark helper (not a test): a service app in this process with /events fed either by one event reader for the process or by one reader per stream (how streams were fed before), for scripts/bench.ts's idle-stream CPU rows.
// Usage: bun scripts/bench-events-server.ts <single|per-stream> <database>   (prints "listening on <url>")
import type { EventRecord } from "../src/core/events.ts";
import { DEFAULT_POLICY } from "../src/core/claims.ts";
import { createApp } from "../src/server/app.ts";
import { createEventHub, type EventHub } from "../src/server/event-hub.ts";
import { DEFAULT_STREAM_TIMING } from "../src/server/event-stream.ts";
import { DEFAULT_SESSION_POLICY } from "../src/core/sessions.ts";
import { openStorage } from "../src/storage/storage.ts";

/** The admin token the benchmark's streams authenticate with. */
export const BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";

/** A hub that gives every stream its own reader: each stream polls the log by itself. */
function perStreamHub(make: () => EventHub): EventHub {
  const hubs = new Set<EventHub>();
  return {
    subscribe(repo: string, after_id: number, deliver: (e: EventRecord) => void) {
      const hub = make();
      hubs.add(hub);
      const off = hub.subscribe(repo, after_id, deliver);
      return () => {
        off();
        hub.close();
        hubs.delete(hub);
      };
    },
    wake() {
      for (const h of hubs) h.wake();
    },
    get size() {
      return hubs.size;
    },
    close() {
      for (const h of hubs) h.close();
    },
  };
}

if (import.meta.main) {
  const [mode, database] = process.argv.slice(2);
  if ((mode !== "single" && mode !== "per-stream") || !database) throw new Error("usage: bench-events-server.ts <single|per-stream> <database>");
  const storage = await openStorage(database);
  const make = () => createEventHub(storage.events, DEFAULT_STREAM_TIMING.poll_ms);
  const hub = mode === "single" ? make() : perStreamHub(make);
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
