// `claude-coord prune`: removes the worktrees (and local branches) spawn made whose claim ended or whose branch is merged, never one with unsaved work (SPEC §14).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { defineCommand } from "citty";
import type { ClaimsListing } from "../core/claims.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import { type PruneDecision, pruneDecision } from "../core/spawn.ts";
import { type FoundSpawn, listSpawnRecords, mainCheckoutRoot } from "../git/spawn-record.ts";
import { GitCommandError } from "../git/git-cli.ts";
import { deleteBranch, isMerged, removeWorktree, uncommittedPaths, unpushedCount } from "../git/worktrees.ts";
import { type ClientContext, loadContext, repoAuth } from "./context.ts";
import { EXIT, processTerminal, reportError } from "./output.ts";
import { prepareMain } from "./spawn.ts";

/** One spawned worktree and what prune did (or, with --dry-run, would do) with it. */
export interface PruneEntry {
  task_id: string;
  branch: string;
  worktree: string;
  /** `removed` (or `would_remove` with --dry-run), `kept`, `refused`. */
  result: "removed" | "would_remove" | "kept" | "refused";
  why: string;
  /** What stops a removal (refused only). */
  problems: string[];
  /** The command that resolves a refusal (refused only). */
  action: string | null;
}

/** What `prune --json` prints. */
export interface PruneReport {
  dry_run: boolean;
  main_ref: string;
  /** False when the service could not be asked: only merged branches were considered. */
  claims_known: boolean;
  worktrees: PruneEntry[];
  warnings: string[];
}

/** The saved session id of a spawned worktree (`<its git dir>/claude-coord-session-id`), or "" when none is saved. */
function savedSession(found: FoundSpawn): string {
  try {
    return readFileSync(join(found.head_gitdir, "claude-coord-session-id"), "utf8").trim();
  } catch {
    return "";
  }
}

/** True when `dir` is `root` or inside it. */
function isInside(dir: string, root: string): boolean {
  const d = resolve(dir);
  const r = resolve(root);
  return d === r || d.startsWith(r + sep);
}

/**
 * The command that resolves a refusal, run from anywhere: leave the worktree when prune runs inside
 * it, keep uncommitted work in the stash, push unpushed commits (without origin: remove only the
 * worktree with git, which keeps the branch and its commits), then prune again.
 */
export function refusalAction(e: Pick<PruneEntry, "worktree" | "branch" | "task_id">, d: Extract<PruneDecision, { action: "refuse" }>, has_origin: boolean, main_root: string): string {
  const has = (word: string) => d.problems.some((p) => p.includes(word));
  const steps: string[] = [];
  if (has("inside")) steps.push(`cd '${main_root}'`);
  if (has("uncommitted")) steps.push(`git -C '${e.worktree}' stash push --include-untracked -m 'claude-coord prune ${e.task_id}'`);
  if (has("unpushed")) steps.push(has_origin ? `git -C '${e.worktree}' push -u origin ${e.branch}` : `git -C '${main_root}' worktree remove '${e.worktree}'`);
  if (steps.length === 0) steps.push(`git -C '${e.worktree}' status`);
  return `${steps.join(" && ")} && claude-coord prune`;
}

/** The text report: removed (or would be), kept, then the refused ones with what stops them. */
export function pruneText(r: PruneReport): string {
  const lines = [`=== Prune: ${r.worktrees.length} spawned ${r.worktrees.length === 1 ? "worktree" : "worktrees"}${r.dry_run ? " (dry run: nothing is changed)" : ""} ===`];
  const section = (title: string, result: PruneEntry["result"]) => {
    const es = r.worktrees.filter((e) => e.result === result);
    if (es.length === 0) return;
    lines.push(`${title} (${es.length}):`);
    for (const e of es) lines.push(`  - ${e.task_id}: ${e.worktree} (branch ${e.branch}): ${e.why}`);
  };
  if (r.worktrees.length === 0) lines.push("(none: no worktree made by 'claude-coord spawn' is left)");
  section("Removed with its branch", "removed");
  section("Would remove with its branch", "would_remove");
  section("Kept", "kept");
  section("Refused", "refused");
  if (!r.claims_known) lines.push(`Claims: UNKNOWN (the service could not be asked): only branches merged into ${r.main_ref} were considered.`);
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  return lines.join("\n");
}

