// `claude-coord board`: the whole coordination state as Markdown (the seed's STATUS_BOARD.md), rendered by a pure function of the state and a time.
import { defineCommand } from "citty";
import type { Reservation } from "../api/reservations.ts";
import type { ClaimsResponse, InboxResponse, SessionsResponse } from "../api/schemas.ts";
import { CoordError } from "../core/errors.ts";
import { toRfc3339 } from "../core/time.ts";
import { commonArgs } from "./args.ts";
import { type ClientContext, loadContext } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";
import { adminToken, adminTokenArg, ago, knownSession, parseTime, readAccess } from "./viewer.ts";

type SessionView = SessionsResponse["sessions"][number];
type MessageView = InboxResponse["messages"][number];

/** Everything a board or a watch frame shows, as the service answered it. */
export interface BoardState {
  repo: string;
  /** Main's head the repo token was computed at; null when read with the admin token. */
  head_sha: string | null;
  /** Whose messages `messages` are: a session's inbox (its 8-character prefix), the human's view of the repo, or none (null). */
  messages_of: { session: string } | "human" | null;
  claims: ClaimsResponse;
  sessions: SessionView[];
  messages: MessageView[];
  /** Live reservations (SPEC §11); shown when there are any. */
  reservations?: Reservation[];
}

/**
 * Reads the state with one request per part, in parallel: claims, sessions, and messages — the
 * human's view with `admin_token`, else `session_id`'s inbox when given, else none.
 */
export async function loadBoardState(ctx: ClientContext, admin_token: string | undefined, session_id: string | undefined): Promise<BoardState> {
  const { auth, repo, head_sha } = await readAccess(ctx, admin_token);
  const messages_of: BoardState["messages_of"] = admin_token !== undefined ? "human" : session_id !== undefined ? { session: session_id.slice(0, 8) } : null;
  const [claims, sessions, inbox, reservations] = await Promise.all([
    ctx.client.claims(auth),
    ctx.client.sessions(auth),
    messages_of === null ? Promise.resolve({ messages: [] }) : ctx.client.inbox(auth, admin_token !== undefined ? undefined : session_id),
    ctx.client.reservations(auth),
  ]);
  return { repo, head_sha, messages_of, claims, sessions: sessions.sessions, messages: inbox.messages, reservations: reservations.reservations };
}

/** Sessions in display order: stuck first, then live before stale, then the latest heartbeat first. */
export function orderSessions(sessions: readonly SessionView[]): SessionView[] {
  return [...sessions].sort(
    (a, b) =>
      Number(b.state === "stuck") - Number(a.state === "stuck") ||
      Number(a.stale) - Number(b.stale) ||
      b.last_heartbeat.localeCompare(a.last_heartbeat) ||
      a.session.localeCompare(b.session),
  );
}

/** The PR link of a completed claim: the one its completion named (`complete --pr`), else the pr_url of the same session's heartbeat for that task (or branch). */
export function prFor(c: { session: string; task_id: string; branch: string; pr_url?: string | null }, sessions: readonly SessionView[]): string | null {
  if (c.pr_url) return c.pr_url;
  const s = sessions.find((x) => x.session === c.session && x.pr_url !== null && (x.task_id === c.task_id || x.branch === c.branch));
  return s?.pr_url ?? null;
}

/** How a claim ended, in words. */
export const REASON_TEXT: Record<ClaimsResponse["recently_completed"][number]["completion_reason"], string> = {
  client_completed: "completed",
  admin_expired: "expired by an operator",
  branch_removed: "branch removed",
  released: "released by its session",
};

