// The claim rules of SPEC §3: compare-and-swap, one claim per session, ownership, expiry and lifecycle.
import { CoordError } from "./errors.ts";
import { endReservationsWithClaim } from "./reservations.ts";
import { type Admission, admitSession, checkSessionAddress, matchesSessionAddress, SESSION_PREFIX_LENGTH, sessionPrefix } from "./session-id.ts";
import type { ControlRecord } from "./controls.ts";
import { type SessionState, writeHeldSessionState, writeSessionState } from "./sessions.ts";
import type { ClaimRecord, ClaimStore, ClaimTx, CompletionReason, Outcome } from "./store.ts";
import { type Clock, toRfc3339 } from "./time.ts";
import type { ActiveClaimView, CompletedClaimView } from "./views.ts";

/** Lifecycle settings, in milliseconds. */
export interface ClaimPolicy {
  /** An active claim older than this is expired: treated as absent when read, deleted by the job. Default 10 days. */
  claim_ttl_ms: number;
  /** A completed claim older than this is no longer listed, and deleted by the job. Default 24 hours. */
  completed_ttl_ms: number;
}

/** The defaults of SPEC §3: claims live 10 days, completions are listed for 24 hours. */
export const DEFAULT_POLICY: ClaimPolicy = { claim_ttl_ms: 10 * 86_400_000, completed_ttl_ms: 86_400_000 };

export { SESSION_PREFIX_LENGTH, sessionPrefix } from "./session-id.ts";

/** A claim request that has passed shape validation and the token check. */
export interface ClaimRequest {
  repo: string;
  session_id: string;
  task_id: string;
  branch: string;
  plan_file: string;
}

export type { ActiveClaimView, CompletedClaimView };

/** True when an active claim is past its TTL at `now_ms` (SPEC §3: it counts as expired whether or not the job ran). */
export function isExpired(claim: ClaimRecord, now_ms: number, policy: ClaimPolicy): boolean {
  return claim.completed_at_ms === null && claim.claimed_at_ms + policy.claim_ttl_ms <= now_ms;
}

/** Renders an active claim for a listing. */
export function activeView(c: ClaimRecord): ActiveClaimView {
  return {
    session: sessionPrefix(c.session_id),
    task_id: c.task_id,
    branch: c.branch,
    plan_file: c.plan_file,
    claimed_at: toRfc3339(c.claimed_at_ms),
    fence: c.fence,
  };
}

/**
 * The outcome a completion reason has by default (SPEC §10): `client_completed` and
 * `branch_removed` → done (a merged or deleted branch usually means the work landed), `released`
 * and `admin_expired` → freed. `branch_removed` is freed only when the service knows the branch's
 * pull request was closed without merging: the caller says so with `closed_unmerged`.
 */
export function outcomeOf(reason: CompletionReason, closed_unmerged = false): Outcome {
  if (reason === "released" || reason === "admin_expired") return "freed";
  if (reason === "branch_removed" && closed_unmerged) return "freed";
  return "done";
}

/** Renders a completed claim for a listing; a row stored before outcomes existed gets its reason's default outcome. */
export function completedView(c: ClaimRecord): CompletedClaimView {
  const reason = c.completion_reason ?? "client_completed";
  return {
    ...activeView(c),
    completed_at: toRfc3339(c.completed_at_ms ?? c.claimed_at_ms),
    completion_reason: reason,
    outcome: c.outcome ?? outcomeOf(reason),
    pr_url: c.pr_url ?? null,
  };
}

/** How `finishClaim` ends a claim: why, what it means for the task, and the PR it names. */
export interface Completion {
  reason: CompletionReason;
  outcome: Outcome;
  pr_url?: string | null;
}

/**
 * Inside `tx`: ends `holder` at the transaction's time with `completion`, logs `event` (the
 * completion as listings show it), and resolves to the completed record.
 */
export async function finishClaim(tx: ClaimTx, holder: ClaimRecord, completion: Completion, event: "completed" | "expired" | "released"): Promise<ClaimRecord> {
  await tx.markCompleted(holder.id, completion.reason, tx.now_ms, { outcome: completion.outcome, pr_url: completion.pr_url ?? null });
  const done: ClaimRecord = { ...holder, completed_at_ms: tx.now_ms, completion_reason: completion.reason, outcome: completion.outcome, pr_url: completion.pr_url ?? null };
  await tx.appendEvent(holder.repo, event, completedView(done), tx.now_ms);
  return done;
}

