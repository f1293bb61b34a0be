// `claude-coord release`: give this session's claim back (SPEC §10); the task is available to every session again at once.
import { defineCommand } from "citty";
import { commonArgs, requireFlag, taskArg } from "./args.ts";
import { type CommonFlags, loadContext, repoAuth, requireSession } from "./context.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";

/**
 * Releases this session's claim on `--task` (outcome `freed`: available again at once, its
 * dependents stay blocked). Returns the outcome (document: the service's answer). Throws
 * CoordError `usage_error` without --task, and the claim's errors (not_found, forbidden, stale_token, ...).
 */
export async function releaseOutcome(args: CommonFlags & { task?: string }): Promise<Outcome> {
  const task_id = requireFlag(args.task, "task", "release");
  const ctx = await loadContext(args);
  const session_id = requireSession(ctx);
  const auth = await repoAuth(ctx);
  const r = await ctx.client.release({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, task_id });
  return {
    data: r,
    text: () =>
      [
        `Released task '${r.task_id}'. It is open again: any session can claim it now (its dependents stay blocked).`,
        "",
        "This session holds no claim now. To take another task: claude-coord tasks",
      ].join("\n"),
  };
}

export default defineCommand({
  meta: { name: "release", description: "Give this session's claim on a task back (not finished); exit 6 when it is not this session's" },
  args: { ...taskArg, ...commonArgs },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await releaseOutcome(args));
  },
});
