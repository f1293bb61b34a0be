// `claude-coord heartbeat`: report this session's state, task, progress, note and PR (SPEC §7); `stuck`, `claim` and `complete` reuse it.
import { defineCommand } from "citty";
import type { HeartbeatBody, HeartbeatResponse } from "../api/schemas.ts";
import { sessionPrefix } from "../core/claims.ts";
import { CoordError } from "../core/errors.ts";
import { SESSION_STATES, type SessionState } from "../core/sessions.ts";
import { ACTIVITY_LIMITS } from "../api/schemas.ts";
import { commonArgs } from "./args.ts";
import { directiveLines } from "./directive.ts";
import { type ClientContext, type CommonFlags, loadContext, repoAuth, requireBranch, requireSession } from "./context.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";

/** --branch: the branch a heartbeat reports (default: the checkout's current branch). */
export const branchArg = {
  branch: { type: "string", description: "the branch of this work (default: the current branch)", valueHint: "branch" },
} as const;

/** What a heartbeat reports besides the session, the branch and the auth fields. */
export type HeartbeatFields = Omit<HeartbeatBody, "repo" | "token" | "commit_sha" | "session_id" | "branch">;

/**
 * Sends one heartbeat for this session: loads the context, the session id (exit 78 without one),
 * the branch (exit 64 on a detached HEAD without --branch) and the repo token, then POST /heartbeat.
 * Returns the answer and the body sent.
 */
export async function sendHeartbeat(flags: CommonFlags & { branch?: string }, fields: HeartbeatFields): Promise<{ r: HeartbeatResponse; body: HeartbeatBody }> {
  const ctx = await loadContext(flags);
  const session_id = requireSession(ctx);
  const branch = await requireBranch(ctx, flags.branch);
  const auth = await repoAuth(ctx);
  const body: HeartbeatBody = { repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, branch, ...fields };
  return { r: await ctx.client.heartbeat(body), body };
}

/** The unread line every heartbeat answer ends with. */
export function unreadLine(unread: number): string {
  if (unread === 0) return "No unread messages.";
  return `Unread messages: ${unread}. Read them: claude-coord inbox --unread --ack`;
}

/** Parses --progress: an integer from 0 to 100; throws CoordError `usage_error` naming the flag otherwise. */
export function parseProgress(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^\d{1,3}$/.test(t) && Number(t) <= 100) return Number(t);
  throw new CoordError("usage_error", `--progress must be an integer from 0 to 100, got '${text}'.`, {
    field: "progress",
    action: "Pass --progress with a whole percentage, for example --progress 40.",
  });
}

/** Checks --plan: at most `ACTIVITY_LIMITS.plan` characters; throws CoordError `usage_error` naming the flag otherwise. */
export function parsePlan(text: string): string {
  if (text.length <= ACTIVITY_LIMITS.plan) return text;
  throw new CoordError("usage_error", `--plan is ${text.length} characters; the limit is ${ACTIVITY_LIMITS.plan}.`, {
    field: "plan",
    action: "Shorten the plan (link to a file on the branch for the details) and run the heartbeat again.",
  });
}

/** Checks --pr: an http(s) URL; throws CoordError `usage_error` naming the flag otherwise. */
export function parsePrUrl(text: string | undefined): string | undefined {
  if (text === undefined || /^https?:\/\/\S+$/.test(text)) return text;
  throw new CoordError("usage_error", `--pr must be an http(s) URL, got '${text}'.`, {
    field: "pr_url",
    action: "Pass the pull request's address, for example --pr https://github.com/owner/repo/pull/42.",
  });
}

/** Parses --state: one of the states of SPEC §7 except `stuck` (which needs `claude-coord stuck --reason`). */
export function parseState(text: string | undefined): SessionState {
  if (text === undefined || text.trim() === "") {
    throw new CoordError("usage_error", "'claude-coord heartbeat' needs --state.", {
      field: "state",
      action: `Run 'claude-coord heartbeat --state <state>' with one of: ${SESSION_STATES.filter((s) => s !== "stuck").join(", ")}.`,
    });
  }
  if (text === "stuck") {
    throw new CoordError("usage_error", "A stuck session must say why: 'claude-coord heartbeat' does not take --state stuck.", {
      field: "state",
      action: "Run 'claude-coord stuck --reason <what you need> [--context <details>] [--option <choice> ...]'.",
    });
  }
  if (!(SESSION_STATES as readonly string[]).includes(text)) {
    throw new CoordError("usage_error", `--state must be one of ${SESSION_STATES.filter((s) => s !== "stuck").join(", ")}; got '${text}'.`, {
      field: "state",
      action: "Pass one of the states listed above (for being stuck: 'claude-coord stuck --reason <text>').",
    });
  }
  return text as SessionState;
}