/**
 * Inside `tx`: the caller's live claim on `req.task_id`. Rejects with CoordError `not_found` when
 * the task has no live active claim, `forbidden` when another session holds it.
 */
export async function ownClaim(tx: ClaimTx, req: { repo: string; session_id: string; task_id: string }, policy: ClaimPolicy): Promise<ClaimRecord> {
  const holder = await live(tx, await tx.activeByTask(req.repo, req.task_id), policy);
  if (!holder) throw new CoordError("not_found", `No active claim for task '${req.task_id}'.`, { task_id: req.task_id });
  if (holder.session_id !== req.session_id) {
    throw new CoordError("forbidden", `Task '${req.task_id}' is claimed by a different session.`, {
      task_id: req.task_id,
      claimed_by: { session: sessionPrefix(holder.session_id), branch: holder.branch, claimed_at: toRfc3339(holder.claimed_at_ms) },
    });
  }
  return holder;
}

/**
 * Inside `tx`: the holder's session record drops `c`'s task after the claim ended without the
 * session finishing it (released or expired): no task, no progress, `note` saying what happened,
 * and `working` back to `registered`; logged as a heartbeat event. A session on another task (or
 * none) is left alone. The last heartbeat time is kept (this is not a heartbeat).
 */
export async function dropTaskFromSession(tx: ClaimTx, c: ClaimRecord, note: string): Promise<void> {
  const s = await tx.getSession(c.repo, c.session_id);
  if (!s || s.task_id !== c.task_id) return;
  await tx.putSession({ ...s, task_id: null, progress: null, note, state: s.state === "working" ? "registered" : s.state });
}

/** `claim` when it is live at `tx.now_ms`; a claim past the TTL is deleted on the way and counts as absent. */
export async function live(tx: ClaimTx, claim: ClaimRecord | undefined, policy: ClaimPolicy): Promise<ClaimRecord | undefined> {
  if (claim && isExpired(claim, tx.now_ms, policy)) {
    await tx.deleteClaim(claim.id);
    return undefined;
  }
  return claim;
}

/** The answer to a granted claim (SPEC §3). `created` is false for an idempotent re-claim. */
export interface ClaimGranted {
  status: "claimed";
  task_id: string;
  fence: number;
  created: boolean;
  claim: ClaimRecord;
  /** The human's control of the session as the grant committed it (SPEC §13: its directive goes in the answer), if any. */
  control: ControlRecord | undefined;
}

/**
 * Grants `req` when the task is unclaimed and the session holds no other claim, in one write
 * transaction stamped at the transaction's time (`clock` read after the lock is taken; the
 * database's partial unique indexes back the rule up across processes).
 * The same session claiming the same task again gets the same claim and fence back. In the same
 * transaction the session's state becomes `working` on the task (progress, note and PR cleared),
 * with its `heartbeat` event, so a client sends one request (SPEC §7); the answer carries the
 * session's control as of that commit (no read after it).
 * Claims past the TTL are deleted on the way (SPEC §3: timeout-expired claims are not kept).
 *
 * Rejects with CoordError `conflict` (details.claimed_by: {session, branch, claimed_at}) when another
 * session holds the task, `session_has_claim` (details.current_claim: {task_id, branch, claimed_at})
 * when this session holds another task. With `admission` (the service's routes), first admits the
 * session id in the same transaction (`admitSession`: `session_prefix_taken`, and what its
 * `on_new_session` throws).
 */
export function claimTask(store: ClaimStore, req: ClaimRequest, clock: Clock, policy: ClaimPolicy, admission?: Admission): Promise<ClaimGranted> {
  return store.transact(clock, async (tx) => {
    if (admission) await admitSession(tx, req.repo, req.session_id, admission);
    const granted = await grant(tx, req, policy);
    const { control } = await writeHeldSessionState(tx, { ...WORKING, repo: req.repo, session_id: req.session_id, branch: req.branch, task_id: granted.task_id });
    return { ...granted, control };
  });
}

