// `claude-coord unreserve (PATH... | --all)`: release this session's reservations (SPEC §11).
import { defineCommand } from "citty";
import { CoordError } from "../core/errors.ts";
import { commonArgs } from "./args.ts";
import { loadContext, repoAuth, requireSession } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";

export default defineCommand({
  meta: { name: "unreserve", description: "Release this session's reservations: the paths named, or --all" },
  args: {
    paths: { type: "positional", required: false, description: "the reserved paths or globs, as reserved" },
    all: { type: "boolean", description: "release every reservation of this session" },
    ...commonArgs,
  },
  async run({ args }) {
    const paths = args._.map(String);
    if ((paths.length > 0) === (args.all === true)) {
      throw new CoordError("usage_error", "'claude-coord unreserve' needs either paths or --all, not both.", { action: "Run 'claude-coord unreserve src/ui/**' or 'claude-coord unreserve --all'." });
    }
    const ctx = await loadContext(args);
    const session_id = requireSession(ctx);
    const auth = await repoAuth(ctx);
    const r = await ctx.client.unreserve({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, ...(args.all === true ? { all: true as const } : { paths }) });
    return reportResult(processTerminal, args.json === true, r, () =>
      [
        r.released.length === 0 ? "Released nothing." : `Released ${r.released.length === 1 ? "1 reservation" : `${r.released.length} reservations`}:`,
        ...r.released.map((v) => `  - ${v.path} (id ${v.id})`),
        ...(r.not_held.length > 0 ? ["", `Not held by this session (nothing to release): ${r.not_held.join(", ")}. See: claude-coord reservations`] : []),
      ].join("\n"),
    );
  },
});