/** The text of a recorded heartbeat: the state first, then unread messages and, for `complete`, how the claim is released. */
export function heartbeatText(r: HeartbeatResponse, body: HeartbeatBody): string {
  const facts = [body.task_id ? `task ${body.task_id}` : "", typeof body.progress === "number" ? `${body.progress}%` : ""].filter(Boolean);
  const lines = [`Heartbeat recorded: session ${r.session} is ${r.state} on branch ${body.branch}${facts.length > 0 ? ` (${facts.join(", ")})` : ""}.`];
  if (body.note) lines.push(`Note: ${body.note}`);
  if (body.pr_url) lines.push(`PR: ${body.pr_url}`);
  if (body.plan) lines.push(`Plan attached (${body.plan.length} characters) for the human to review; wait for the decision: claude-coord wait`);
  const said = directiveLines(r.directive);
  if (said.length > 0) lines.push("", ...said);
  lines.push("", unreadLine(r.unread));
  if (r.state === "complete") {
    lines.push(`This reports the session's state; the task's claim is released by: claude-coord complete --task ${body.task_id ?? "<task-id>"}`);
  }
  return lines.join("\n");
}

/** The flags of `heartbeat` (and the MCP tool `heartbeat`); progress as text, as typed. */
export type HeartbeatFlags = CommonFlags & { branch?: string; state?: string; task?: string; progress?: string; note?: string; pr?: string; plan?: string };

/**
 * Sends a heartbeat from the flags (SPEC §7). Returns the outcome (document: the service's answer,
 * with the unread count). Throws CoordError `usage_error` naming a bad --state, --progress or --pr,
 * and the errors of `sendHeartbeat`.
 */
export async function heartbeatOutcome(args: HeartbeatFlags): Promise<Outcome> {
  const state = parseState(args.state);
  const progress = parseProgress(args.progress);
  const pr_url = parsePrUrl(args.pr);
  const fields: HeartbeatFields = { state };
  if (args.task !== undefined) fields.task_id = args.task;
  if (progress !== undefined) fields.progress = progress;
  if (args.note !== undefined) fields.note = args.note;
  if (pr_url !== undefined) fields.pr_url = pr_url;
  if (args.plan !== undefined) fields.plan = parsePlan(args.plan);
  const { r, body } = await sendHeartbeat(args, fields);
  const warnings = state === "cancelled" ? await heldClaimHint(args, body) : [];
  return { data: r, text: () => heartbeatText(r, body), warnings };
}

/**
 * A session reporting `cancelled` that still holds a claim keeps the task from everyone else (SPEC
 * §10): the hint to release it, or none. Best effort: a failed look-up gives no hint.
 */
async function heldClaimHint(flags: CommonFlags, body: HeartbeatBody): Promise<string[]> {
  try {
    const ctx = await loadContext(flags);
    const listing = await ctx.client.claims({ repo: body.repo, token: body.token, commit_sha: body.commit_sha });
    const held = listing.active.find((c) => c.session === sessionPrefix(body.session_id));
    return held ? [`WARNING: this session still holds the claim on task '${held.task_id}', so no other session can take it. To give it back: claude-coord release --task ${held.task_id}`] : [];
  } catch {
    return [];
  }
}

export default defineCommand({
  meta: { name: "heartbeat", description: "Report this session's state (and task, progress, note, PR) to the other sessions and the human" },
  args: {
    state: { type: "string", description: `one of ${SESSION_STATES.filter((s) => s !== "stuck").join(", ")} (stuck: 'claude-coord stuck')`, valueHint: "state" },
    task: { type: "string", description: "the task this session works on", valueHint: "id" },
    progress: { type: "string", description: "progress in percent, 0 to 100", valueHint: "0-100" },
    note: { type: "string", description: "one line on what the session is doing now", valueHint: "text" },
    pr: { type: "string", description: "the pull request URL (with --state complete)", valueHint: "url" },
    plan: { type: "string", description: `the plan for the human to review (with --state planning_complete; at most ${ACTIVITY_LIMITS.plan} characters)`, valueHint: "text" },
    ...commonArgs,
    ...branchArg,
  },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await heartbeatOutcome(args));
  },
});
