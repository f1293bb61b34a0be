// In-process counters behind the per-client bounds of SPEC §16: new sessions per IP per hour and open /events streams per IP and per session.
import { HOUR_MS, type Limits, rateLimited } from "../core/limits.ts";

/** How many client IPs the new-session windows remember at most; the oldest is forgotten first. */
const MAX_TRACKED_IPS = 10_000;

/** The counters of one service process (several replicas each count their own clients). */
export interface Limiter {
  /**
   * Checks that `ip` may start a new session at `now_ms`. Throws CoordError `rate_limited` (limit
   * `new_sessions_per_ip_per_hour`, Retry-After when the oldest start in the hour leaves it) when
   * the IP started that many in the last hour. Counts nothing: `recordNewSession` does, once the
   * request that started it succeeded (a refused claim starts no session).
   */
  checkNewSession(ip: string, now_ms: number): void;
  /** Counts a session started from `ip` at `now_ms`. */
  recordNewSession(ip: string, now_ms: number): void;
  /**
   * Opens an `/events` stream for `ip` (and `session` when the subscriber named one). Throws
   * CoordError `rate_limited` (limit `event_streams_per_ip` or `event_streams_per_session`) when
   * that many are open. Returns the function that releases it (idempotent), to call when it closes.
   */
  openStream(ip: string, session: string | undefined): () => void;
  /** Open streams now, per IP (for tests and metrics). */
  openStreams(ip: string): number;
}

/**
 * `times` (ascending start times in ms, as recordNewSession appends them) without those an hour or
 * more before `now_ms`, removed in place from the front: the cost is what expired, not the list.
 */
function unexpired(times: number[], now_ms: number): number[] {
  let k = 0;
  while (k < times.length && times[k]! <= now_ms - HOUR_MS) k++;
  if (k > 0) times.splice(0, k);
  return times;
}

/** The counters for `limits`. */
export function createLimiter(limits: Limits): Limiter {
  const starts = new Map<string, number[]>();
  const byIp = new Map<string, number>();
  const bySession = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, d: number) => {
    const n = (m.get(k) ?? 0) + d;
    if (n <= 0) m.delete(k);
    else m.set(k, n);
  };
  return {
    checkNewSession(ip, now_ms) {
      const recent = unexpired(starts.get(ip) ?? [], now_ms);
      const max = limits.new_sessions_per_ip_per_hour;
      if (recent.length >= max) {
        throw rateLimited("new_sessions_per_ip_per_hour", max, (recent[0]! + HOUR_MS - now_ms) / 1000, `This client started ${recent.length} new sessions in the last hour`);
      }
    },
    recordNewSession(ip, now_ms) {
      const recent = unexpired(starts.get(ip) ?? [], now_ms);
      recent.push(now_ms);
      starts.delete(ip);
      starts.set(ip, recent);
      if (starts.size > MAX_TRACKED_IPS) starts.delete(starts.keys().next().value!);
    },
    openStream(ip, session) {
      if ((byIp.get(ip) ?? 0) >= limits.event_streams_per_ip) {
        throw rateLimited("event_streams_per_ip", limits.event_streams_per_ip, 30, `This client has ${limits.event_streams_per_ip} event streams open`);
      }
      if (session !== undefined && (bySession.get(session) ?? 0) >= limits.event_streams_per_session) {
        throw rateLimited("event_streams_per_session", limits.event_streams_per_session, 30, `This session has ${limits.event_streams_per_session} event streams open`);
      }
      add(byIp, ip, 1);
      if (session !== undefined) add(bySession, session, 1);
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        add(byIp, ip, -1);
        if (session !== undefined) add(bySession, session, -1);
      };
    },
    openStreams(ip) {
      return byIp.get(ip) ?? 0;
    },
  };
}
