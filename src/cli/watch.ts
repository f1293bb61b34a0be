// `claude-coord watch`: the human's live terminal view of sessions and claims, redrawn from the service's event stream.
import { defineCommand } from "citty";
import type { StreamEvent, StreamStatus } from "../api/client.ts";
import { isCoordError } from "../core/errors.ts";
import { toRfc3339 } from "../core/time.ts";
import { commonArgs } from "./args.ts";
import { type BoardState, loadBoardState, orderSessions, prFor, REASON_TEXT } from "./board.ts";
import { type ClientContext, loadContext } from "./context.ts";
import { asCoordError, cleanText, errorText, processTerminal } from "./output.ts";
import { adminToken, adminTokenArg, ago, parseTime, readAccess } from "./viewer.ts";
import { type NeedKind, needsOf, timeInState } from "../core/needs.ts";

/** How long a burst of events is gathered before one redraw, in ms. */
export const REDRAW_DEBOUNCE_MS = 100;
/** A full refresh this often even without events, so ages and stale flags stay current, in ms. */
export const REFRESH_MS = 30_000;
/** The wait before a watcher whose token went stale tries again, in ms. */
export const STALE_RETRY_MS = 5_000;

/** Text on one line: line breaks (and the blanks around them) become one space. */
const flat = (v: string): string => v.replace(/\s*\r?\n\s*/g, " ");

/** Lines of cells as aligned columns (two spaces apart, each cell on one line, trailing spaces trimmed). */
export function columns(rows: string[][]): string[] {
  const flatRows = rows.map((r) => r.map(flat));
  const widths: number[] = [];
  for (const r of flatRows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return flatRows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd());
}

const since = (ts: string, now_ms: number) => {
  const t = parseTime(ts);
  return Number.isNaN(t) ? ts : ago(t, now_ms);
};

/** What a frame says about an event it was drawn after. */
export function describeEvent(ev: StreamEvent): string {
  const d = (typeof ev.data === "object" && ev.data !== null ? ev.data : {}) as Record<string, unknown>;
  const s = (k: string) => (typeof d[k] === "string" ? (d[k] as string) : "?");
  switch (ev.type) {
    case "claimed":
      return `#${ev.id} ${s("session")} claimed ${s("task_id")}`;
    case "completed":
      return `#${ev.id} ${s("session")} completed ${s("task_id")}`;
    case "expired":
      return `#${ev.id} claim on ${s("task_id")} expired`;
    case "released":
      return `#${ev.id} ${s("session")} released ${s("task_id")}`;
    case "heartbeat":
      return `#${ev.id} ${s("session")} is ${s("state")}`;
    case "reserved":
      return `#${ev.id} ${s("session")} reserved ${Array.isArray(d.reservations) ? d.reservations.map((r) => String((r as { path?: unknown }).path)).join(", ") : "paths"}`;
    case "unreserved":
      return `#${ev.id} ${s("session")} released ${Array.isArray(d.paths) ? d.paths.map(String).join(", ") : "reservations"}`;
    case "message":
      // Read with a repo token the stream carries no subject (only recipients and the human read messages).
      return `#${ev.id} message from ${s("from")} to ${s("to")}${typeof d.subject === "string" ? `: ${d.subject}` : ""}`;
    default:
      return `#${ev.id} ${ev.type}`;
  }
}

/**
 * One frame of the view at `now_ms` (pure): a header with the repo, the time and `status`, the
 * sessions (stuck first with reason and options, stale ones marked, PR links), the active claims,
 * the recent completions, the live reservations (when there are any), the human's recent messages when read with the admin token, and the last
 * event seen.
 */
