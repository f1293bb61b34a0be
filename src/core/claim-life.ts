// A claim's life around the session holding it (SPEC §10): release and handover, each one use case in one transaction with its events.
import { activeView, type ClaimPolicy, dropTaskFromSession, finishClaim, live, ownClaim, sessionPrefix } from "./claims.ts";
import { CoordError } from "./errors.ts";
import { endReservationsWithClaim } from "./reservations.ts";
import { DEFAULT_SESSION_POLICY, sessionView } from "./sessions.ts";
import type { ClaimRecord, ClaimStore } from "./store.ts";
import { type Clock, toRfc3339 } from "./time.ts";

/**
 * `POST /release` (SPEC §10): the owner gives its claim back: it moves to recently completed with
 * `released`, outcome `freed` (the task is available at once), and in the same transaction the
 * session record drops the task and its reservations not reserved with `keep` end (SPEC §11). Rejects with CoordError `not_found` / `forbidden` as
 * `completeTask`. Resolves to the released claim.
 */
export function releaseClaim(store: ClaimStore, req: { repo: string; session_id: string; task_id: string }, clock: Clock, policy: ClaimPolicy): Promise<ClaimRecord> {
  return store.transact(clock, async (tx) => {
    const c = await finishClaim(tx, await ownClaim(tx, req, policy), { reason: "released", outcome: "freed" }, "released");
    await dropTaskFromSession(tx, c, `released task '${c.task_id}'`);
    await endReservationsWithClaim(tx, req.repo, c.session_id);
    return c;
  });
}

/** What a handover moved (SPEC §10 `POST /handover`). */
export interface HandoverOutcome {
  status: "handed_over";
  /** The claim's task and its new fence; null when the old session held no claim. */
  task_id: string | null;
  fence: number | null;
  /** The state the new session has now (the old one's), or null when the old session had no record. */
  state: string | null;
  /** Unread direct messages moved to the new session. */
  messages: number;
}

/**
 * `POST /handover` (SPEC §10), in one transaction: `session_id` (a new id in the same worktree,
 * e.g. after `/clear`) takes over `from_session_id`'s live active claim with a NEW fence (the old
 * id is fenced out: its complete and release get 403), its session record (state, task, progress,
 * note, stuck, PR; the old record becomes `cancelled`, "handed over to <prefix>") and its unread
 * direct messages (broadcasts the old session read count as read for the new one). The full old id
 * is the proof. Rejects with CoordError `invalid_request` when both ids are equal, `not_found` when
 * the old session holds no claim and has no record (or a `cancelled` one), `session_has_claim`
 * when the new session holds a claim of its own; nothing changes then.
 */
export function handOver(store: ClaimStore, req: { repo: string; from_session_id: string; session_id: string }, clock: Clock, policy: ClaimPolicy): Promise<HandoverOutcome> {
  if (req.from_session_id === req.session_id) {
    return Promise.reject(
      new CoordError("invalid_request", "Invalid request body: field 'from_session_id' must differ from 'session_id' (a session cannot take over from itself).", { field: "from_session_id" }),
    );
  }
  return store.transact(clock, async (tx) => {
    const found = await tx.getSession(req.repo, req.from_session_id);
    // A cancelled session (one that already handed over, or said it stopped) has no state worth carrying.
    const old = found?.state === "cancelled" ? undefined : found;
    const claim = await live(tx, await tx.activeBySession(req.repo, req.from_session_id), policy);
    if (!old && !claim) {
      throw new CoordError("not_found", "The old session holds no claim and has no state to hand over.", {
        action: "Nothing to take over: run 'claude-coord tasks' and claim a task for this session.",
      });
    }
    let moved: ClaimRecord | null = null;
    if (claim) {
      const own = await live(tx, await tx.activeBySession(req.repo, req.session_id), policy);
      if (own) {
        throw new CoordError("session_has_claim", `This session already has an active claim on task '${own.task_id}', so it cannot take over '${claim.task_id}'.`, {
          task_id: claim.task_id,
          current_claim: { task_id: own.task_id, branch: own.branch, plan_file: own.plan_file, claimed_at: toRfc3339(own.claimed_at_ms), fence: own.fence },
        });
      }
      const fence = await tx.nextFence();
      await tx.reassign(claim.id, req.session_id, fence);
      moved = { ...claim, session_id: req.session_id, fence };
      await tx.appendEvent(req.repo, "claimed", activeView(moved), tx.now_ms);
    }
    if (old) {
      const mine = await tx.getSession(req.repo, req.session_id);
      const next = { ...old, session_id: req.session_id, task_id: moved?.task_id ?? old.task_id, first_seen_ms: mine?.first_seen_ms ?? tx.now_ms, last_heartbeat_ms: tx.now_ms };
      const retired = { ...old, state: "cancelled" as const, task_id: null, progress: null, stuck: null, note: `handed over to ${sessionPrefix(req.session_id)}` };
      await tx.putSession(next);
      await tx.putSession(retired);
      for (const s of [next, retired]) await tx.appendEvent(req.repo, "heartbeat", sessionView(s, tx.now_ms, DEFAULT_SESSION_POLICY), tx.now_ms);
    }
    const messages = await tx.transferUnread(req.repo, req.from_session_id, req.session_id, tx.now_ms);
    return { status: "handed_over", task_id: moved?.task_id ?? null, fence: moved?.fence ?? null, state: old?.state ?? null, messages };
  });
}