const cell = (v: string | number | null | undefined): string => (v === null || v === undefined || v === "" ? "—" : String(v).replace(/\|/g, "\\|").replace(/\r?\n/g, " "));
const code = (v: string): string => `\`${v.replace(/`/g, "'")}\``;
const quote = (v: string): string => `'${v.replace(/'/g, "'\\''")}'`;
const oneLine = (v: string, max: number): string => {
  const t = v.replace(/\s*\r?\n\s*/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function when(ts: string, now_ms: number): string {
  const t = parseTime(ts);
  return Number.isNaN(t) ? ts : `${ts} (${ago(t, now_ms)})`;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

function messageItem(m: MessageView, now_ms: number): string {
  const to = m.to === "broadcast" ? "everyone" : code(m.to);
  const from = m.from === "human" ? "human" : code(m.from);
  return `- **#${m.id}** ${from} → ${to}, ${when(m.sent_at, now_ms)}: **${oneLine(m.subject, 120)}**. ${oneLine(m.body, 240)}`;
}

/**
 * The board as Markdown at `now_ms` (a pure function: the same state and time give the same text).
 * Sections: a summary, what needs the human (stuck sessions with reason, context, options and the
 * command to answer; plans and PRs ready for review; silent sessions), sessions, active claims, recently completed with
 * PR links, reservations (when there are any), and messages (a session's unread and recent ones, or the human's recent view).
 */
export function renderBoard(state: BoardState, now_ms: number): string {
  const sessions = orderSessions(state.sessions);
  const stuck = sessions.filter((s) => s.state === "stuck");
  const stale = sessions.filter((s) => s.stale);
  const prReady = sessions.filter((s) => s.state === "complete" && s.pr_url !== null);
  const plans = sessions.filter((s) => s.state === "planning_complete");
  const silent = stale.filter((s) => s.state !== "stuck" && s.state !== "complete" && s.state !== "cancelled");
  const active = [...state.claims.active].sort((a, b) => a.claimed_at.localeCompare(b.claimed_at) || a.task_id.localeCompare(b.task_id));
  const done = [...state.claims.recently_completed].sort((a, b) => b.completed_at.localeCompare(a.completed_at) || a.task_id.localeCompare(b.task_id));
  const unread = state.messages.filter((m) => !m.read);

  const out: string[] = [`# Status board: ${state.repo}`, ""];
  out.push(`Generated at ${toRfc3339(now_ms)}${state.head_sha ? ` from main at ${code(state.head_sha.slice(0, 12))}` : " with the admin token"}.`, "");
  const summary = [
    `**${plural(sessions.length, "session", "sessions")}** (${stuck.length} stuck, ${stale.length} stale)`,
    `**${plural(active.length, "active claim", "active claims")}**`,
    `**${done.length} completed** in the last 24 hours`,
  ];
  if (state.messages_of !== null && state.messages_of !== "human") summary.push(`**${plural(unread.length, "unread message", "unread messages")}**`);
  out.push(summary.join(" · "), "");

  out.push("## Needs attention", "");
  if (stuck.length + plans.length + prReady.length + silent.length === 0) out.push("Nothing: no session is stuck, waiting for a plan or PR review, or silent.", "");
  for (const s of stuck) {
    const info = s.stuck ?? { reason: "(no reason given)", context: null, options: [] };
    out.push(`### Stuck: ${code(s.session)} on ${code(s.branch)}${s.task_id ? ` (task ${code(s.task_id)})` : ""}`, "");
    out.push(`- **Reason:** ${oneLine(info.reason, 500)}`);
    if (info.context) out.push(`- **Context:** ${oneLine(info.context, 2000)}`);
    if (info.options.length > 0) out.push("- **Options:**", ...info.options.map((o, i) => `  ${i + 1}. ${oneLine(o, 200)}`));
    out.push(`- **Last heartbeat:** ${when(s.last_heartbeat, now_ms)}${s.stale ? " (stale)" : ""}`);
    out.push(`- **Answer:** ${code(`claude-coord send --to-session ${s.session} --subject ${quote(`Re: ${oneLine(info.reason, 80)}`)} --body '<your decision>'`)}`, "");
  }
  for (const s of plans) {
    out.push(`### Plan ready for review: ${code(s.session)} on ${code(s.branch)}${s.task_id ? ` (task ${code(s.task_id)})` : ""}`, "");
    if (s.note) out.push(`- **Note:** ${oneLine(s.note, 500)}`);
    out.push(`- **Answer:** ${code(`claude-coord send --to-session ${s.session} --subject 'Plan review' --body '<approve, or what to change>'`)}`, "");
  }
  for (const s of prReady) {
    out.push(`### PR ready: ${code(s.session)} on ${code(s.branch)}${s.task_id ? ` (task ${code(s.task_id)})` : ""}`, "", `- ${s.pr_url}`, "");
  }
  for (const s of silent) {
    const claim = active.find((c) => c.session === s.session);
    out.push(
      `### Silent: ${code(s.session)} on ${code(s.branch)} (${s.state})`,
      "",
      `- No heartbeat since ${when(s.last_heartbeat, now_ms)}.${claim ? ` Its claim on ${code(claim.task_id)} still holds.` : ""}`,
      "",
    );
  }

  out.push("## Sessions", "");
  if (sessions.length === 0) out.push("_None in the last 24 hours._", "");
  else {
    const rows = sessions.map((s) => [
      code(s.session),
      `${s.state === "stuck" ? "**stuck**" : s.state}${s.stale ? " (stale)" : ""}`,
      s.worktree ? `${cell(s.branch)} (worktree ${code(cell(s.worktree))})` : cell(s.branch),
      cell(s.task_id),
      s.progress === null ? "—" : `${s.progress}%`,
      cell(when(s.last_heartbeat, now_ms)),
      cell(s.note),
    ]);
    out.push(...table(["Session", "State", "Branch", "Task", "Progress", "Last heartbeat", "Note"], rows), "");
  }

  out.push("## Active claims", "");
  if (active.length === 0) out.push("_None._", "");
  else {
    const rows = active.map((c) => [cell(c.task_id), code(c.session), cell(c.branch), c.plan_file === "" ? "(ad-hoc)" : cell(c.plan_file), cell(when(c.claimed_at, now_ms)), String(c.fence)]);
    out.push(...table(["Task", "Session", "Branch", "Plan file", "Claimed", "Fence"], rows), "");
  }

  out.push("## Recently completed", "");
  if (done.length === 0) out.push("_None in the last 24 hours._", "");
  else {
    const rows = done.map((c) => {
      const pr = prFor(c, sessions);
      return [cell(c.task_id), code(c.session), cell(c.branch), cell(when(c.completed_at, now_ms)), REASON_TEXT[c.completion_reason], pr ? `[PR](${pr})` : "—"];
    });
    out.push(...table(["Task", "Session", "Branch", "Completed", "How", "PR"], rows), "");
  }

  const reserved = state.reservations ?? [];
  if (reserved.length > 0) {
    out.push("## Reservations", "");
    const rows = reserved.map((r) => [code(r.path), code(r.session), r.exclusive ? "exclusive" : "shared", cell(r.expires_at), cell(r.reason)]);
    out.push(...table(["Path", "Session", "Kind", "Until", "Reason"], rows), "");
  }

  if (state.messages_of === null) {
    out.push("## Messages", "", "_Not shown: reading messages needs a session id or the admin token._", "");
  } else if (state.messages_of === "human") {
    const recent = state.messages.slice(-10);
    out.push("## Recent messages", "");
    if (recent.length === 0) out.push("_None._", "");
    else out.push(...recent.map((m) => messageItem(m, now_ms)), "");
  } else {
    const read = state.messages.filter((m) => m.read).slice(-5);
    out.push(`## Messages for ${code(state.messages_of.session)}`, "", `**Unread (${unread.length})**`, "");
    out.push(...(unread.length === 0 ? ["_None._"] : unread.map((m) => messageItem(m, now_ms))), "");
    if (read.length > 0) out.push("**Recently read**", "", ...read.map((m) => messageItem(m, now_ms)), "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** Parses --now: an RFC 3339 time; throws CoordError `usage_error` otherwise. */
export function parseNow(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const t = parseTime(text);
  if (Number.isNaN(t)) throw new CoordError("usage_error", `--now must be an RFC 3339 time such as 2026-01-05T20:00:00Z, got '${text}'.`, { field: "now" });
  return t;
}

export default defineCommand({
  meta: { name: "board", description: "Print the whole coordination state as Markdown (e.g. > STATUS_BOARD.md)" },
  args: {
    now: { type: "string", description: "render ages as of this RFC 3339 time instead of the clock (reproducible output)", valueHint: "time" },
    ...commonArgs,
    ...adminTokenArg,
  },
  async run({ args }) {
    const now_ms = parseNow(args.now);
    const ctx = await loadContext(args);
    const admin = adminToken(args["admin-token"]);
    const state = await loadBoardState(ctx, admin, admin === undefined ? knownSession(ctx) : undefined);
    return reportResult(processTerminal, args.json === true, { generated_at: toRfc3339(now_ms), ...state }, () => renderBoard(state, now_ms));
  },
});
