// `claude-coord unreserve (PATH... | --all)`: release this session's reservations (SPEC §11).
import { defineCommand } from "citty";
import { CoordError } from "../core/errors.ts";
import { commonArgs } from "./args.ts";
import { type CommonFlags, loadContext, repoAuth, requireSession } from "./context.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";

/**
 * Releases this session's reservations (SPEC §11): `paths`, or every one with `all`. Returns the
 * outcome (document: released and not_held). Throws CoordError `usage_error` for both or neither,
 * and the request's errors.
 */
export async function unreserveOutcome(args: CommonFlags & { paths: string[]; all?: boolean }): Promise<Outcome> {
  const paths = args.paths;
  if ((paths.length > 0) === (args.all === true)) {
    throw new CoordError("usage_error", "'claude-coord unreserve' needs either paths or --all, not both.", { action: "Run 'claude-coord unreserve src/ui/**' or 'claude-coord unreserve --all'." });
  }
  const ctx = await loadContext(args);
  const session_id = requireSession(ctx);
  const auth = await repoAuth(ctx);
  const r = await ctx.client.unreserve({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, ...(args.all === true ? { all: true as const } : { paths }) });
  return {
    data: r,
    text: () =>
      [
        r.released.length === 0 ? "Released nothing." : `Released ${r.released.length === 1 ? "1 reservation" : `${r.released.length} reservations`}:`,
        ...r.released.map((v) => `  - ${v.path} (id ${v.id})`),
        ...(r.not_held.length > 0 ? ["", `Not held by this session (nothing to release): ${r.not_held.join(", ")}. See: claude-coord reservations`] : []),
      ].join("\n"),
  };
}

export default defineCommand({
  meta: { name: "unreserve", description: "Release this session's reservations: the paths named, or --all" },
  args: {
    paths: { type: "positional", required: false, description: "the reserved paths or globs, as reserved" },
    all: { type: "boolean", description: "release every reservation of this session" },
    ...commonArgs,
  },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await unreserveOutcome({ ...args, paths: args._.map(String) }));
  },
});
