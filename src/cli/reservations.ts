// `claude-coord reservations`: every live reservation of the repository (SPEC §11), this session's marked.
import { defineCommand } from "citty";
import { sessionPrefix } from "../core/claims.ts";
import { commonArgs } from "./args.ts";
import { loadContext, repoAuth } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";
import { reservationsText } from "./reservation-text.ts";

export default defineCommand({
  meta: { name: "reservations", description: "List the repository's live reservations: path, holder, exclusive or shared, until when" },
  args: { ...commonArgs },
  async run({ args }) {
    const ctx = await loadContext(args);
    const auth = await repoAuth(ctx);
    const r = await ctx.client.reservations({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha });
    const own = ctx.config.session_id ? sessionPrefix(ctx.config.session_id) : undefined;
    return reportResult(processTerminal, args.json === true, r, () => reservationsText(r.reservations, own));
  },
});
