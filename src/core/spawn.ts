// The rules of spawn and prune (SPEC §14): branch and worktree names for a task, the worker's prompt, and whether a spawned worktree may be removed.
import type { ClaimsListing } from "./claims.ts";
import { sessionPrefix } from "./claims.ts";
import type { PlanTask } from "./plan.ts";

/** Defaults of the spawn config keys (README "Workers in worktrees"). */
export const SPAWN_DEFAULTS = {
  /** `spawn_branch_prefix`: a task's branch is this prefix followed by the task id. */
  branch_prefix: "claude/",
} as const;

/**
 * A task id as one safe path segment: every run of characters outside `A-Z a-z 0-9 . _ -` becomes
 * one `-`, and leading dots are dropped (so `plan/x y` → `plan-x-y`, `..` → `-`).
 */
export function taskSlug(task_id: string): string {
  const slug = task_id.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^\.+/, "");
  return slug === "" ? "-" : slug;
}

/**
 * The branch of a spawned task: `<prefix><task id>` when that is a valid git branch name
 * (`isValidRef` decides, per git-check-ref-format), else the prefix followed by the id with every
 * run of characters outside `A-Z a-z 0-9 _ -` as one `-` (`a b..c` → `a-b-c`).
 */
export function spawnBranch(prefix: string, task_id: string, isValidRef: (ref: string) => boolean): string {
  const plain = `${prefix}${task_id}`;
  return isValidRef(`refs/heads/${plain}`) ? plain : `${prefix}${task_id.replace(/[^A-Za-z0-9_-]+/g, "-")}`;
}

/** What the worker's prompt is made of. */
export interface PromptInput {
  repo: string;
  task_id: string;
  /** The task as the plan file defines it; undefined for an ad-hoc task no plan file defines. */
  task: Pick<PlanTask, "name" | "steps" | "acceptance_criteria" | "file"> | undefined;
  branch: string;
  worktree: string;
  /** The session's 8-character prefix (its full id is saved for the worktree, never printed). */
  session: string;
  fence: number;
  /** What the branch was created from, e.g. `origin/main`, and its sha. */
  base_ref: string;
  base_sha: string;
  main_branch: string;
}

/**
 * The session prompt written into a spawned worktree (Markdown): the task (name, steps, acceptance
 * criteria), where the worker runs, and the claude-coord workflow: report state, read messages,
 * report stuck, push and open a pull request (never merge), report the PR, complete after merge.
 */
export function promptText(p: PromptInput): string {
  const t = p.task;
  const lines = [
    `# Task ${p.task_id}: ${t?.name ?? "(ad-hoc task: no plan file defines it)"}`,
    "",
    `You are a worker session started by \`claude-coord spawn\` for the repository ${p.repo}.`,
    "",
    `- Worktree: ${p.worktree}`,
    `- Branch: ${p.branch} (created from ${p.base_ref} at ${p.base_sha.slice(0, 12)}); work and commit only here.`,
    `- Session: ${p.session}. Its id is saved for this worktree, so every \`claude-coord\` command run here acts as this session without any environment variable.`,
    `- Claim: task \`${p.task_id}\` is already claimed for this session (fence ${p.fence}). Do not claim another task.`,
    `- Plan file: ${t?.file ?? "(none)"}`,
    "",
    "## Steps",
    "",
    ...(t && t.steps.length > 0 ? t.steps.map((s, i) => `${i + 1}. ${s}`) : ["(the plan gives no steps: read the task and the code, and plan them yourself)"]),
    "",
    "## Acceptance criteria",
    "",
    ...(t && t.acceptance_criteria.length > 0 ? t.acceptance_criteria.map((s) => `- ${s}`) : ["(the plan gives none: the task's name is the goal)"]),
    "",
    "## Workflow (claude-coord)",
    "",
    "1. Report what you do, so the human and the other sessions see it:",
    "   `claude-coord heartbeat --state planning`, then",
    `   \`claude-coord heartbeat --state working --task ${p.task_id} --progress <0-100> --note "<what you do now>"\`.`,
    "2. Read your messages now and then (the human's answers arrive here): `claude-coord inbox --unread --ack`.",
    "3. Stuck on a decision you should not make alone? Say so and wait for the answer in your inbox:",
    '   `claude-coord stuck --reason "<the decision needed>" --context "<what you know>" --option "<choice A>" --option "<choice B>"`.',
    "4. See who else works on what: `claude-coord sessions`, `claude-coord claims`, `claude-coord reservations`.",
    `   Reserve the paths you are about to change, so no other session edits them meanwhile: \`claude-coord reserve '<path or glob>' --reason "${p.task_id}"\` (free them with \`claude-coord unreserve --all\`).`,
    `5. Commit on ${p.branch}, push it (\`git push -u origin ${p.branch}\`) and open a pull request against ${p.main_branch}. Never merge it yourself: the human reviews and merges.`,
    `6. When the pull request is open: \`claude-coord heartbeat --state complete --task ${p.task_id} --pr <pull request URL>\`.`,
    `7. When it is merged: \`claude-coord complete --task ${p.task_id} --pr <pull request URL>\`. The orchestrator's \`claude-coord prune\` then removes this worktree.`,
    `8. If you cannot or should not finish the task, give it back (any session may take it at once): \`claude-coord release --task ${p.task_id}\`.`,
    "",
  ];
  return lines.join("\n");
}

