// `claude-coord expire`: an operator frees a stuck claim, by task or by session prefix.
import { defineCommand } from "citty";
import { CoordError } from "../core/errors.ts";
import { readEnv } from "../env.ts";
import { commonArgs, taskArg } from "./args.ts";
import { loadContext, repoAuth } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";

export default defineCommand({
  meta: { name: "expire", description: "Expire a claim (operators): by --task or by --session prefix" },
  args: {
    ...taskArg,
    session: { type: "string", description: "a session's 8-character prefix, as listings show it, or its full id", valueHint: "prefix" },
    "admin-token": { type: "string", description: "the service's admin token (default: CLAUDE_COORD_ADMIN_TOKEN)", valueHint: "token" },
    ...commonArgs,
  },
  async run({ args }) {
    if ((args.task === undefined) === (args.session === undefined)) {
      throw new CoordError("usage_error", "'claude-coord expire' needs exactly one of --task or --session.", {
        action: "Run 'claude-coord expire --task <task-id>' or 'claude-coord expire --session <8-character prefix>'.",
      });
    }
    const ctx = await loadContext(args);
    const auth = await repoAuth(ctx);
    const target = args.task !== undefined ? { task_id: args.task } : { session: args.session as string };
    const admin = args["admin-token"] ?? readEnv().admin_token;
    const r = await ctx.client.expire({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, ...target }, admin);
    return reportResult(processTerminal, args.json === true, r, () =>
      [`Expired the claim on task '${r.task_id}' (session ${r.session}, branch ${r.branch}).`, "", "The task is open again (its dependents stay blocked): claude-coord tasks"].join("\n"),
    );
  },
});
