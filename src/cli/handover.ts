// `claude-coord handover --from OLD_ID`: this session takes over an earlier session's claim, state and unread messages (SPEC §10; `hook session-start` does it by itself after /clear).
import { defineCommand } from "citty";
import type { HandoverResponse } from "../api/schemas.ts";
import { sessionPrefix } from "../core/claims.ts";
import { commonArgs, requireFlag } from "./args.ts";
import { type ClientContext, loadContext, repoAuth, requireSession } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";

/** What a handover did, in words for the model (also used by `hook session-start`). */
export function handoverText(from_session_id: string, session_id: string, r: HandoverResponse): string {
  const lines = [`Took over from session ${sessionPrefix(from_session_id)} (this session: ${sessionPrefix(session_id)}).`];
  if (r.task_id !== null) lines.push(`Claim: task '${r.task_id}', new fence ${r.fence}. The old session id can no longer complete or release it.`);
  else lines.push("Claim: none (the old session held no claim).");
  if (r.state !== null) lines.push(`State: ${r.state}.`);
  if (r.messages > 0) lines.push(`Unread messages moved: ${r.messages}. Read them: claude-coord inbox --unread --ack`);
  if (r.task_id !== null) lines.push("", `When the work is merged, run: claude-coord complete --task ${r.task_id}`);
  return lines.join("\n");
}

/** POST /handover from `from_session_id` to `session_id` with the checkout's repo token. */
export async function requestHandover(ctx: ClientContext, from_session_id: string, session_id: string): Promise<HandoverResponse> {
  const auth = await repoAuth(ctx);
  return ctx.client.handover({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, from_session_id, session_id });
}

export default defineCommand({
  meta: { name: "handover", description: "Take over an earlier session's claim (new fence), state and unread messages: --from OLD_ID (the full id)" },
  args: {
    from: { type: "string", description: "the earlier session's full id (its credential: the proof of the handover)", valueHint: "id" },
    ...commonArgs,
  },
  async run({ args }) {
    const from = requireFlag(args.from, "from", "handover");
    const ctx = await loadContext(args);
    const session_id = requireSession(ctx);
    const r = await requestHandover(ctx, from, session_id);
    return reportResult(processTerminal, args.json === true, r, () => handoverText(from, session_id, r));
  },
});
