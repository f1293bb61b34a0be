// `claude-coord sessions`: every session of the repository seen in the last 24 hours, stuck first (SPEC §7).
import { defineCommand } from "citty";
import type { SessionsResponse } from "../api/schemas.ts";
import { sessionPrefix } from "../core/claims.ts";
import { commonArgs } from "./args.ts";
import { type CommonFlags, loadContext } from "./context.ts";
import { inlineText, type Outcome, printOutcome, processTerminal } from "./output.ts";
import { adminToken, adminTokenArg, ago, knownSession, parseTime, readAccess } from "./viewer.ts";

type SessionView = SessionsResponse["sessions"][number];

/** One session on one line (its stuck reason, context and options below it), for a model to read. */
function sessionLines(s: SessionView, mine: boolean, now_ms: number): string[] {
  const facts = [s.task_id ? `task ${s.task_id}` : "no task", s.progress !== null ? `${s.progress}%` : "", s.note ? `note "${inlineText(s.note)}"` : ""].filter(Boolean);
  const seen = parseTime(s.last_heartbeat);
  const when = `last heartbeat ${s.last_heartbeat}${Number.isNaN(seen) ? "" : ` (${ago(seen, now_ms)})`}`;
  const lines = [
    `- ${s.session}${mine ? " (this session)" : ""} ${s.state === "stuck" ? "STUCK" : s.state} on ${s.branch}, ${facts.join(", ")}, ${when}${s.stale ? ", STALE: no recent heartbeat (its claim still holds)" : ""}`,
  ];
  if (s.stuck) {
    lines.push(`    Reason: ${inlineText(s.stuck.reason)}`);
    if (s.stuck.context) lines.push(`    Context: ${inlineText(s.stuck.context)}`);
    if (s.stuck.options.length > 0) lines.push(`    Options: ${s.stuck.options.map((o, i) => `${i + 1}. ${inlineText(o)}`).join("  ")}`);
  }
  if (s.pr_url) lines.push(`    PR: ${inlineText(s.pr_url)}`);
  if (s.worktree) lines.push(`    Worktree: ${inlineText(s.worktree)}`);
  return lines;
}

/** The listing as text: a count line (stuck and stale named), one entry per session, then how to message one. */
export function sessionsText(repo: string, r: SessionsResponse, own_session: string | undefined, now_ms: number): string {
  const mine = own_session === undefined ? undefined : sessionPrefix(own_session);
  const stuck = r.sessions.filter((s) => s.state === "stuck").length;
  const stale = r.sessions.filter((s) => s.stale).length;
  const lines = [`=== Sessions: ${repo} (${r.sessions.length} seen in the last 24 hours; ${stuck} stuck, ${stale} stale) ===`];
  if (r.sessions.length === 0) lines.push("  (none)");
  for (const s of r.sessions) lines.push(...sessionLines(s, s.session === mine, now_ms));
  lines.push("", "To message a session: claude-coord send --to-session <session> --subject <text> --body <text>");
  if (mine === undefined || !r.sessions.some((s) => s.session === mine)) lines.push("To report this session: claude-coord heartbeat --state <state> [--task <id>]");
  return lines.join("\n");
}

/**
 * Lists the repository's sessions (SPEC §7), with the repo token or, given one, the admin token.
 * Returns the outcome (document: the service's listing). Throws the errors of the request.
 */
export async function sessionsOutcome(args: CommonFlags & { "admin-token"?: string }): Promise<Outcome> {
  const ctx = await loadContext(args);
  const { auth, repo } = await readAccess(ctx, adminToken(args["admin-token"]));
  const r = await ctx.client.sessions(auth);
  return { data: r, text: () => sessionsText(repo, r, knownSession(ctx), Date.now()) };
}

export default defineCommand({
  meta: { name: "sessions", description: "List the repository's sessions: state, task, progress, stuck reasons, stale flags" },
  args: { ...commonArgs, ...adminTokenArg },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await sessionsOutcome(args));
  },
});
