// `claude-coord claims`: the coordination state of the repository, for the model and for scripts.
import { defineCommand } from "citty";
import type { ClaimsResponse } from "../api/schemas.ts";
import { type CompletedClaimView, sessionPrefix } from "../core/claims.ts";
import { commonArgs } from "./args.ts";
import { type ClientContext, loadContext, repoAuth } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";
import { knownSession } from "./viewer.ts";

/** One recent completion as a list line: task, reason and outcome (SPEC §10), when, branch, and the PR it named. */
export function completionLine(c: CompletedClaimView): string {
  const outcome = c.outcome === "freed" ? "freed: open to claim again" : "done";
  return `  - ${c.task_id} (${c.completion_reason}, ${outcome}, ${c.completed_at}, branch ${c.branch}${c.pr_url ? `, PR ${c.pr_url}` : ""})`;
}

/** The listing as text: active claims (this session's marked), recent completions, then the next command. */
export function claimsText(repo: string, head_sha: string, r: ClaimsResponse, own_session: string | undefined): string {
  const mine = own_session ? sessionPrefix(own_session) : undefined;
  const lines = [`=== Coordination State: ${repo} (main at ${head_sha.slice(0, 12)}) ===`, "Active claims:"];
  if (r.active.length === 0) lines.push("  (none)");
  for (const c of r.active) {
    const you = mine === c.session ? " (this session)" : "";
    lines.push(`  - ${c.task_id} on ${c.branch} (session ${c.session}${you}, since ${c.claimed_at})`);
  }
  lines.push("", "Recently completed:");
  if (r.recently_completed.length === 0) lines.push("  (none)");
  for (const c of r.recently_completed) lines.push(completionLine(c));
  const own = r.active.find((c) => c.session === mine);
  lines.push("");
  if (own) lines.push(`This session holds '${own.task_id}'. When it is merged: claude-coord complete --task ${own.task_id}`);
  else lines.push("To claim a task: claude-coord claim --task <task-id>");
  return lines.join("\n");
}

/** Lists the claims; the session id (flag, environment, or the id saved for this worktree) is optional here: it only marks this session's claim. */
export async function runClaims(ctx: ClientContext, json: boolean): Promise<number> {
  const auth = await repoAuth(ctx);
  const r = await ctx.client.claims({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha });
  return reportResult(processTerminal, json, r, () => claimsText(auth.repo, auth.commit_sha, r, knownSession(ctx)));
}

export default defineCommand({
  meta: { name: "claims", description: "List active and recently completed claims of the repository" },
  args: { ...commonArgs },
  async run({ args }) {
    return runClaims(await loadContext(args), args.json === true);
  },
});
