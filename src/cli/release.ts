// `claude-coord release`: give this session's claim back (SPEC §10); the task is available to every session again at once.
import { defineCommand } from "citty";
import { commonArgs, requireFlag, taskArg } from "./args.ts";
import { loadContext, repoAuth, requireSession } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";

export default defineCommand({
  meta: { name: "release", description: "Give this session's claim on a task back (not finished); exit 6 when it is not this session's" },
  args: { ...taskArg, ...commonArgs },
  async run({ args }) {
    const task_id = requireFlag(args.task, "task", "release");
    const ctx = await loadContext(args);
    const session_id = requireSession(ctx);
    const auth = await repoAuth(ctx);
    const r = await ctx.client.release({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, task_id });
    return reportResult(processTerminal, args.json === true, r, () =>
      [
        `Released task '${r.task_id}'. It is open again: any session can claim it now (its dependents stay blocked).`,
        "",
        "This session holds no claim now. To take another task: claude-coord tasks",
      ].join("\n"),
    );
  },
});