/** What prune knows about one spawned worktree. */
export interface PruneFacts {
  task_id: string;
  /** The worktree's branch. */
  branch: string;
  /**
   * The sessions the worktree has been: the id saved for it now (a handover may have replaced the
   * spawned one) and the one spawn made (its 8-character prefix, from the spawn record).
   */
  session_ids: string[];
  /** The service's claims; undefined when the service could not be asked. */
  listing: ClaimsListing | undefined;
  /** The branch holds commits beyond its base, all of them in main. */
  merged: boolean;
  /** The main ref merged was checked against, e.g. `origin/main`. */
  main_ref: string;
  /** Paths `git status` lists in the worktree (uncommitted or untracked). */
  uncommitted: string[];
  /** Commits on the branch (or the worktree's HEAD) that are on no remote and not in main. */
  unpushed: number;
  /** The worktree contains the directory prune runs in. */
  is_current: boolean;
}

/** What prune does with one spawned worktree, and why (one sentence each). */
export type PruneDecision =
  | { action: "remove"; why: string }
  | { action: "keep"; why: string }
  | { action: "refuse"; why: string; problems: string[] };

/**
 * Decides one spawned worktree (SPEC §14). It is removable when its claim ended — no active claim
 * on the task is held by one of the worktree's sessions or on its branch any more (completed,
 * released, expired: a `recently_completed` entry names how, with its `outcome` when the service
 * gives one; a session that started in the worktree without taking the claim over does not end
 * it) — or when
 * its branch is merged into main. A removable worktree with uncommitted changes, unpushed commits,
 * or that prune runs inside, is refused with each problem named. Everything else is kept. With
 * the service unknown (`listing` undefined) only a merged branch counts.
 */
export function pruneDecision(f: PruneFacts): PruneDecision {
  const ours = new Set(f.session_ids.filter((s) => s !== "").map(sessionPrefix));
  const mine = sessionPrefix(f.session_ids.find((s) => s !== "") ?? "?");
  let ended: string | undefined;
  if (f.listing) {
    const active = f.listing.active.some((c) => c.task_id === f.task_id && (ours.has(c.session) || c.branch === f.branch));
    if (!active) {
      const done = f.listing.recently_completed.find((c) => c.task_id === f.task_id && (ours.has(c.session) || c.branch === f.branch)) as
        | (ClaimsListing["recently_completed"][number] & { outcome?: string })
        | undefined;
      ended = done
        ? `its claim ended (${done.outcome ? `${done.outcome}, ` : ""}${done.completion_reason} at ${done.completed_at})`
        : `its session ${mine} holds no active claim on ${f.task_id} any more`;
    }
  }
  const merged = f.merged ? `its branch is merged into ${f.main_ref}` : undefined;
  const why = [ended, merged].filter((x): x is string => x !== undefined).join(" and ");
  if (why === "") {
    return { action: "keep", why: f.listing ? `its claim on ${f.task_id} is still active and the branch is not merged` : "the claims are unknown (service unavailable) and the branch is not merged" };
  }
  const problems: string[] = [];
  if (f.uncommitted.length > 0) problems.push(`${f.uncommitted.length} uncommitted ${f.uncommitted.length === 1 ? "change" : "changes"} (${f.uncommitted.slice(0, 5).join(", ")}${f.uncommitted.length > 5 ? ", ..." : ""})`);
  if (f.unpushed > 0) problems.push(`${f.unpushed} unpushed ${f.unpushed === 1 ? "commit" : "commits"} (on no remote and not in ${f.main_ref})`);
  if (f.is_current) problems.push("prune runs inside it");
  return problems.length > 0 ? { action: "refuse", why, problems } : { action: "remove", why };
}
