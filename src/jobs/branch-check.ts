// The branch lifecycle job: completes, as branch_removed, active claims whose branch was on the remote and is gone now.
import { completeRemovedBranches } from "../core/claims.ts";
import type { ClaimRecord, ClaimStore } from "../core/store.ts";
import type { WhitelistedRepo } from "../sources/source.ts";

/** The job's memory of which claims' branches were seen on the remote (src/storage/branch-sightings.ts). */
export interface BranchSightings {
  /** The ids among `claim_ids` whose branch was seen at least once. */
  seen(claim_ids: readonly number[]): Promise<Set<number>>;
  /** Records that the branches of `claim_ids` were seen at `seen_at_ms`. */
  record(claim_ids: readonly number[], seen_at_ms: number): Promise<void>;
  /** Forgets sightings of claims that are no longer active. */
  prune(): Promise<number>;
}

/** What one run needs. */
export interface BranchCheckDeps {
  store: ClaimStore;
  sightings: BranchSightings;
  /** Whitelist, keyed by the lowercased repo name. */
  repos: ReadonlyMap<string, WhitelistedRepo>;
  /** Epoch milliseconds. */
  now: () => number;
  log: { info(msg: string): void; warn(msg: string): void };
}

/** What a run did for one repository with active claims. */
export interface BranchCheckResult {
  repo: string;
  /** Active claims of the repo when the run began. */
  claims: number;
  /** Branches listed, or null when the listing failed (then nothing changed). */
  branches: number | null;
  /** Task ids completed as `branch_removed`, in claim order. */
  completed: string[];
  /** Why the repository was skipped (listing failed, not whitelisted, main missing from the listing). */
  skipped?: string;
}

/**
 * One run at `deps.now()`: for each whitelisted repository with active claims, one branch listing
 * (its source's `listBranches`, one request for GitHub up to 100 branches, one ref advertisement for a git URL,
 * a disk read for a local path); repositories without claims cost nothing.
 *
 * A claim is completed as `branch_removed` (core's `completeRemovedBranches`) only when its branch
 * was seen on the remote after the claim was granted (by an earlier run) and is absent from a
 * complete listing now: a session that claims before its first push keeps its claim. Only a
 * definite answer changes anything: a failed listing (401, 403, 404, 5xx, rate limit, network),
 * or a listing without the main branch (not a listing of the repository the service reads), is
 * logged and leaves every claim as it was (DESIGN: never complete claims on 401/403/5xx or rate
 * limiting). Repositories are checked one after another; a failure in one never stops the others.
 * Sightings of claims no longer active are pruned at the end. Throws only what the store throws.
 */
export async function runBranchCheck(deps: BranchCheckDeps): Promise<BranchCheckResult[]> {
  const byRepo = new Map<string, ClaimRecord[]>();
  for (const c of await deps.store.listAllActive()) {
    const list = byRepo.get(c.repo) ?? [];
    list.push(c);
    byRepo.set(c.repo, list);
  }
  const results: BranchCheckResult[] = [];
  for (const [repo, claims] of byRepo) {
    const target = deps.repos.get(repo.toLowerCase());
    const result: BranchCheckResult = { repo, claims: claims.length, branches: null, completed: [] };
    results.push(result);
    if (!target) {
      result.skipped = "not in the whitelist";
      continue;
    }
    let branches: string[];
    try {
      branches = await target.reader.listBranches();
    } catch (e) {
      result.skipped = e instanceof Error ? e.message : String(e);
      deps.log.warn(`branch_check: ${repo}: branches not checked, no claim changed (${result.skipped})`);
      continue;
    }
    result.branches = branches.length;
    const present = new Set(branches);
    if (!present.has(target.main_branch)) {
      result.skipped = `the listing has no branch "${target.main_branch}"`;
      deps.log.warn(`branch_check: ${repo}: ${result.skipped}; not trusted, no claim changed`);
      continue;
    }
    const now_ms = deps.now();
    const seen = await deps.sightings.seen(claims.map((c) => c.id));
    await deps.sightings.record(claims.filter((c) => present.has(c.branch)).map((c) => c.id), now_ms);
    const gone = claims.filter((c) => !present.has(c.branch) && seen.has(c.id));
    if (gone.length === 0) continue;
    // A branch gone from the listing: outcome done (SPEC §10: a merged or deleted branch usually means the work landed).
    const done = await completeRemovedBranches(deps.store, repo, new Map(gone.map((c) => [c.branch, { closed_unmerged: false }])), deps.now, new Set(gone.map((c) => c.id)));
    result.completed = done.map((c) => c.task_id);
    for (const c of done) deps.log.info(`branch_check: completed ${repo} ${c.task_id} fence=${c.fence} (branch ${c.branch} removed)`);
  }
  await deps.sightings.prune();
  return results;
}