/** What a granted claim sets on its session: working on the task, the progress, note and PR of an earlier task cleared. */
const WORKING = { state: "working" as SessionState, progress: null, note: null, pr_url: null };

/** The claim rules of `claimTask` inside its transaction: the holder's claim back, a refusal, or a new claim with its event. */
async function grant(tx: ClaimTx, req: ClaimRequest, policy: ClaimPolicy): Promise<Omit<ClaimGranted, "control">> {
  const found = await tx.activeByTaskAndSession(req.repo, req.task_id, req.session_id);
  const holder = await live(tx, found.by_task, policy);
  if (holder) {
    if (holder.session_id === req.session_id) {
      return { status: "claimed", task_id: holder.task_id, fence: holder.fence, created: false, claim: holder };
    }
    throw new CoordError("conflict", `Task '${req.task_id}' is already claimed by another session.`, {
      task_id: req.task_id,
      claimed_by: { session: sessionPrefix(holder.session_id), branch: holder.branch, claimed_at: toRfc3339(holder.claimed_at_ms) },
    });
  }
  // The session's own claim on this task was the holder: past the TTL it is deleted now and counts as absent.
  const own = found.by_session !== undefined && found.by_session.id !== found.by_task?.id ? await live(tx, found.by_session, policy) : undefined;
  if (own) {
    throw new CoordError("session_has_claim", `This session already has an active claim on task '${own.task_id}'.`, {
      task_id: req.task_id,
      current_claim: { task_id: own.task_id, branch: own.branch, plan_file: own.plan_file, claimed_at: toRfc3339(own.claimed_at_ms), fence: own.fence },
    });
  }
  const claim = await tx.insertActive({ ...req, fence: await tx.nextFence(), claimed_at_ms: tx.now_ms });
  await tx.appendEvent(req.repo, "claimed", activeView(claim), tx.now_ms);
  return { status: "claimed", task_id: claim.task_id, fence: claim.fence, created: true, claim };
}

/**
 * Completes the session's active claim on `task_id` with `client_completed`, at the transaction's
 * time; in the same transaction the session's state becomes `complete` on the task (on the claim's
 * branch; its other reported fields kept, its PR when `pr_url` is given: SPEC §10 `complete --pr`,
 * which the completion keeps too, outcome `done`), with its `heartbeat` event; and its
 * reservations not reserved with `keep` end (SPEC §11).
 * Rejects with CoordError `not_found` when the task has no live active claim, `forbidden` when another
 * session holds it. Returns the completed record.
 */
export function completeTask(
  store: ClaimStore,
  req: { repo: string; session_id: string; task_id: string; pr_url?: string | null },
  clock: Clock,
  policy: ClaimPolicy,
): Promise<ClaimRecord> {
  return store.transact(clock, async (tx) => {
    const holder = await ownClaim(tx, req, policy);
    const done = await finishClaim(tx, holder, { reason: "client_completed", outcome: "done", pr_url: req.pr_url ?? null }, "completed");
    await writeSessionState(tx, {
      repo: req.repo,
      session_id: req.session_id,
      branch: holder.branch,
      state: "complete",
      task_id: holder.task_id,
      ...(req.pr_url ? { pr_url: req.pr_url } : {}),
    });
    await endReservationsWithClaim(tx, req.repo, holder.session_id);
    return done;
  });
}

/** Which active claim an operator expires: by task, or by a session's 8-character prefix or full id (SPEC §16). */
export type ExpireTarget = { task_id: string } | { session: string };

/**
 * Expires (moves to recently completed with `admin_expired`, outcome `freed`: SPEC §10) the active
 * claim named by `target`; in the same transaction the holder's session record drops the task and
 * its session's reservations not reserved with `keep` end (SPEC §11).
 * Rejects with CoordError `invalid_request` (field `session`) for a session address that is
 * neither exactly 8 characters nor a full id, `not_found` when nothing live matches, `ambiguous`
 * (details.sessions: the 8-char prefixes) when a prefix matches several sessions.
 */
