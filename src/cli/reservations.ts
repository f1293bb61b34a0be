// `claude-coord reservations`: every live reservation of the repository (SPEC §11), this session's marked.
import { defineCommand } from "citty";
import { sessionPrefix } from "../core/claims.ts";
import { commonArgs } from "./args.ts";
import { type CommonFlags, loadContext, repoAuth } from "./context.ts";
import { type Outcome, printOutcome, processTerminal } from "./output.ts";
import { reservationsText } from "./reservation-text.ts";

/** The repository's live reservations (SPEC §11). Returns the outcome (document: the service's listing). Throws the request's errors. */
export async function reservationsOutcome(args: CommonFlags): Promise<Outcome> {
  const ctx = await loadContext(args);
  const auth = await repoAuth(ctx);
  const r = await ctx.client.reservations({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha });
  const own = ctx.config.session_id ? sessionPrefix(ctx.config.session_id) : undefined;
  return { data: r, text: () => reservationsText(r.reservations, own) };
}

export default defineCommand({
  meta: { name: "reservations", description: "List the repository's live reservations: path, holder, exclusive or shared, until when" },
  args: { ...commonArgs },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await reservationsOutcome(args));
  },
});
