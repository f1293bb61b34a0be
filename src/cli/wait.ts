// `claude-coord wait [--timeout D]`: the review gate (SPEC §13) — blocks until the human approves (exit 0), rejects (exit 1) or the time is up (exit 2).
import { defineCommand } from "citty";
import type { Directive, DirectiveResponse } from "../api/schemas.ts";
import { CoordError } from "../core/errors.ts";
import { parseDurationMs } from "../core/time.ts";
import { commonArgs } from "./args.ts";
import { type ClientContext, loadContext, repoAuth, requireSession } from "./context.ts";
import { directiveLines } from "./directive.ts";
import { processTerminal } from "./output.ts";

/** How long `wait` waits without --timeout: under Claude Code's longest Bash tool timeout (10 minutes). */
export const DEFAULT_WAIT_MS = 9 * 60_000;
/** How often the directive is read, in ms. */
export const WAIT_POLL_MS = 1000;

/** Exit codes of `wait` (SPEC §13). */
export const WAIT_EXIT = { approved: 0, rejected: 1, timeout: 2 } as const;

/** Parses --timeout (a duration such as 90s, 10m, 2h; a bare number is seconds); throws CoordError `usage_error` naming the flag. */
export function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_WAIT_MS;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) {
    throw new CoordError("usage_error", `--timeout must be a duration such as 90s, 10m or 2h, got '${text}'.`, { field: "timeout", action: "Pass --timeout with a duration, for example --timeout 10m." });
  }
  return ms;
}

/** The decision a directive is for `wait`: approve and resume let the session go on, reject sends it back; none (or a pause) keeps waiting. */
export function decisionOf(d: Directive | null): "go" | "rejected" | undefined {
  if (d?.action === "approve" || d?.action === "resume") return "go";
  if (d?.action === "reject") return "rejected";
  return undefined;
}

/**
 * Reads this session's directive every `poll_ms` until the human decides or `timeout_ms` passes.
 * Returns the last answer and the decision (undefined: timed out). Throws the client's errors
 * (service unavailable, stale token, ...).
 */
export async function waitForDecision(ctx: ClientContext, session_id: string, timeout_ms: number, poll_ms = WAIT_POLL_MS): Promise<{ r: DirectiveResponse; decision: "go" | "rejected" | undefined }> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const a = await repoAuth(ctx);
    const r = await ctx.client.directive({ repo: a.repo, token: a.token, commit_sha: a.commit_sha }, session_id);
    const decision = decisionOf(r.directive);
    const left = deadline - Date.now();
    if (decision !== undefined || left <= 0) return { r, decision };
    await Bun.sleep(Math.min(poll_ms, left));
  }
}

export default defineCommand({
  meta: { name: "wait", description: "Wait for the human's decision: exit 0 approved (or resumed), 1 rejected (with the message), 2 timed out" },
  args: {
    timeout: { type: "string", description: "how long to wait (default 9m, under Claude Code's Bash tool limit)", valueHint: "duration" },
    ...commonArgs,
  },
  async run({ args }) {
    const timeout_ms = parseTimeout(args.timeout);
    const ctx = await loadContext(args);
    const session_id = requireSession(ctx);
    const { r, decision } = await waitForDecision(ctx, session_id, timeout_ms);
    const code = decision === "go" ? WAIT_EXIT.approved : decision === "rejected" ? WAIT_EXIT.rejected : WAIT_EXIT.timeout;
    if (args.json === true) {
      processTerminal.out(JSON.stringify({ status: decision === "go" ? "approved" : decision ?? "timeout", session: r.session, state: r.state, directive: r.directive }, null, 2));
      return code;
    }
    if (decision === undefined) {
      processTerminal.err(
        [`ERROR: No decision from the human within ${args.timeout ?? "9m"} (session ${r.session} is ${r.state ?? "unknown"}).`, "", "ACTION REQUIRED: claude-coord wait"].join("\n"),
      );
      return code;
    }
    const lines = directiveLines(r.directive);
    (decision === "go" ? processTerminal.out : processTerminal.err)(lines.join("\n"));
    return code;
  },
});
