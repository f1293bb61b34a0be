// What needs the human (SPEC §13): stuck, plan ready, PR ready and paused sessions, in that order, longest waiting first — shared by the dashboard and `watch`.

/** Why a session waits for the human, in the order views list them. */
export const NEED_KINDS = ["stuck", "plan_ready", "pr_ready", "paused"] as const;
export type NeedKind = (typeof NEED_KINDS)[number];

/** The fields of a listed session the rule reads (SPEC §7 `GET /sessions`). */
export interface NeedSession {
  session: string;
  state: string;
  pr_url: string | null;
  last_heartbeat: string;
  state_since?: string;
}

/** What `s` needs from the human, or null: stuck; planning_complete (plan ready); complete with a PR (PR ready); paused. */
export function needOf(s: NeedSession): NeedKind | null {
  if (s.state === "stuck") return "stuck";
  if (s.state === "planning_complete") return "plan_ready";
  if (s.state === "complete" && s.pr_url) return "pr_ready";
  if (s.state === "paused") return "paused";
  return null;
}

/** The sessions that need the human with their kind: by kind (stuck first), then longest in that state first. */
export function needsOf<S extends NeedSession>(sessions: readonly S[]): Array<{ s: S; kind: NeedKind; key: string }> {
  const since = (s: NeedSession) => Date.parse(s.state_since ?? s.last_heartbeat);
  return sessions
    .flatMap((s) => {
      const kind = needOf(s);
      return kind === null ? [] : [{ s, kind, key: `${kind}\u0000${s.session}\u0000${s.state_since ?? ""}` }];
    })
    .sort((a, b) => NEED_KINDS.indexOf(a.kind) - NEED_KINDS.indexOf(b.kind) || since(a.s) - since(b.s));
}

/** Time in state at `now_ms`, for people: `45 s`, `12 min`, `3 h 5 min`, `2 d`. */
export function timeInState(s: NeedSession, now_ms: number): string {
  const sec = Math.max(0, Math.round((now_ms - Date.parse(s.state_since ?? s.last_heartbeat)) / 1000));
  if (sec < 60) return `${sec} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min`;
  if (sec < 86_400) return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
  return `${Math.floor(sec / 86_400)} d`;
}
