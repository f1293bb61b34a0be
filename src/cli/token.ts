// `claude-coord token`: show the repo token and what it is computed from (SPEC §2).
import { defineCommand } from "citty";
import { commonArgs } from "./args.ts";
import { loadContext, localToken } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";

export default defineCommand({
  meta: { name: "token", description: "Print main's head, the plan files with their last-change commits, and the token" },
  args: { ...commonArgs },
  async run({ args }) {
    const ctx = await loadContext(args);
    const { state, token } = await localToken(ctx);
    const data = { head_sha: state.head_sha, main_branch: ctx.config.main_branch, plan_path: ctx.config.plan_path, plan_files: state.plan_files, token };
    return reportResult(processTerminal, args.json === true, data, () =>
      [
        `Main (${ctx.config.main_branch}) head: ${state.head_sha}`,
        `Plan files (${ctx.config.plan_path}/*.json): ${state.plan_files.length === 0 ? "(none)" : ""}`,
        ...state.plan_files.map((f) => `  ${f.path}  ${f.sha}`),
        `Token: ${token}`,
      ].join("\n"),
    );
  },
});
