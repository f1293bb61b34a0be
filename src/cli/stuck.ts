// `claude-coord stuck`: report that this session needs the human — why, the context, and the options it sees (SPEC §7).
import { defineCommand } from "citty";
import { commonArgs, repeated, requireFlag } from "./args.ts";
import { branchArg, sendHeartbeat, unreadLine } from "./heartbeat.ts";
import type { CommonFlags } from "./context.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";

/** The flags of `stuck` (and the MCP tool `stuck`); `option` holds every --option given, in order. */
export type StuckFlags = CommonFlags & { branch?: string; reason?: string; context?: string; option: string[] };

/**
 * Reports this session as stuck (SPEC §7): a heartbeat with state `stuck` and the reason, context
 * and options. Returns the outcome (document: the service's answer). Throws CoordError
 * `usage_error` without --reason, and the errors of `sendHeartbeat`.
 */
export async function stuckOutcome(args: StuckFlags): Promise<Outcome> {
  const reason = requireFlag(args.reason, "reason", "stuck");
  const options = args.option;
  const stuck = { reason, ...(args.context !== undefined ? { context: args.context } : {}), options };
  const { r, body } = await sendHeartbeat(args, { state: "stuck", stuck });
  return {
    data: r,
    text: () =>
      [
        `Reported: session ${r.session} is STUCK on branch ${body.branch}.`,
        `Reason: ${reason}`,
        ...(args.context !== undefined ? [`Context: ${args.context}`] : []),
        ...(options.length > 0 ? ["Options:", ...options.map((o, i) => `  ${i + 1}. ${o}`)] : []),
        "",
        "The human sees this in 'claude-coord watch' and 'claude-coord board' and answers with a message.",
        unreadLine(r.unread),
        "Check for the answer: claude-coord inbox --unread --ack",
        "When you can go on: claude-coord heartbeat --state working",
      ].join("\n"),
  };
}

export default defineCommand({
  meta: { name: "stuck", description: "Report that this session is stuck and needs a decision: --reason, --context, --option (repeatable)" },
  args: {
    reason: { type: "string", description: "what decision or help the session needs", valueHint: "text" },
    context: { type: "string", description: "the details the human needs to decide", valueHint: "text" },
    option: { type: "string", description: "one answer the human could give; repeat for each (--option A --option B)", valueHint: "text" },
    ...commonArgs,
    ...branchArg,
  },
  async run({ args, rawArgs }) {
    return printOutcome(processTerminal, args.json === true, await stuckOutcome({ ...args, option: repeated(rawArgs, "option") }));
  },
});
