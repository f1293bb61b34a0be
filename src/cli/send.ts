// `claude-coord send`: a message to every session, to the holder of a task, to a branch or to a session (SPEC §7); with the admin token, from the human.
import { defineCommand } from "citty";
import type { SendBody } from "../api/schemas.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import { commonArgs, requireFlag } from "./args.ts";
import { type CommonFlags, loadContext, repoAuth, requireRepo } from "./context.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";
import { adminToken, adminTokenArg, knownSession } from "./viewer.ts";

type Address = Pick<SendBody, "broadcast" | "to_task" | "to_branch" | "to_session" | "to_human">;

/** The one address the flags give; throws CoordError `usage_error` for none or several. */
export function addressOf(args: { broadcast?: boolean; "to-task"?: string; "to-branch"?: string; "to-session"?: string; "to-human"?: boolean }): Address {
  const given: Address[] = [];
  if (args["to-human"] === true) given.push({ to_human: true });
  if (args.broadcast === true) given.push({ broadcast: true });
  if (args["to-task"] !== undefined) given.push({ to_task: args["to-task"] });
  if (args["to-branch"] !== undefined) given.push({ to_branch: args["to-branch"] });
  if (args["to-session"] !== undefined) given.push({ to_session: args["to-session"] });
  if (given.length === 1) return given[0]!;
  throw new CoordError("usage_error", `'claude-coord send' needs exactly one address: --broadcast, --to-task, --to-branch, --to-session or --to-human (got ${given.length}).`, {
    action: "Run 'claude-coord send --to-session <8-character prefix> --subject <text> --body <text>' (see 'claude-coord sessions' for who is there).",
  });
}

/** The flags of `send` (and the MCP tool `send`). */
export type SendFlags = CommonFlags & { broadcast?: boolean; "to-task"?: string; "to-branch"?: string; "to-session"?: string; "to-human"?: boolean; subject?: string; body?: string; "admin-token"?: string };

/**
 * Sends a message (SPEC §7) as this session, or as the human with the admin token. Returns the
 * outcome (document: the service's answer: ids and recipients). Throws CoordError `usage_error`
 * for a missing address, subject or body; `unauthorized` with neither session nor admin token;
 * `not_found` (with what to run) when nobody matches the address.
 */
export async function sendOutcome(args: SendFlags): Promise<Outcome> {
  const address = addressOf(args);
  const subject = requireFlag(args.subject, "subject", "send");
  const text = requireFlag(args.body, "body", "send");
  const ctx = await loadContext(args);
  const admin = adminToken(args["admin-token"]);
  let body: SendBody;
  if (admin !== undefined) {
    body = { repo: requireRepo(ctx), subject, body: text, ...address };
  } else {
    const session_id = knownSession(ctx);
    if (session_id === undefined) {
      // The human's path: without a session the sender can only be the human, who needs the admin token.
      throw new CoordError(
        "unauthorized",
        "No session id and no admin token: a session sends with its id (CLAUDE_COORD_SESSION_ID or --session-id); the human sends with the service's admin token.",
      );
    }
    const auth = await repoAuth(ctx);
    body = { repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, subject, body: text, ...address };
  }
  const r = await ctx.client.send(body, admin).catch((e: unknown) => {
    if (isCoordError(e, "not_found")) throw new CoordError("not_found", e.message, { ...e.details, action: "Run 'claude-coord sessions' to see which sessions there are, then send to one of them (or --broadcast)." });
    // The service names its body field; the user typed a flag.
    if ((isCoordError(e, "invalid_request") || isCoordError(e, "ambiguous")) && args["to-session"] !== undefined && (e.details.field === "to_session" || e.code === "ambiguous")) {
      throw new CoordError(e.code === "ambiguous" ? "ambiguous" : "usage_error", `--to-session ${JSON.stringify(args["to-session"])}: ${e.message.replace(/^Invalid request body: field 'to_session' /, "")}`, {
        ...e.details,
        field: "to-session",
        action: "Run 'claude-coord sessions' and pass --to-session with a session's 8-character prefix as listed there (or its full id).",
      });
    }
    throw e;
  });
  const from = admin !== undefined ? "as the human" : "";
  return {
    data: r,
    text: () => {
      const to = r.to.join(", ");
      const ids = r.ids.length === 1 ? `message ${r.ids[0]}` : `messages ${r.ids.join(", ")}`;
      return [
        `Sent '${subject}'${from ? ` ${from}` : ""} to ${to === "broadcast" ? "every session (broadcast)" : to === "human" ? "the human" : `session${r.to.length === 1 ? "" : "s"} ${to}`} (${ids}).`,
        "",
        to === "human" ? "The human sees it on the dashboard, in 'claude-coord watch' and 'board'; their answer reaches this session's inbox." : "Recipients see it in 'claude-coord inbox' and at their next session start.",
      ].join("\n");
    },
  };
}

export default defineCommand({
  meta: { name: "send", description: "Send a message: --broadcast, --to-task T, --to-branch B or --to-session S, with --subject and --body" },
  args: {
    broadcast: { type: "boolean", description: "to every session of the repository" },
    "to-task": { type: "string", description: "to the session holding this task's claim", valueHint: "id" },
    "to-branch": { type: "string", description: "to every session working on this branch", valueHint: "branch" },
    "to-session": { type: "string", description: "to the session with this 8-character prefix (as listings show it) or this full id", valueHint: "prefix" },
    "to-human": { type: "boolean", description: "to the human (dashboard, watch, board, and `inbox` with the admin token)" },
    subject: { type: "string", description: "one line", valueHint: "text" },
    body: { type: "string", description: "the message", valueHint: "text" },
    ...commonArgs,
    ...adminTokenArg,
  },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await sendOutcome(args));
  },
});
