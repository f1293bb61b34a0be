// Routes of SPEC §13's controls: the human pauses, resumes, approves or rejects a session; a session reads its directive.
import { Elysia } from "elysia";
import { ControlBody, RepoQuery } from "../api/schemas.ts";
import { type ControlStore, controlSession, directiveOf } from "../core/controls.ts";
import { CoordError } from "../core/errors.ts";
import { sessionPrefix } from "../core/session-id.ts";
import { type SessionPolicy, sessionView } from "../core/sessions.ts";
import type { ClaimStore } from "../core/store.ts";
import type { Clock } from "../core/time.ts";
import { checkAccess, hasAdminToken, parseJsonObject, whitelisted } from "./access.ts";
import type { WhitelistedRepo } from "../sources/source.ts";

/** What the control routes need. */
export interface ControlDeps {
  repos: ReadonlyMap<string, WhitelistedRepo>;
  admin_tokens: readonly string[];
  clock: Clock;
  /** The store whose transactions run the use case (`controlSession`). */
  claims: ClaimStore;
  controls: ControlStore;
  session_policy: SessionPolicy;
}

/**
 * The Elysia plugin of SPEC §13's controls:
 * - `POST /sessions/control` {repo, session, action, message} — admin token only (401 otherwise,
 *   after the body's shape (400) and the whitelist (403)): runs `controlSession` (pause → paused,
 *   resume → the state before, approve → working, reject → planning, with a heartbeat event) and
 *   answers `{status:"ok", session, action, state}`.
 * - `GET /sessions/directive` (repo token, header `X-Session-Id`) — the caller's state and latest
 *   directive, for `claude-coord wait` and the PreToolUse guard.
 */
export function controlRoutes(deps: ControlDeps) {
  const { clock, controls } = deps;
  return new Elysia({ name: "controls" })
    .post(
      "/sessions/control",
      async ({ body, request }) => {
        const entry = whitelisted(deps.repos, body.repo);
        if (!hasAdminToken(request.headers.get("authorization"), deps.admin_tokens)) {
          throw new CoordError("unauthorized", "Pausing, resuming, approving or rejecting a session requires an admin token: send 'Authorization: Bearer <admin token>'.");
        }
        const message = body.message?.trim() ? body.message.trim() : null;
        const s = await controlSession(deps.claims, { repo: entry.name, session: body.session, action: body.action, message }, clock, {
          listed_ms: deps.session_policy.listed_ms,
          view: (rec, now_ms) => sessionView(rec, now_ms, deps.session_policy),
        });
        return { status: "ok" as const, session: sessionPrefix(s.session_id), action: body.action, state: s.state };
      },
      { body: ControlBody, parse: parseJsonObject },
    )
    .get(
      "/sessions/directive",
      async ({ query, request }) => {
        const { entry } = await checkAccess(deps.repos, deps.admin_tokens, null, query, "query");
        const session_id = request.headers.get("x-session-id");
        if (session_id === null || session_id === "") {
          throw new CoordError("invalid_request", "Invalid request: header 'X-Session-Id' is required (your session id; it never goes in the URL).", { field: "X-Session-Id" });
        }
        // Two reads by key: a guard asks before every tool call, so the cost must not grow with the repo's sessions.
        const { session: s, control } = await controls.getSessionAndControl(entry.name, session_id);
        const listed = s !== undefined && s.last_heartbeat_ms >= clock() - deps.session_policy.listed_ms;
        return { session: sessionPrefix(session_id), state: listed ? s.state : null, directive: directiveOf(control) };
      },
      { query: RepoQuery },
    );
}
