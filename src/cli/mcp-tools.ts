// The MCP tools of `claude-coord mcp` (SPEC §15): one row per tool, each calling the same function as its CLI command.
import { z } from "zod";
import { SESSION_STATES } from "../core/sessions.ts";
import { claimOutcome } from "./claim.ts";
import { completeOutcome } from "./complete.ts";
import type { CommonFlags } from "./context.ts";
import { heartbeatOutcome } from "./heartbeat.ts";
import { inboxOutcome } from "./inbox.ts";
import { releaseOutcome } from "./release.ts";
import { asCoordError, errorText, type Outcome, outcomeDocument } from "./output.ts";
import { reservationsOutcome } from "./reservations.ts";
import { reserveOutcome } from "./reserve.ts";
import { sendOutcome } from "./send.ts";
import { sessionsOutcome } from "./sessions.ts";
import { stuckOutcome } from "./stuck.ts";
import { tasksOutcome } from "./tasks.ts";
import { unreserveOutcome } from "./unreserve.ts";

/** The inputs every tool takes, as the CLI's --repo and --session-id (defaults: .claude-coord.toml, the environment, the saved session id). */
const common = {
  repo: z.string().optional().describe("owner/name of the repository (default: .claude-coord.toml or CLAUDE_COORD_REPO)"),
  session_id: z.string().optional().describe("this session's id (default: CLAUDE_COORD_SESSION_ID, CLAUDE_CODE_SESSION_ID, or the id 'hook session-start' saved)"),
};
const branch = { branch: z.string().optional().describe("the branch of this work (default: the checkout's current branch)") };
type Common = { repo?: string | undefined; session_id?: string | undefined };

/** The CLI flags the common inputs stand for. */
function flags(a: Common): CommonFlags {
  return { repo: a.repo, "session-id": a.session_id };
}

/** A tool: its name (the CLI command's), description, input schema, whether it only reads, and the call to the command's function. */
export interface CoordTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  input: S;
  read_only: boolean;
  run(args: z.infer<S>): Promise<Outcome>;
}

function tool<S extends z.ZodObject>(t: CoordTool<S>): CoordTool {
  return t as unknown as CoordTool;
}

const STATES = SESSION_STATES.filter((s) => s !== "stuck") as [string, ...string[]];

