// `claude-coord complete`: mark this session's claimed task as done.
import { defineCommand } from "citty";
import { commonArgs, requireFlag, taskArg } from "./args.ts";
import { type CommonFlags, loadContext, repoAuth, requireSession } from "./context.ts";
import { parsePrUrl } from "./heartbeat.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";

/**
 * Completes this session's claim on `--task` (the service records the session as complete), with
 * `--pr` the pull request the completion keeps (SPEC §10).
 * Returns the outcome (document: the service's answer). Throws CoordError `usage_error` without
 * --task, and the claim's errors (not_found, forbidden, stale_token, ...).
 */
export async function completeOutcome(args: CommonFlags & { task?: string; pr?: string }): Promise<Outcome> {
  const task_id = requireFlag(args.task, "task", "complete");
  const pr_url = parsePrUrl(args.pr);
  const ctx = await loadContext(args);
  const session_id = requireSession(ctx);
  const auth = await repoAuth(ctx);
  const r = await ctx.client.complete({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, task_id, ...(pr_url ? { pr_url } : {}) });
  return {
    data: r,
    text: () =>
      [
        `Completed task '${r.task_id}'${pr_url ? ` with PR ${pr_url}` : ""}. It is listed under recently completed for 24 hours.`,
        "",
        "This session holds no claim now. To take another task: claude-coord claims",
      ].join("\n"),
  };
}

export default defineCommand({
  meta: { name: "complete", description: "Complete this session's claim on a task; exit 6 when it is not this session's" },
  args: {
    ...taskArg,
    pr: { type: "string", description: "the pull request of the work (listings, board and dashboard show it while the completion is listed)", valueHint: "url" },
    ...commonArgs,
  },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await completeOutcome(args));
  },
});