export function renderWatchFrame(state: BoardState, now_ms: number, status: string, last_event: StreamEvent | undefined): string {
  const sessions = orderSessions(state.sessions);
  const stuck = sessions.filter((s) => s.state === "stuck").length;
  const stale = sessions.filter((s) => s.stale).length;
  const out = [`claude-coord watch: ${state.repo} at ${toRfc3339(now_ms)} (${status})`, ""];
  out.push(...needsYouLines(sessions, now_ms), "");

  out.push(`SESSIONS: ${sessions.length} (${stuck} stuck, ${stale} stale)`);
  if (sessions.length === 0) out.push("  (none in the last 24 hours)");
  const rows: string[][] = [];
  const extra = new Map<number, string[]>();
  sessions.forEach((s, i) => {
    rows.push([
      s.state === "stuck" ? "!! STUCK" : s.stale ? `   ${s.state} (STALE)` : `   ${s.state}`,
      s.session,
      s.branch,
      s.task_id ?? "-",
      s.progress === null ? "-" : `${s.progress}%`,
      since(s.last_heartbeat, now_ms),
      s.pr_url ? `PR ${s.pr_url}` : (s.note ?? ""),
    ]);
    if (s.worktree) extra.set(i, [`worktree: ${flat(s.worktree)}`]);
    if (s.stuck) {
      const lines = [...(extra.get(i) ?? []), `reason: ${flat(s.stuck.reason)}`];
      if (s.stuck.context) lines.push(`context: ${flat(s.stuck.context)}`);
      if (s.stuck.options.length > 0) lines.push(`options: ${s.stuck.options.map((o, j) => `${j + 1}. ${flat(o)}`).join("  ")}`);
      lines.push(`answer: claude-coord send --to-session ${s.session} --subject <text> --body <decision>`);
      extra.set(i, lines);
    }
  });
  columns(rows).forEach((line, i) => {
    out.push(` ${line}`);
    for (const l of extra.get(i) ?? []) out.push(`        ${l}`);
  });

  out.push("", `ACTIVE CLAIMS: ${state.claims.active.length}`);
  if (state.claims.active.length === 0) out.push("  (none)");
  const active = [...state.claims.active].sort((a, b) => a.claimed_at.localeCompare(b.claimed_at));
  out.push(...columns(active.map((c) => [c.task_id, c.session, c.branch, `since ${since(c.claimed_at, now_ms)}`, `fence ${c.fence}`])).map((l) => `  ${l}`));

  const done = [...state.claims.recently_completed].sort((a, b) => b.completed_at.localeCompare(a.completed_at)).slice(0, 10);
  out.push("", `RECENTLY COMPLETED: ${state.claims.recently_completed.length}`);
  if (done.length === 0) out.push("  (none)");
  out.push(
    ...columns(done.map((c) => [c.task_id, c.session, REASON_TEXT[c.completion_reason], since(c.completed_at, now_ms), prFor(c, sessions) ?? ""])).map((l) => `  ${l}`),
  );

  const reserved = state.reservations ?? [];
  if (reserved.length > 0) {
    out.push("", `RESERVATIONS: ${reserved.length}`);
    out.push(...columns(reserved.map((r) => [r.path, r.session, r.exclusive ? "exclusive" : "shared", `until ${r.expires_at}`, flat(r.reason ?? "")])).map((l) => `  ${l}`));
  }

  if (state.messages_of === "human") {
    const recent = state.messages.slice(-5);
    out.push("", `RECENT MESSAGES: ${state.messages.length}`);
    if (recent.length === 0) out.push("  (none)");
    out.push(...columns(recent.map((m) => [`#${m.id}`, `${m.from} -> ${m.to}`, since(m.sent_at, now_ms), m.subject])).map((l) => `  ${l}`));
  }
  out.push("", `Last event: ${last_event ? describeEvent(last_event) : "(none yet)"}`);
  return out.join("\n");
}

const NEED_TEXT: Record<NeedKind, string> = { stuck: "STUCK", plan_ready: "PLAN READY", pr_ready: "PR READY", paused: "PAUSED" };

/** The frame's first section (SPEC §13): what needs the human, with time in state and the command that answers it. */
export function needsYouLines(sessions: BoardState["sessions"], now_ms: number): string[] {
  const needs = needsOf(sessions);
  const out = [`NEEDS YOU: ${needs.length}`];
  if (needs.length === 0) out.push("  (nothing)");
  const act: Record<NeedKind, (s: string) => string> = {
    stuck: (s) => `claude-coord send --to-session ${s} --subject <text> --body <decision>`,
    plan_ready: (s) => `claude-coord approve ${s} | claude-coord reject ${s} --message <why>`,
    pr_ready: () => "",
    paused: (s) => `claude-coord resume ${s}`,
  };
  out.push(
    ...columns(needs.map(({ s, kind }) => [`!! ${NEED_TEXT[kind]}`, s.session, s.task_id ?? "-", `for ${timeInState(s, now_ms)}`, kind === "pr_ready" ? (s.pr_url ?? "") : act[kind](s.session)])).map((l) => ` ${l}`),
  );
  return out;
}

/** The needs in `state` that `seen` did not have (none on the first frame, when `seen` is null), and the keys to remember. */
export function newNeeds(seen: ReadonlySet<string> | null, state: BoardState): { fresh: number; keys: Set<string> } {
  const keys = new Set(needsOf(state.sessions).map((n) => n.key));
  return { fresh: seen === null ? 0 : [...keys].filter((k) => !seen.has(k)).length, keys };
}

/** The status a frame shows for the event stream's state. */
function streamStatus(s: StreamStatus): string {
  if (s.connected) return "live; Ctrl-C to quit";
  return `reconnecting in ${(s.retry_in_ms / 1000).toFixed(1)} s, attempt ${s.attempt}: ${String(s.error.details.reason ?? s.error.message)}`;
}

/** Resolves after `ms` or when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/** One moment of the view: the state, when it was drawn, the stream's status, the last event, and a problem with the last refresh. */
export interface WatchFrame {
  state: BoardState;
  now_ms: number;
  status: string;
  last_event: StreamEvent | undefined;
  /** The error text of a failed refresh (the state shown is then the last one read). */
  problem: string | undefined;
}