/** Every tool, in the order `tools/list` shows them. */
export const TOOLS: readonly CoordTool[] = [
  tool({
    name: "tasks",
    description: "List the plan's tasks at the local main joined with the service's claims: available (by priority), claimed, blocked, done, recently completed, and what to run next.",
    input: z.object({ ...common }),
    read_only: true,
    run: (a) => tasksOutcome(flags(a)),
  }),
  tool({
    name: "claim",
    description: "Claim a task for this session (first claim wins): give `task`, or `next: true` for the first available task. Errors: conflict (another session holds it), session_has_claim, stale_token.",
    input: z.object({
      task: z.string().optional().describe("the task id (the `id` of a task in a plan file)"),
      next: z.boolean().optional().describe("claim the first available task instead (tries the next when another session wins)"),
      plan_file: z.string().optional().describe("the plan file defining the task (default: found at the local main)"),
      ...branch,
      ...common,
    }),
    read_only: false,
    run: (a) => claimOutcome({ ...flags(a), task: a.task, next: a.next, branch: a.branch, "plan-file": a.plan_file }),
  }),
  tool({
    name: "complete",
    description: "Complete this session's claim on a task once its work is merged (outcome done), with the pull request of the work.",
    input: z.object({ task: z.string().describe("the task id this session claimed"), pr: z.string().optional().describe("the pull request's URL (listings show it while the completion is listed)"), ...common }),
    read_only: false,
    run: (a) => completeOutcome({ ...flags(a), task: a.task, pr: a.pr }),
  }),
  tool({
    name: "release",
    description: "Give this session's claim on a task back unfinished (outcome freed): any session can claim it again at once.",
    input: z.object({ task: z.string().describe("the task id this session claimed"), ...common }),
    read_only: false,
    run: (a) => releaseOutcome({ ...flags(a), task: a.task }),
  }),
  tool({
    name: "heartbeat",
    description: "Report this session's state (and task, progress, note, PR) to the other sessions and the human. Answers the number of unread messages.",
    input: z.object({
      state: z.enum(STATES).describe("the session's state (being stuck: the `stuck` tool)"),
      task: z.string().optional().describe("the task this session works on"),
      progress: z.number().int().min(0).max(100).optional().describe("progress in percent, 0 to 100"),
      note: z.string().optional().describe("one line on what the session is doing now"),
      pr_url: z.string().optional().describe("the pull request URL (with state complete)"),
      ...branch,
      ...common,
    }),
    read_only: false,
    run: (a) =>
      heartbeatOutcome({ ...flags(a), branch: a.branch, state: a.state, task: a.task, progress: a.progress === undefined ? undefined : String(a.progress), note: a.note, pr: a.pr_url }),
  }),
  tool({
    name: "stuck",
    description: "Report that this session is stuck and needs a decision from the human: the reason, the context, and the options it sees. The answer comes as a message (the `inbox` tool).",
    input: z.object({
      reason: z.string().describe("what decision or help the session needs"),
      context: z.string().optional().describe("the details the human needs to decide"),
      options: z.array(z.string()).optional().describe("the answers the human could give"),
      ...branch,
      ...common,
    }),
    read_only: false,
    run: (a) => stuckOutcome({ ...flags(a), branch: a.branch, reason: a.reason, context: a.context, option: a.options ?? [] }),
  }),
  tool({
    name: "send",
    description: "Send a message to every session (broadcast), to the session holding a task, to a branch, or to a session (its 8-character prefix as listings show it). Give exactly one address.",
    input: z.object({
      broadcast: z.boolean().optional().describe("to every session of the repository"),
      to_task: z.string().optional().describe("to the session holding this task's claim"),
      to_branch: z.string().optional().describe("to every session working on this branch"),
      to_session: z.string().optional().describe("to the session with this id prefix (8 characters, as listings show)"),
      subject: z.string().describe("one line"),
      body: z.string().describe("the message"),
      ...common,
    }),
    read_only: false,
    run: (a) => sendOutcome({ ...flags(a), broadcast: a.broadcast, "to-task": a.to_task, "to-branch": a.to_branch, "to-session": a.to_session, subject: a.subject, body: a.body }),
  }),
  tool({
    name: "inbox",
    description: "Read this session's messages (direct and broadcast), oldest first; `unread` for new ones only, `ack` to mark the unread ones shown as read.",
    input: z.object({
      unread: z.boolean().optional().describe("only messages not yet marked read"),
      ack: z.boolean().optional().describe("mark the unread messages shown as read"),
      ...common,
    }),
    read_only: false,
    run: (a) => inboxOutcome({ ...flags(a), unread: a.unread, ack: a.ack }),
  }),
  tool({
    name: "reserve",
    description: "Reserve repo-relative paths or globs this session is changing (SPEC §11), so other sessions' edits there are blocked. Error conflict: another session holds one (nothing is reserved then).",
    input: z.object({
      paths: z.array(z.string()).min(1).describe("repo-relative paths or globs: src/ui/**, docs/*.md, a file"),
      ttl: z.string().optional().describe("how long: 30m, 2h, 1d (default 4h, at most 7d)"),
      shared: z.boolean().optional().describe("shared: other shared reservations may overlap (default exclusive)"),
      reason: z.string().optional().describe("why, shown to other sessions"),
      keep: z.boolean().optional().describe("keep it when this session's claim completes or is released"),
      ...common,
    }),
    read_only: false,
    run: (a) => reserveOutcome({ ...flags(a), paths: a.paths, ttl: a.ttl, shared: a.shared, reason: a.reason, keep: a.keep }),
  }),
  tool({
    name: "unreserve",
    description: "Release this session's reservations: the paths named (as reserved), or all of them with `all: true`.",
    input: z.object({
      paths: z.array(z.string()).optional().describe("the reserved paths or globs, as reserved"),
      all: z.boolean().optional().describe("release every reservation of this session"),
      ...common,
    }),
    read_only: false,
    run: (a) => unreserveOutcome({ ...flags(a), paths: a.paths ?? [], all: a.all }),
  }),
  tool({
    name: "reservations",
    description: "List the repository's live reservations: path, holder session, exclusive or shared, until when.",
    input: z.object({ ...common }),
    read_only: true,
    run: (a) => reservationsOutcome(flags(a)),
  }),
  tool({
    name: "sessions",
    description: "List the repository's sessions of the last 24 hours: state, task, progress, note, stuck reason and options, stale flag.",
    input: z.object({ ...common }),
    read_only: true,
    run: (a) => sessionsOutcome(flags(a)),
  }),
];

/** An MCP tool result (the subset of CallToolResult the tools produce). */
export interface ToolResult {
  [key: string]: unknown;
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * Runs one tool and shapes the MCP result: success is the command's `--json` document (as text
 * and as structured content) followed by any warnings; an error (or a partial result) is a tool
 * error whose first text is the CLI's ERROR / ACTION REQUIRED text and whose second is the
 * `--json` error document. Never throws.
 */
export async function callTool(t: CoordTool, args: Record<string, unknown>): Promise<ToolResult> {
  try {
    const o = await t.run(args);
    const doc = outcomeDocument(o);
    const json = { type: "text" as const, text: JSON.stringify(doc, null, 2) };
    const structured = typeof doc === "object" && doc !== null && !Array.isArray(doc) ? { structuredContent: doc as Record<string, unknown> } : {};
    if (o.failure !== undefined) return { isError: true, content: [{ type: "text", text: errorText(o.failure, t.name) }, json], ...structured };
    return { content: [json, ...(o.warnings ?? []).map((w) => ({ type: "text" as const, text: w }))], ...structured };
  } catch (e) {
    const err = asCoordError(e);
    const doc = { status: err.code, message: err.message, ...err.details };
    return { isError: true, content: [{ type: "text", text: errorText(err, t.name) }, { type: "text", text: JSON.stringify(doc, null, 2) }], structuredContent: doc };
  }
}
