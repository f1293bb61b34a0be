// `claude-coord reserve PATH...`: reserve paths this session is changing (SPEC §11); exit 1 when another session holds one.
import { defineCommand } from "citty";
import { CoordError } from "../core/errors.ts";
import { parseDurationMs } from "../core/time.ts";
import { RESERVATION_TTL } from "../core/reservations.ts";
import { commonArgs } from "./args.ts";
import { type CommonFlags, loadContext, repoAuth, requireSession } from "./context.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";

/** `--ttl` as whole seconds (`2h`, `90m`, `3600`); throws CoordError `usage_error` naming the flag and its bounds. */
export function ttlSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 1000 || ms > RESERVATION_TTL.max_s * 1000) {
    throw new CoordError("usage_error", `--ttl ${JSON.stringify(text)} is not a duration from 1s to 7d.`, {
      action: "Give --ttl as a duration such as 30m, 2h or 1d (default 4h, at most 7d).",
    });
  }
  return Math.round(ms / 1000);
}

/** The flags of `reserve` (and the MCP tool `reserve`): the paths, and --ttl as typed. */
export type ReserveFlags = CommonFlags & { paths: string[]; ttl?: string; shared?: boolean; reason?: string; keep?: boolean };

/**
 * Reserves paths for this session (SPEC §11). Returns the outcome (document: the service's answer,
 * the reservations made). Throws CoordError `usage_error` for no path or a bad --ttl, `conflict`
 * (exit 1) when another session holds one (nothing is reserved then), and the request's errors.
 */
export async function reserveOutcome(args: ReserveFlags): Promise<Outcome> {
  const paths = args.paths;
  if (paths.length === 0) {
    throw new CoordError("usage_error", "'claude-coord reserve' needs at least one path.", { action: "Run 'claude-coord reserve src/ui/** [more paths]' with repo-relative paths or globs." });
  }
  const ttl_s = ttlSeconds(args.ttl);
  const ctx = await loadContext(args);
  const session_id = requireSession(ctx);
  const auth = await repoAuth(ctx);
  const r = await ctx.client.reserve({
    repo: auth.repo,
    token: auth.token,
    commit_sha: auth.commit_sha,
    session_id,
    paths,
    ...(ttl_s === undefined ? {} : { ttl_s }),
    exclusive: args.shared !== true,
    ...(args.reason === undefined ? {} : { reason: args.reason }),
    keep: args.keep === true,
  });
  return {
    data: r,
    text: () =>
      [
        `Reserved ${r.reservations.length === 1 ? "1 path" : `${r.reservations.length} paths`} for this session:`,
        ...r.reservations.map((v) => `  - ${v.path}  ${v.exclusive ? "exclusive" : "shared"}${v.keep ? ", keep" : ""}, until ${v.expires_at} (id ${v.id})`),
        "",
        r.reservations.some((v) => !v.keep)
          ? "They end at their TTL or when your claim completes or is released. Done earlier: claude-coord unreserve --all"
          : "They end at their TTL. Done earlier: claude-coord unreserve --all",
      ].join("\n"),
  };
}

export default defineCommand({
  meta: { name: "reserve", description: "Reserve paths or globs this session is changing (exit 1: another session holds one; nothing is reserved then)" },
  args: {
    paths: { type: "positional", required: false, description: "repo-relative paths or globs: src/ui/**, docs/*.md, a file" },
    ttl: { type: "string", description: "how long: 30m, 2h, 1d (default 4h, at most 7d)", valueHint: "duration" },
    shared: { type: "boolean", description: "shared: other shared reservations may overlap (default exclusive)" },
    reason: { type: "string", description: "why, shown to other sessions", valueHint: "text" },
    keep: { type: "boolean", description: "keep it when this session's claim completes or is released" },
    ...commonArgs,
  },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await reserveOutcome({ ...args, paths: args._.map(String) }));
  },
});
