// `claude-coord pause|resume|approve|reject SESSION [--message M]`: the human's controls of a session (SPEC §13), with the admin token.
import { type CommandDef, defineCommand } from "citty";
import type { ControlResponse } from "../api/schemas.ts";
import type { ControlAction } from "../core/controls.ts";
import { CoordError } from "../core/errors.ts";
import { commonArgs } from "./args.ts";
import { loadContext, requireRepo } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";
import { adminToken, adminTokenArg } from "./viewer.ts";

const WHAT: Record<ControlAction, string> = {
  pause: "paused: its PreToolUse guard denies every tool and its next heartbeat, claim or hook call shows your message",
  resume: "resumed: its tools are allowed again",
  approve: "approved: its 'claude-coord wait' returns 0 and it builds the plan",
  reject: "rejected: its 'claude-coord wait' returns 1 with your message and it re-plans",
};

/** The text of a control's answer: what happened and what the session sees. */
export function controlText(r: ControlResponse): string {
  return [`Session ${r.session} ${WHAT[r.action]}.`, `Its state is now ${r.state}.`, "", "See it: claude-coord sessions"].join("\n");
}

/** The command of one control action: `claude-coord <action> SESSION [--message M]`, acting as the human (exit 77 without the admin token). */
function controlCommand(action: ControlAction): CommandDef {
  return defineCommand({
    meta: { name: action, description: `${action[0]!.toUpperCase()}${action.slice(1)} a session as the human (admin token): SESSION is its 8-character prefix or full id` },
    args: {
      session: { type: "positional", description: "the session's 8-character prefix, as 'claude-coord sessions' lists it, or its full id", required: true, valueHint: "session" },
      message: { type: "string", description: "your words to the session (shown in its next answers)", valueHint: "text" },
      ...commonArgs,
      ...adminTokenArg,
    },
    async run({ args }) {
      const token = adminToken(args["admin-token"]);
      if (token === undefined) {
        throw new CoordError("unauthorized", `'claude-coord ${action}' acts as the human and needs the service's admin token.`, {
          action: `Run 'claude-coord ${action} ${args.session} --admin-token <token>' or export CLAUDE_COORD_ADMIN_TOKEN=<token>.`,
        });
      }
      const ctx = await loadContext(args);
      const repo = requireRepo(ctx);
      const r = await ctx.client.control({ repo, session: args.session, action, ...(args.message !== undefined ? { message: args.message } : {}) }, token);
      return reportResult(processTerminal, args.json === true, r, () => controlText(r));
    },
  }) as CommandDef;
}

export const pause = controlCommand("pause");
export const resume = controlCommand("resume");
export const approve = controlCommand("approve");
export const reject = controlCommand("reject");
