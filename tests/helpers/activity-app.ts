// The app of the session and message routes for HTTP tests: real SQLite stores, repo o/r at a fixed head, the admin token, a test clock and optional [limits].
import { createControlStore } from "../../src/storage/control-store.ts";
import { DEFAULT_POLICY } from "../../src/core/claims.ts";
import { DEFAULT_LIMITS, type Limits } from "../../src/core/limits.ts";
import { DEFAULT_SESSION_POLICY } from "../../src/core/sessions.ts";
import { type App, createApp } from "../../src/server/app.ts";
import type { RateLimitConfig } from "../../src/server/rate-limit.ts";
import { createEventLog, createMessageStore, createSessionStore } from "../../src/storage/activity-store.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import type { CoordDatabase } from "../../src/storage/db.ts";
import { FakeReader, whitelistEntry } from "./fake-reader.ts";

/** The head of main the fake reader reports, and the token for it. */
export const HEAD = "1".repeat(40);
export const TOKEN = new FakeReader(HEAD).token;

/** An app with every route of SPEC §3 and §7 over `db`, reading the time from `now`, with `limits` over the defaults and `rate_limits` (`[server]`) when given. */
export function activityApp(db: CoordDatabase, admin: string, now: () => number, limits: Partial<Limits> = {}, rate_limits?: RateLimitConfig): App {
  return createApp({
    ...(rate_limits ? { rate_limits } : {}),
    store: createClaimStore(db),
    repos: new Map([["o/r", whitelistEntry("o/r", new FakeReader(HEAD))]]),
    admin_tokens: [admin],
    policy: DEFAULT_POLICY,
    clock: now,
    version: "t",
    log: { info: () => {}, warn: () => {}, error: () => {} },
    limits: { ...DEFAULT_LIMITS, ...limits },
    activity: {
      sessions: createSessionStore(db),
      controls: createControlStore(db),
      messages: createMessageStore(db),
      events: createEventLog(db),
      session_policy: DEFAULT_SESSION_POLICY,
      stream: { poll_ms: 20, keepalive_ms: 1000 },
    },
  });
}

/** A request to `app` through `app.handle` (no socket): JSON `content-type`, `body` as JSON when given, `headers` added. */
export function handleJson(app: App, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return app.handle(new Request(`http://localhost${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }));
}

/** The status and the parsed JSON body (undefined when the body is empty) of `res`. */
export async function answerOf(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** `handleJson`, answered as `answerOf`: what the HTTP tests of the routes assert on. */
export async function callApp(app: App, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return answerOf(await handleJson(app, method, path, body, headers));
}
