// What `hook session-start` does for the session itself (SPEC §10): take over the worktree's previous session (handover) and register, fetching main first when it moved.
import { sessionPrefix } from "../core/claims.ts";
import { type CoordError, isCoordError } from "../core/errors.ts";
import { readEnv } from "../env.ts";
import { currentBranch } from "../git/checkout.ts";
import { type ClientContext, repoAuth } from "./context.ts";
import { handoverText, requestHandover } from "./handover.ts";
import { fetchDisabled, fetchMovedMain, fetchRequired, movedNote } from "./main-moved.ts";
import { asCoordError } from "./output.ts";

/** What the session start did: lines for the model, and whether the registration heartbeat was sent. */
export interface SessionLife {
  lines: string[];
  registered: boolean;
}

/**
 * Runs `fn`; on a stale token fetches origin's main (unless CLAUDE_COORD_NO_FETCH is set), adds
 * the note to `lines` and runs `fn` once more. Errors other than a stale token, and a stale token
 * that fetching cannot fix, are thrown.
 */
export async function withMainFetched<T>(ctx: ClientContext, lines: string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isCoordError(e, "stale_token")) throw e;
    if (fetchDisabled([], readEnv().no_fetch)) throw fetchRequired(e, ctx.config.main_branch, "fetching is turned off (CLAUDE_COORD_NO_FETCH)");
    lines.push(movedNote(await fetchMovedMain(ctx, e)));
    return fn();
  }
}

/**
 * The session part of a session start: when `previous` (the id saved for this worktree) differs
 * from `session_id`, hands its claim, state and unread messages over (SPEC §10 handover: Claude
 * Code's `/clear` starts a new id in the same worktree); then registers the session with a
 * heartbeat that keeps its state (`registered` when new). Fetches main first when it moved. Never
 * throws: failures become lines (the service being down is left to the tasks section to explain).
 */
export async function startSession(ctx: ClientContext, previous: string | undefined, session_id: string): Promise<SessionLife> {
  const lines: string[] = [];
  let registered = false;
  try {
    await withMainFetched(ctx, lines, async () => {
      const auth = await repoAuth(ctx);
      if (previous !== undefined && previous !== session_id) {
        try {
          lines.push(handoverText(previous, session_id, await requestHandover(ctx, previous, session_id)));
        } catch (e) {
          if (isCoordError(e, "stale_token")) throw e;
          if (isCoordError(e, "not_found")) lines.push(`The previous session of this worktree (${sessionPrefix(previous)}) held no claim and no state: nothing to take over.`);
          else lines.push(`Could not take over from the previous session ${sessionPrefix(previous)}: ${asCoordError(e).message} To try again: claude-coord handover --from ${previous}`);
        }
      }
      const branch = await currentBranch(ctx.checkout);
      if (branch === null) {
        lines.push("Not registered: HEAD is detached, so the branch is unknown (switch to your work branch; claim registers the session).");
        return;
      }
      const r = await ctx.client.heartbeat({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, branch });
      registered = true;
      lines.push(`Registered: session ${r.session} is ${r.state} on branch ${branch}.`);
    });
  } catch (e) {
    // The tasks section explains a stale token, an unknown repo or an unreachable service in full.
    const err: CoordError = asCoordError(e);
    if (!["stale_token", "service_unavailable", "upstream_unavailable", "tls_untrusted", "repo_not_allowed", "config_error"].includes(err.code)) lines.push(`Not registered: ${err.message}`);
  }
  return { lines, registered };
}
