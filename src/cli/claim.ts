// `claude-coord claim`: claim one task for this session (first claim wins).
import { defineCommand } from "citty";
import { sessionPrefix } from "../core/claims.ts";
import { commonArgs, requireFlag, taskArg } from "./args.ts";
import { loadContext, repoAuth, requireBranch, requireSession } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";
import { findPlanFile } from "./plan-lookup.ts";

export default defineCommand({
  meta: { name: "claim", description: "Claim a task for this session; exit 1 when another session holds it" },
  args: {
    ...taskArg,
    ...commonArgs,
    branch: { type: "string", description: "the branch of this work (default: the current branch)", valueHint: "branch" },
    "plan-file": { type: "string", description: "the plan file defining the task (default: found at the local main)", valueHint: "path" },
  },
  async run({ args }) {
    const task_id = requireFlag(args.task, "task", "claim");
    const ctx = await loadContext(args);
    const session_id = requireSession(ctx);
    const branch = await requireBranch(ctx, args.branch);
    const auth = await repoAuth(ctx);
    let plan_file = args["plan-file"];
    let warning: string | undefined;
    if (plan_file === undefined) {
      plan_file = (await findPlanFile(ctx, auth.state.head_sha, task_id)) ?? "";
      if (plan_file === "") warning = `WARNING: no plan file under ${ctx.config.plan_path}/ at main defines task '${task_id}'; claiming it as ad-hoc work.`;
    }
    const r = await ctx.client.claim({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, task_id, branch, plan_file });
    if (warning && !args.json) processTerminal.err(warning);
    return reportResult(processTerminal, args.json === true, { ...r, plan_file, branch, session: sessionPrefix(session_id) }, () =>
      [
        `Claimed task '${r.task_id}' (fence ${r.fence}) for session ${sessionPrefix(session_id)} on branch ${branch}.`,
        plan_file ? `Plan file: ${plan_file}` : "Plan file: (none: ad-hoc task)",
        "",
        `When the work is merged, run: claude-coord complete --task ${r.task_id}`,
      ].join("\n"),
    );
  },
});
