// The notification loop (SPEC §13): turns the event log into deliveries for each `[[notify]]` target and sends them with retries, once per target across restarts and processes.
import type { EventLog } from "../core/events.ts";
import { type Notification, notificationsOf, type NotifyEvent, nextAttemptMs, staleNotification } from "../core/notify.ts";
import { listSessionViews, type SessionPolicy, type SessionStore } from "../core/sessions.ts";
import type { Clock } from "../core/time.ts";
import { toRfc3339 } from "../core/time.ts";
import type { NotifyStore } from "../storage/notify-store.ts";
import { type NotifyFormat, renderNotification } from "./notify-formats.ts";

/** One `[[notify]]` entry of the service config, resolved. */
export interface NotifyTarget {
  url: string;
  format: NotifyFormat;
  events: readonly NotifyEvent[];
  /** Only these repos (configured names); undefined: every repo. */
  repos?: readonly string[];
  /** `json` only: the Standard Webhooks secret (`whsec_` + base64). Never logged. */
  secret?: string;
}

/** Logging the notifier needs. */
export interface NotifyLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/** What the notifier reads and writes. */
export interface NotifierDeps {
  targets: readonly NotifyTarget[];
  repos: readonly string[];
  events: EventLog;
  sessions: SessionStore;
  session_policy: SessionPolicy;
  store: NotifyStore;
  /** Where a repo without a cursor starts: the log's newest id when the service started (history is not replayed; what happens after start is). */
  start_after_id: number;
  clock: Clock;
  log: NotifyLogger;
  /** Per-request timeout in ms (default 10 000). */
  timeout_ms?: number;
  /** Told about each attempt: `delivered` (2xx) or `failed` (counted by GET /metrics). */
  on_attempt?: (outcome: "delivered" | "failed") => void;
}

/** How a target is named in the store and in logs: its position and format, never its URL (a Slack or Discord URL is a secret). */
export function targetName(i: number, t: NotifyTarget): string {
  return `notify[${i}] (${t.format})`;
}

const LEASE_MS = 60_000;
const BATCH = 500;

function wants(t: NotifyTarget, n: Notification): boolean {
  return t.events.includes(n.kind) && (t.repos === undefined || t.repos.some((r) => r.toLowerCase() === n.repo.toLowerCase()));
}

/**
 * One pass: (1) for each repo, the events after its cursor become deliveries for every target that
 * wants them (a repo without a cursor starts at `start_after_id`), plus `stale`
 * notifications for silent sessions; (2) the due deliveries are claimed and sent; a 2xx answer marks
 * one delivered, anything else schedules a retry (`nextAttemptMs`) or gives up after 24 h.
 * Returns how many were sent successfully. Logs target names and status codes only.
 */
export async function runNotifier(deps: NotifierDeps): Promise<number> {
  const { targets, store, clock, log } = deps;
  if (targets.length === 0) return 0;
  for (const repo of deps.repos) {
    let after: number = await store.cursor(repo, deps.start_after_id);
    for (;;) {
      const batch = await deps.events.since(repo, after, BATCH);
      const notes = batch.flatMap((e) => notificationsOf(e, toRfc3339(e.at_ms)));
      if (targets.some((t) => t.events.includes("stale"))) {
        const now = clock();
        const views = listSessionViews(await deps.sessions.listSessions(repo, now - deps.session_policy.listed_ms), now, deps.session_policy);
        for (const v of views) if (v.stale) notes.push(staleNotification(repo, v, toRfc3339(now)));
      }
      const rows = notes.flatMap((n) =>
        targets.flatMap((t, i) => (wants(t, n) ? [{ target: targetName(i, t), key: n.key, repo, kind: n.kind, payload: JSON.stringify(n) }] : [])),
      );
      const last: number = batch.length > 0 ? batch[batch.length - 1]!.id : after;
      if (rows.length > 0 || last !== after) await store.enqueue(repo, rows, last, clock());
      after = last;
      if (batch.length < BATCH) break;
    }
  }
  const now = clock();
  const due = await store.claimDue(now, now + LEASE_MS, 20);
  const byName = new Map(targets.map((t, i) => [targetName(i, t), t]));
  const results = await Promise.all(
    due.map(async (d) => {
      const t = byName.get(d.target);
      if (!t) {
        await store.failed(d.id, "the target is no longer configured", null, clock());
        return false;
      }
      const n = JSON.parse(d.payload) as Notification;
      let problem: string;
      try {
        const req = renderNotification(t.format, n, { target: d.target, secret: t.secret, now: new Date(clock()) });
        const res = await fetch(t.url, { method: "POST", headers: req.headers, body: req.body, signal: AbortSignal.timeout(deps.timeout_ms ?? 10_000), redirect: "manual" });
        await res.body?.cancel().catch(() => {});
        if (res.ok) {
          await store.delivered(d.id, clock());
          deps.on_attempt?.("delivered");
          log.info(`notify: ${n.kind} for ${n.repo}${n.session ? ` session ${n.session}` : ""} delivered to ${d.target}`);
          return true;
        }
        problem = `HTTP ${res.status}`;
      } catch (e) {
        problem = e instanceof Error ? e.name : "error";
      }
      const next = nextAttemptMs(d.attempts + 1, d.created_ms, clock());
      await store.failed(d.id, problem, next, clock());
      deps.on_attempt?.("failed");
      log.warn(`notify: ${n.kind} for ${n.repo}${n.session ? ` session ${n.session}` : ""} to ${d.target} failed (${problem}, attempt ${d.attempts + 1}); ${next === null ? "giving up after 24 h" : `retry in ${Math.round((next - clock()) / 1000)} s`}`);
      return false;
    }),
  );
  return results.filter(Boolean).length;
}

/** A running notification loop; `stop` ends it after the current pass. */
export interface NotifierHandle {
  stop(): Promise<void>;
}

/**
 * Runs `runNotifier` every `interval_ms` (default 500), one pass at a time; a failing pass is
 * logged and the loop goes on. Nothing runs without targets. Every process on one database (every
 * replica on PostgreSQL) runs its own loop: the store keeps one row per (target, key) and lets one
 * claimer win each lease, so passes overlapping across processes send nothing twice.
 */
export function startNotifier(deps: NotifierDeps, interval_ms = 500): NotifierHandle {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped || deps.targets.length === 0) return;
    running = running.then(() =>
      stopped ? 0 : runNotifier(deps).catch((e: unknown) => deps.log.warn(`notify: a pass failed (${e instanceof Error ? e.message : String(e)})`)),
    );
  }, interval_ms);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