export async function expireClaim(store: ClaimStore, repo: string, target: ExpireTarget, clock: Clock, policy: ClaimPolicy): Promise<ClaimRecord> {
  if ("session" in target) checkSessionAddress(target.session, "session");
  return store.transact(clock, async (tx) => {
    let matches: ClaimRecord[];
    if ("task_id" in target) {
      const c = await live(tx, await tx.activeByTask(repo, target.task_id), policy);
      matches = c ? [c] : [];
    } else {
      matches = [];
      for (const c of await tx.activeBySessionPrefix(repo, target.session.slice(0, SESSION_PREFIX_LENGTH))) {
        if (!matchesSessionAddress(c.session_id, target.session)) continue;
        const l = await live(tx, c, policy);
        if (l) matches.push(l);
      }
    }
    const what = "task_id" in target ? `task '${target.task_id}'` : `session '${target.session}'`;
    if (matches.length === 0) throw new CoordError("not_found", `No active claim for ${what}.`);
    if (matches.length > 1) {
      throw new CoordError("ambiguous", `Session prefix '${"session" in target ? target.session : ""}' matches ${matches.length} sessions; give the full session id.`, {
        sessions: matches.map((c) => sessionPrefix(c.session_id)),
      });
    }
    const done = await finishClaim(tx, matches[0]!, { reason: "admin_expired", outcome: "freed" }, "expired");
    // SPEC §10: the task is open again, and `sessions` no longer shows its holder working on it.
    await dropTaskFromSession(tx, done, `claim on task '${done.task_id}' expired by an operator`);
    await endReservationsWithClaim(tx, repo, done.session_id);
    return done;
  });
}

/**
 * Completes every live active claim of `repo` whose branch is a key of `removed_branches`, with
 * `branch_removed` (the branch lifecycle job and webhooks), at the transaction's time; outcome
 * `freed` when the value says the branch's pull request was closed without merging, else `done`
 * (SPEC §10). When
 * `only_claim_ids` is given, only claims with those ids are candidates (the job: a claim granted
 * after its branch listing is never touched). The candidates are listed first; each is completed
 * only when it is still the task's active claim inside the transaction, ending its session's
 * reservations not reserved with `keep` (SPEC §11). Returns the completed records.
 */
export async function completeRemovedBranches(
  store: ClaimStore,
  repo: string,
  removed_branches: ReadonlyMap<string, { closed_unmerged: boolean }>,
  clock: Clock,
  only_claim_ids?: ReadonlySet<number>,
): Promise<ClaimRecord[]> {
  const candidates = (await store.listActive(repo, 0)).filter(
    (c) => removed_branches.has(c.branch) && (only_claim_ids === undefined || only_claim_ids.has(c.id)),
  );
  if (candidates.length === 0) return [];
  return store.transact(clock, async (tx) => {
    const done: ClaimRecord[] = [];
    for (const c of candidates) {
      const live = await tx.activeByTask(repo, c.task_id);
      if (!live || live.id !== c.id) continue;
      const outcome = outcomeOf("branch_removed", removed_branches.get(c.branch)?.closed_unmerged === true);
      done.push(await finishClaim(tx, c, { reason: "branch_removed", outcome }, "completed"));
      await endReservationsWithClaim(tx, repo, c.session_id);
    }
    return done;
  });
}

/** The listing of SPEC §3 `GET /claims`: live active claims and completions of the last `completed_ttl_ms`. */
export interface ClaimsListing {
  active: ActiveClaimView[];
  recently_completed: CompletedClaimView[];
}

/** Lists `repo`'s live claims at `now_ms`: active ones within the claim TTL, completions within the completed TTL. */
export async function listClaims(store: ClaimStore, repo: string, now_ms: number, policy: ClaimPolicy): Promise<ClaimsListing> {
  return {
    active: (await store.listActive(repo, now_ms - policy.claim_ttl_ms + 1)).map(activeView),
    recently_completed: (await store.listCompleted(repo, now_ms - policy.completed_ttl_ms + 1)).map(completedView),
  };
}

/**
 * The housekeeping sweep of the jobs: deletes active claims past the claim TTL and completions
 * past the completed TTL. Returns the counts. Correctness never waits for it.
 */
export async function sweepClaims(store: ClaimStore, now_ms: number, policy: ClaimPolicy): Promise<{ expired: number; forgotten: number }> {
  return {
    expired: await store.deleteActiveClaimedBefore(now_ms - policy.claim_ttl_ms + 1),
    forgotten: await store.deleteCompletedBefore(now_ms - policy.completed_ttl_ms + 1),
  };
}
