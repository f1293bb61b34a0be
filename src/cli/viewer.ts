// What the session and message commands share: acting as a session or as the human (admin token), read access, and ages for display.
import { existsSync, readFileSync } from "node:fs";
import type { ReadAuth } from "../api/client.ts";
import { readEnv } from "../env.ts";
import { type ClientContext, repoAuth, requireRepo, sessionFile } from "./context.ts";

/** --admin-token: the operator's token; with it a command acts as the human (SPEC §7). */
export const adminTokenArg = {
  "admin-token": {
    type: "string",
    description: "act as the human with the service's admin token (default: CLAUDE_COORD_ADMIN_TOKEN); no session, no repo token",
    valueHint: "token",
  },
} as const;

/** The admin token: the flag, else CLAUDE_COORD_ADMIN_TOKEN; undefined when neither is set. */
export function adminToken(flag: string | undefined): string | undefined {
  return flag !== undefined && flag !== "" ? flag : readEnv().admin_token;
}

/**
 * This session's id when one is known (flag, environment, or the id `hook session-start` saved for
 * this worktree), else undefined. `requireSession` is the variant that insists.
 */
export function knownSession(ctx: ClientContext): string | undefined {
  if (ctx.config.session_id) return ctx.config.session_id;
  const saved = sessionFile(ctx.checkout);
  if (!existsSync(saved)) return undefined;
  const id = readFileSync(saved, "utf8").trim();
  return id === "" ? undefined : id;
}

/** Read access and the repo: the admin token when given (no token computed: `head_sha` null), else the repo token at the local main. */
export async function readAccess(ctx: ClientContext, admin_token: string | undefined): Promise<{ auth: ReadAuth; repo: string; head_sha: string | null }> {
  if (admin_token !== undefined) {
    const repo = requireRepo(ctx);
    return { auth: { repo, admin_token }, repo, head_sha: null };
  }
  const a = await repoAuth(ctx);
  return { auth: { repo: a.repo, token: a.token, commit_sha: a.commit_sha }, repo: a.repo, head_sha: a.commit_sha };
}

/** How long ago `then_ms` was at `now_ms`, for people and models: `40s ago`, `12m ago`, `3h 5m ago`, `2d 4h ago`; `just now` for the future. */
export function ago(then_ms: number, now_ms: number): string {
  const s = Math.floor((now_ms - then_ms) / 1000);
  if (s < 1) return "just now";
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h ago` : `${h}h ${m % 60}m ago`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d ago` : `${d}d ${h % 24}h ago`;
}

/** Parses an RFC 3339 timestamp of the API into epoch ms (NaN when it is not one). */
export function parseTime(text: string): number {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : Number.NaN;
}