/** Runs prune over every spawned worktree; exit 0, 1 when any is refused, 2 when the claims were unknown. */
async function runPrune(ctx: ClientContext, opts: { dry_run: boolean; json: boolean }): Promise<number> {
  const root = ctx.checkout.root;
  const warnings: string[] = [];
  const { has_origin, ref: main_ref } = prepareMain(ctx, "prune", warnings);
  const found = listSpawnRecords(ctx.checkout.gitdir);
  let listing: ClaimsListing | undefined;
  let failure: CoordError | undefined;
  if (found.length > 0) {
    try {
      const auth = await repoAuth(ctx);
      listing = await ctx.client.claims({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha });
    } catch (e) {
      if (!isCoordError(e, "service_unavailable") && !isCoordError(e, "upstream_unavailable")) throw e;
      failure = e;
    }
  }
  const report: PruneReport = { dry_run: opts.dry_run, main_ref, claims_known: failure === undefined, worktrees: [], warnings };
  for (const f of found) {
    const { task_id, branch, worktree, base_sha } = f.record;
    const here = existsSync(worktree);
    const unpushed = Math.max(unpushedCount(root, `refs/heads/${branch}`, main_ref), here ? unpushedCount(worktree, "HEAD", main_ref) : 0);
    let d = pruneDecision({
      task_id,
      branch,
      session_ids: [savedSession(f), f.record.session ?? ""],
      listing,
      merged: isMerged(root, branch, base_sha, main_ref),
      main_ref,
      uncommitted: here ? uncommittedPaths(worktree) : [],
      unpushed,
      is_current: isInside(process.cwd(), worktree),
    });
    if (d.action === "remove" && !opts.dry_run) {
      try {
        removeWorktree(root, worktree);
        deleteBranch(root, branch);
      } catch (e) {
        if (!(e instanceof GitCommandError)) throw e;
        d = { action: "refuse", why: d.why, problems: [`git refused: ${e.stderr}`] };
      }
    }
    const entry: PruneEntry = {
      task_id,
      branch,
      worktree,
      result: d.action === "remove" ? (opts.dry_run ? "would_remove" : "removed") : d.action === "keep" ? "kept" : "refused",
      why: d.why,
      problems: d.action === "refuse" ? d.problems : [],
      action: d.action === "refuse" ? refusalAction({ worktree, branch, task_id }, d, has_origin, mainCheckoutRoot(ctx.checkout)) : null,
    };
    report.worktrees.push(entry);
  }
  processTerminal.out(opts.json ? JSON.stringify(report, null, 2) : pruneText(report));
  const refused = report.worktrees.filter((e) => e.result === "refused");
  if (!opts.json) {
    for (const e of refused) {
      processTerminal.err(
        [`ERROR: Worktree ${e.worktree} (task ${e.task_id}, branch ${e.branch}) was not removed: ${e.problems.join("; ")}.`, "", `ACTION REQUIRED: ${e.action}`].join("\n"),
      );
    }
  }
  if (failure !== undefined) return opts.json ? EXIT.unavailable : reportError(processTerminal, failure, { json: false, cmd: "prune" });
  return refused.length > 0 ? EXIT.conflict : EXIT.ok;
}

export default defineCommand({
  meta: { name: "prune", description: "Remove spawned worktrees (and their branches) whose claim ended or whose branch is merged; never one with unsaved work" },
  args: {
    "dry-run": { type: "boolean", description: "print what would be removed and change nothing" },
    repo: { type: "string", description: "owner/name of the repository (default: .claude-coord.toml, CLAUDE_COORD_REPO)", valueHint: "owner/name" },
    json: { type: "boolean", description: "print one JSON document on stdout instead of text" },
  },
  async run({ args }) {
    return runPrune(await loadContext(args), { dry_run: args["dry-run"] === true, json: args.json === true });
  },
});
