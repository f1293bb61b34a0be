// The PreToolUse check of SPEC §13: while the human has paused this session, every tool is denied with the human's message and ACTION `claude-coord wait`.
import { CoordClient } from "../api/client.ts";
import { directiveLines } from "./directive.ts";
import { GUARD_TIMEOUT_MS, sessionIfKnown } from "./guard-check.ts";
import type { PreToolUseCheck } from "./pre-tool-use.ts";

/**
 * Asks the service for the session's directive (`GET /sessions/directive`, at most
 * `GUARD_TIMEOUT_MS`); when it is `pause`, blocks the tool — whatever the tool — with the human's
 * message quoted and `ACTION REQUIRED: claude-coord wait`. Without a checkout, a configured repo or
 * a session id it has nothing to say; when the service cannot be asked it says nothing either (the
 * reservation check warns once for that, and a pause the guard cannot see still reaches the session
 * through its next heartbeat).
 */
export const pauseCheck: PreToolUseCheck = async (s) => {
  const ctx = await s.context();
  if (ctx === undefined || ctx.config.repo === undefined) return undefined;
  const session_id = s.input.session_id ?? sessionIfKnown(ctx);
  if (session_id === null) return undefined;
  try {
    const a = await s.auth(ctx);
    const client = new CoordClient({ service_url: ctx.config.service_url, timeout_ms: Math.min(ctx.config.timeout_ms, GUARD_TIMEOUT_MS), get_retries: 0 });
    const r = await client.directive({ repo: a.repo, token: a.token, commit_sha: a.commit_sha }, session_id);
    if (r.directive?.action !== "pause") return undefined;
    const tool = s.input.tool_name;
    return {
      allowed: false,
      reason: [
        `ERROR: This session (${r.session}) is paused by the human${tool ? `: ${tool} is denied` : ""}; every tool is denied until the human resumes it.`,
        ...directiveLines(r.directive).slice(1, -1),
        "",
        "ACTION REQUIRED: claude-coord wait",
      ].join("\n"),
    };
  } catch {
    // Silent: the reservation check already warns once when the service cannot answer (SPEC §11's one line).
    return undefined;
  }
};
