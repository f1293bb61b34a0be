// The reservation guard's one check (SPEC §11), shared by `hook pre-tool-use` and `guard pre-commit`: may this session change these paths?
import { isAbsolute, relative, resolve, sep } from "node:path";
import { CoordClient } from "../api/client.ts";
import type { PathHold } from "../api/reservations.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import { escapeGlob } from "../core/glob-overlap.ts";
import { MAX_RESERVATION_PATHS } from "../core/reservations.ts";
import { type ClientContext, type RepoAuth, repoAuth, requireSession } from "./context.ts";
import { askHolderCommand, distinctHolders, holdLine } from "./reservation-text.ts";

/** The longest the guard waits for the service, in ms: it runs before every edit, so a hung service must not stall the agent (SPEC §4's 10 s would). */
export const GUARD_TIMEOUT_MS = 3000;

/** The guard's answer: allowed (with an optional one-line warning for stderr), or blocked with the reason for stderr. */
export type GuardVerdict = { allowed: true; warning?: string } | { allowed: false; reason: string };

/**
 * `file` (absolute, or relative to `cwd`) as a path relative to the checkout `root`, with `/`
 * separators; undefined when it lies outside the checkout (the guard allows those).
 */
export function repoRelative(root: string, file: string, cwd: string = root): string | undefined {
  const rel = relative(resolve(root), resolve(cwd, file));
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

/** The text of a refusal: what is held, by whom, until when, and the ACTION (ask the holder with the exact command, or work elsewhere). */
export function blockedText(holds: readonly PathHold[], what: string): string {
  const unique = distinctHolders(holds);
  return [
    `BLOCKED: ${what} reserved by another session (claude-coord reservations).`,
    ...holds.map((h) => `  ${holdLine(h)}`),
    `ACTION REQUIRED: Work on paths outside ${unique.map((h) => h.held_by.path).join(", ")} for now, or ask the holder to release ${unique.length === 1 ? "it" : "them"}:`,
    ...unique.map(askHolderCommand),
  ].join("\n");
}

/** This checkout's session id (flag, environment, or the id saved by `hook session-start`), or null when none is known. */
export function sessionIfKnown(ctx: ClientContext): string | null {
  try {
    return requireSession(ctx);
  } catch (e) {
    if (e instanceof CoordError) return null;
    throw e;
  }
}

/** Why the guard could not check: one line. */
function cannotCheck(e: CoordError): string {
  const where = typeof e.details.service_url === "string" ? ` at ${e.details.service_url}` : "";
  return `${e.code}${where}: ${e.message}`;
}

/**
 * Asks the service which of `paths` (repo-relative file paths, taken literally) another session
 * than `session_id` (null: any session) reserves exclusively, 50 paths a request. Shared
 * reservations never block. When the service cannot answer (unreachable, stale token, not
 * whitelisted, any error): allowed with a one-line warning, or blocked when the config says
 * `guard = "closed"`. Waits at most GUARD_TIMEOUT_MS (or the configured timeout, if shorter). `what` names the change in the refusal ("src/ui/button.tsx is").
 * `auth`: the repo auth when the caller already has it (default: `repoAuth(ctx)`).
 * Never throws: this is an error boundary of the hooks.
 */
export async function guardPaths(ctx: ClientContext, session_id: string | null, paths: readonly string[], what: string, auth_promise?: Promise<RepoAuth>): Promise<GuardVerdict> {
  if (paths.length === 0) return { allowed: true };
  try {
    const auth = await (auth_promise ?? repoAuth(ctx));
    const client = new CoordClient({ service_url: ctx.config.service_url, timeout_ms: Math.min(ctx.config.timeout_ms, GUARD_TIMEOUT_MS), get_retries: 0 });
    const holds: PathHold[] = [];
    for (let i = 0; i < paths.length; i += MAX_RESERVATION_PATHS) {
      const chunk = paths.slice(i, i + MAX_RESERVATION_PATHS).map(escapeGlob);
      const r = await client.checkReservations({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, ...(session_id ? { session_id } : {}), paths: chunk });
      holds.push(...r.held.filter((h) => h.held_by.exclusive));
    }
    return holds.length === 0 ? { allowed: true } : { allowed: false, reason: blockedText(holds, what) };
  } catch (e) {
    const why = isCoordError(e) ? cannotCheck(e) : `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
    if (ctx.config.guard === "closed") {
      return {
        allowed: false,
        reason: [
          `BLOCKED: claude-coord cannot check reservations (${why}), and guard = "closed" in .claude-coord.toml blocks changes until it can.`,
          "ACTION REQUIRED: Ask the user to start the coordination service (or set guard = \"open\"), then retry. Check with: claude-coord reservations",
        ].join("\n"),
      };
    }
    return { allowed: true, warning: `claude-coord guard: reservations not checked (${why}); allowed (guard = "open").` };
  }
}
