// `claude-coord tasks`: every plan task at the local main joined with the service's claims, ending with the command to run next.
import { defineCommand } from "citty";
import type { ClaimsListing } from "../core/claims.ts";
import { type CoordError, isCoordError } from "../core/errors.ts";
import type { TaskDiscovery } from "../core/tasks.ts";
import { discoverTasks } from "../core/tasks.ts";
import { commonArgs } from "./args.ts";
import { type ClientContext, type CommonFlags, loadContext, repoAuth } from "./context.ts";
import { inlineText, type Outcome, printOutcome, processTerminal } from "./output.ts";
import { completionLine } from "./claims.ts";
import { localPlans } from "./plan-lookup.ts";
import { knownSession } from "./viewer.ts";

const STATUS_TITLES: Record<string, string> = { in_progress: "In progress (plan status)", complete: "Complete", deferred: "Deferred", skipped: "Skipped" };

/** The discovery as text for the model: state first, warnings, then the one command to run next. */
export function tasksText(repo: string, head_sha: string, d: TaskDiscovery): string {
  const lines = [`=== Tasks: ${repo} (main at ${head_sha.slice(0, 12)}) ===`];
  if (!d.claims_known) lines.push("Claims: UNKNOWN (the coordination service could not be asked; 'available' may include claimed tasks)");
  const pri = (p: number | undefined) => (p === undefined ? "no priority" : `priority ${p}`);
  lines.push(`Available (${d.available.length}), by priority:`);
  if (d.available.length === 0) lines.push("  (none)");
  for (const t of d.available) lines.push(`  - ${inlineText(t.id)}: ${inlineText(t.name)} [${pri(t.priority)}, ${inlineText(t.file)}]`);
  lines.push(`Claimed (${d.claimed.length}):`);
  if (d.claimed.length === 0) lines.push("  (none)");
  for (const t of d.claimed) lines.push(`  - ${t.id} by session ${t.session}${t.yours ? " (this session)" : ""} on ${t.branch} since ${t.since}`);
  if (d.blocked.length > 0) {
    lines.push(`Blocked (${d.blocked.length}):`);
    for (const t of d.blocked) lines.push(`  - ${t.id} waits for ${t.blocked_by.join(", ")}`);
  }
  for (const [status, tasks] of Object.entries(d.by_status)) {
    lines.push(`${STATUS_TITLES[status] ?? `Status '${status}'`} (${tasks.length}):`);
    for (const t of tasks) lines.push(`  - ${inlineText(t.id)}: ${inlineText(t.name)} [${inlineText(t.file)}]`);
  }
  if (d.recently_completed.length > 0) {
    lines.push("Recently completed (service, last 24 h; do not redo those marked done):");
    for (const c of d.recently_completed) lines.push(completionLine(c));
  }
  if (d.warnings.length > 0) {
    lines.push("Warnings:");
    for (const w of d.warnings) lines.push(`  - ${w}`);
  }
  lines.push("");
  const mine = d.claimed.find((t) => t.yours);
  if (mine) lines.push(`Next: this session holds '${mine.id}'. When it is merged, run: claude-coord complete --task ${mine.id}`);
  else if (d.available.length > 0) lines.push(`Next: claude-coord claim --next   (claims '${d.available[0]!.id}', or the next one if another session wins it)`);
  else lines.push("Next: no task is available. Ask the user which task to work on, or wait for a claimed or blocking task to finish.");
  return lines.join("\n");
}

/** The discovery at the local main and, when the service could not be asked, why (SPEC §8: claims unknown). */
export interface LocalDiscovery {
  repo: string;
  head_sha: string;
  discovery: TaskDiscovery;
  /** `service_unavailable` / `upstream_unavailable` when the claims could not be read. */
  failure: CoordError | undefined;
}

/**
 * Reads the plan files at the local main and joins them with the service's claims. A service that
 * cannot be reached gives the plan with claims unknown and `failure` set; with `claims_optional`
 * (hook session-start) so does every answer of the service (a stale token, a repo not
 * whitelisted), so the plan is always shown. Otherwise those errors, and a missing repo, are thrown.
 */
export async function discoverLocal(ctx: ClientContext, own_session: string | undefined, opts: { claims_optional?: boolean } = {}): Promise<LocalDiscovery> {
  const auth = await repoAuth(ctx);
  const plans = await localPlans(ctx, auth.commit_sha);
  let listing: ClaimsListing | undefined;
  let failure: CoordError | undefined;
  try {
    listing = await ctx.client.claims({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha });
  } catch (e) {
    if (!opts.claims_optional && !isCoordError(e, "service_unavailable") && !isCoordError(e, "upstream_unavailable") && !isCoordError(e, "store_unavailable")) throw e;
    if (!isCoordError(e)) throw e;
    failure = e;
  }
  return { repo: auth.repo, head_sha: auth.commit_sha, discovery: discoverTasks(plans, listing, own_session), failure };
}

/**
 * The tasks at the local main joined with the claims (SPEC §8). Returns the outcome (document: the
 * discovery); with the service unavailable a partial one (claims unknown, `failure` set: exit 2).
 * Throws the errors of `discoverLocal`.
 */
export async function tasksOutcome(args: CommonFlags): Promise<Outcome> {
  const ctx = await loadContext(args);
  const { repo, head_sha, discovery: d, failure } = await discoverLocal(ctx, knownSession(ctx));
  return { data: d, text: () => tasksText(repo, head_sha, d), failure };
}

export default defineCommand({
  meta: { name: "tasks", description: "List the plan's tasks: available, claimed, blocked, done; ends with the command to run next" },
  args: { ...commonArgs },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await tasksOutcome(args), "tasks");
  },
});
