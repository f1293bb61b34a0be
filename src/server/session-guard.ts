// Admitting a session id on the routes that make a session known (claim, heartbeat, send): the client's IP and the Admission the core use case checks in its transaction (SPEC §16).
import type { Admission } from "../core/session-id.ts";
import type { Limiter } from "./limiter.ts";

/**
 * The admission of a session id from client `ip` (core's `admitSession`, run inside the use case's
 * transaction): live means seen within `listed_ms` or holding a claim younger than `claim_ttl_ms`;
 * a session that is not live yet must fit `new_sessions_per_ip_per_hour` of `limiter`. Call
 * `done()` after the use case succeeded: only then is the new session counted.
 */
export function admissionFor(limiter: Limiter, ip: string, windows: { listed_ms: number; claim_ttl_ms: number }): { admission: Admission; done: () => void } {
  let started: number | undefined;
  return {
    admission: {
      ...windows,
      on_new_session: (now_ms) => {
        limiter.checkNewSession(ip, now_ms);
        started = now_ms;
      },
    },
    done: () => {
      if (started !== undefined) limiter.recordNewSession(ip, started);
    },
  };
}