/** A frame as the text of `renderWatchFrame`, with the problem (if any) below it. */
export function frameText(f: WatchFrame): string {
  const text = renderWatchFrame(f.state, f.now_ms, f.status, f.last_event);
  return f.problem ? `${text}\n\n${f.problem}` : text;
}

/** A frame as one JSON document (`--json`): the state as `board --json` prints it, plus the stream's status and the last event. */
export function frameJson(f: WatchFrame): string {
  return JSON.stringify({ generated_at: toRfc3339(f.now_ms), status: f.status, last_event: f.last_event ?? null, problem: f.problem ?? null, ...f.state });
}

/**
 * Runs the live view until `signal` aborts: emits a frame, then one more (re-reading the state)
 * after each burst of events, on every (re)connection and every `REFRESH_MS`. The first read's
 * failure is thrown (exit code of its error); later failures are shown in the frame. A stale token
 * (main moved) is shown and retried every `STALE_RETRY_MS` with a recomputed token; any other
 * refusal of the stream is thrown.
 */
export async function runWatch(ctx: ClientContext, admin: string | undefined, signal: AbortSignal, emit: (f: WatchFrame) => void): Promise<void> {
  let state = await loadBoardState(ctx, admin, undefined);
  let status = "connecting";
  let problem: string | undefined;
  let last: StreamEvent | undefined;
  const draw = () => {
    if (!signal.aborted) emit({ state, now_ms: Date.now(), status, last_event: last, problem });
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy = false;
  let again = false;
  const refresh = async () => {
    timer = undefined;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    state = await loadBoardState(ctx, admin, undefined).then(
      (s) => {
        problem = undefined;
        return s;
      },
      (e: unknown) => {
        problem = errorText(asCoordError(e), "watch");
        return state;
      },
    );
    busy = false;
    draw();
    if (again) {
      again = false;
      request();
    }
  };
  const request = () => {
    if (!signal.aborted) timer ??= setTimeout(() => void refresh(), REDRAW_DEBOUNCE_MS);
  };
  const periodic = setInterval(request, REFRESH_MS);
  draw();
  try {
    while (!signal.aborted) {
      const stream = ctx.client.events(async () => (await readAccess(ctx, admin)).auth, {
        signal,
        on_status: (s) => {
          status = streamStatus(s);
          if (s.connected) request();
          else draw();
        },
      });
      try {
        for await (const ev of stream) {
          last = ev;
          request();
        }
      } catch (e) {
        if (signal.aborted) break;
        if (!isCoordError(e, "stale_token")) throw e;
        status = `refused (stale token), retrying in ${STALE_RETRY_MS / 1000} s`;
        problem = errorText(e, "watch");
        draw();
        await sleep(STALE_RETRY_MS, signal);
      }
    }
  } finally {
    clearInterval(periodic);
    clearTimeout(timer);
  }
}

export default defineCommand({
  meta: { name: "watch", description: "Live view of sessions and claims for the human, redrawn on every change (--once: one frame)" },
  args: {
    once: { type: "boolean", description: "print one frame and exit" },
    ...commonArgs,
    ...adminTokenArg,
  },
  async run({ args }) {
    const json = args.json === true;
    const ctx = await loadContext(args);
    const admin = adminToken(args["admin-token"]);
    if (args.once === true) {
      const frame: WatchFrame = { state: await loadBoardState(ctx, admin, undefined), now_ms: Date.now(), status: "one frame: --once", last_event: undefined, problem: undefined };
      processTerminal.out(json ? frameJson(frame) : cleanText(frameText(frame)));
      return 0;
    }
    const tty = process.stdout.isTTY === true && !json;
    // On a terminal each frame replaces the last (cut to its width); piped, frames follow each other a blank line apart; --json: one document per line.
    // A new item in NEEDS YOU rings the terminal bell (BEL) once.
    let seen: Set<string> | null = null;
    const emit = (f: WatchFrame) => {
      const { fresh, keys } = newNeeds(seen, f.state);
      seen = keys;
      if (json) return processTerminal.out(frameJson(f));
      if (fresh > 0) process.stdout.write("\x07");
      const w = tty ? (process.stdout.columns ?? 0) : 0;
      const text = frameText(f);
      const fitted = w > 0 ? text.split("\n").map((l) => (l.length > w ? `${l.slice(0, w - 1)}…` : l)).join("\n") : text;
      // The one escape sequence the CLI writes itself: home and clear, before the cleaned frame.
      processTerminal.out(tty ? `\x1b[H\x1b[2J${cleanText(fitted)}` : `${cleanText(fitted)}\n\n`);
    };
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    try {
      await runWatch(ctx, admin, ctl.signal, emit);
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    return 0;
  },
});
