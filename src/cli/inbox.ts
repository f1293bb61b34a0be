// `claude-coord inbox`: this session's messages (direct and broadcast), --unread and --ack; with the admin token, the human's view of the repo's messages.
import { defineCommand } from "citty";
import type { InboxResponse } from "../api/schemas.ts";
import { sessionPrefix } from "../core/claims.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import { commonArgs } from "./args.ts";
import { type ClientContext, type CommonFlags, loadContext, repoAuth, requireRepo, requireSession } from "./context.ts";
import { asCoordError, errorText, inlineText, type Outcome, printOutcome, processTerminal, quotedBody } from "./output.ts";
import { adminToken, adminTokenArg, ago, parseTime } from "./viewer.ts";

type MessageView = InboxResponse["messages"][number];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * One message as text: a header line (id, unread mark, sender, recipient, time), the subject on
 * one line, and the body quoted (`  > `) as the sender's words — never lines in the tool's own
 * voice (SPEC §16).
 */
export function messageLines(m: MessageView, now_ms: number): string[] {
  const sent = parseTime(m.sent_at);
  return [
    `#${m.id}${m.read ? "" : " UNREAD"} from ${m.from} to ${m.to}, ${m.sent_at}${Number.isNaN(sent) ? "" : ` (${ago(sent, now_ms)})`}`,
    `  Subject: ${inlineText(m.subject)}`,
    `  ${m.from === "human" ? "The human" : `Session ${m.from}`} wrote (quoted; not an instruction from claude-coord):`,
    ...quotedBody(m.body),
  ];
}

/** A session's inbox as text: the count first, the messages oldest first, then what to do next. */
export function inboxText(session: string, r: InboxResponse, opts: { unread_only: boolean; acked: number | undefined }, now_ms: number): string {
  const unread = r.messages.filter((m) => !m.read).length;
  const count =
    r.messages.length === 0
      ? opts.unread_only
        ? "no unread messages"
        : "no messages"
      : opts.unread_only
        ? plural(unread, "unread message", "unread messages")
        : `${plural(r.messages.length, "message", "messages")}, ${unread} unread`;
  const lines = [`=== Inbox of session ${sessionPrefix(session)}: ${count} ===`];
  for (const m of r.messages) lines.push("", ...messageLines(m, now_ms));
  lines.push("");
  if (opts.acked !== undefined) lines.push(`Marked ${plural(opts.acked, "message", "messages")} read.`);
  else if (unread > 0) lines.push("After reading, mark them read: claude-coord inbox --ack");
  lines.push("To reply to a session: claude-coord send --to-session <from> --subject <text> --body <text>");
  return lines.join("\n");
}

/** The human's view (admin token) as text: the repo's recent messages, oldest first. */
export function humanInboxText(repo: string, r: InboxResponse, now_ms: number): string {
  const lines = [`=== Messages of ${repo} (the human's view): ${r.messages.length === 0 ? "none" : plural(r.messages.length, "recent message", "recent messages")} ===`];
  for (const m of r.messages) lines.push("", ...messageLines(m, now_ms));
  lines.push("", "To answer a session: claude-coord send --to-session <session> --subject <text> --body <text>");
  return lines.join("\n");
}

/**
 * The unread messages of `session_id` as a block of text for `hook session-start`: the messages and
 * how to mark them read, `Messages: no unread messages.`, or why they could not be read. Never
 * throws (the hook must print and exit 0 whatever happens); marks nothing read. `onShown` gets the
 * ids of the messages in the text.
 */
export async function unreadSummary(ctx: ClientContext, session_id: string | undefined, onShown?: (ids: number[]) => void): Promise<string> {
  if (session_id === undefined) return "Messages: unknown (no session id, so no inbox to read).";
  try {
    const auth = await repoAuth(ctx);
    const r = await ctx.client.inbox(auth, session_id, { unread: true });
    if (r.messages.length === 0) return "Messages: no unread messages.";
    onShown?.(r.messages.map((m) => m.id));
    const now_ms = Date.now();
    const lines = [`=== Unread messages for session ${sessionPrefix(session_id)}: ${r.messages.length} ===`];
    for (const m of r.messages) lines.push("", ...messageLines(m, now_ms));
    lines.push("", "After reading, mark them read: claude-coord inbox --ack");
    return lines.join("\n");
  } catch (e) {
    if (isCoordError(e, "service_unavailable") || isCoordError(e, "upstream_unavailable") || isCoordError(e, "store_unavailable")) return "Messages: unknown (the coordination service is unavailable).";
    // The tasks section before it already printed the full error and what to do.
    return `Messages: unknown (${asCoordError(e).message})`;
  }
}

/** The flags of `inbox` (and the MCP tool `inbox`). */
export type InboxFlags = CommonFlags & { unread?: boolean; ack?: boolean; "admin-token"?: string };

/**
 * Reads this session's inbox (SPEC §7), marking the unread messages shown read with --ack; with the
 * admin token, the human's view. Returns the outcome (document: the messages, plus `acked` with
 * --ack). Throws CoordError `usage_error` for --unread/--ack with the admin token, and the errors
 * of the request.
 */
export async function inboxOutcome(args: InboxFlags): Promise<Outcome> {
  const admin = adminToken(args["admin-token"]);
  if (admin !== undefined && (args.unread === true || args.ack === true)) {
    throw new CoordError("usage_error", "With the admin token, 'claude-coord inbox' shows the human's view of recent messages, which has no read marks: --unread and --ack need a session.", {
      action: "Run 'claude-coord inbox' with the admin token and without --unread/--ack, or as a session without the admin token.",
    });
  }
  const ctx = await loadContext(args);
  if (admin !== undefined) {
    const repo = requireRepo(ctx);
    const r = await ctx.client.inbox({ repo, admin_token: admin }, undefined);
    return { data: r, text: () => humanInboxText(repo, r, Date.now()) };
  }
  const session_id = requireSession(ctx);
  const auth = await repoAuth(ctx);
  const read = { repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha };
  const r = await ctx.client.inbox(read, session_id, { unread: args.unread === true });
  let acked: number | undefined;
  if (args.ack === true) {
    const ids = r.messages.filter((m) => !m.read).map((m) => m.id);
    acked = ids.length === 0 ? 0 : (await ctx.client.ack({ ...read, session_id, ids })).acked;
  }
  const data = acked === undefined ? r : { ...r, acked };
  return { data, text: () => inboxText(session_id, r, { unread_only: args.unread === true, acked }, Date.now()) };
}

export default defineCommand({
  meta: { name: "inbox", description: "Read this session's messages (--unread: only new ones; --ack: mark those shown read)" },
  args: {
    unread: { type: "boolean", description: "only messages not yet marked read" },
    ack: { type: "boolean", description: "mark the unread messages shown as read" },
    ...commonArgs,
    ...adminTokenArg,
  },
  async run({ args }) {
    return printOutcome(processTerminal, args.json === true, await inboxOutcome(args));
  },
});
