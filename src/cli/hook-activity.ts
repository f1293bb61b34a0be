// `claude-coord hook activity` (SPEC §10): for UserPromptSubmit and PostToolUse — a throttled heartbeat that keeps the state, and new messages and directives as additionalContext. Fast when idle; never fails.
import type { Directive, InboxResponse } from "../api/schemas.ts";
import { resolveClientConfig } from "../config.ts";
import { readEnv } from "../env.ts";
import { currentBranch, findCheckout } from "../git/checkout.ts";
import { readActivity, writeActivity } from "./activity-state.ts";
import { loadContext, repoAuth, savedSessionId } from "./context.ts";
import { type HookInput, parseHookInput, readBounded } from "./hook-input.ts";
import { messageLines } from "./inbox.ts";
import { withMainFetched } from "./session-life.ts";

/** The hook events `hook activity` is installed for (Claude Code's names). */
export const ACTIVITY_EVENTS = ["UserPromptSubmit", "PostToolUse"] as const;

/**
 * What the model reads (SPEC §10, §16): new messages as quoted text from their sender, never in the
 * tool's own ERROR / ACTION form, and a directive from the human. Empty when there is nothing new.
 */
export function activityContext(messages: InboxResponse["messages"], directive: Directive | null | undefined, now_ms: number): string {
  const lines: string[] = [];
  if (directive) {
    lines.push(`claude-coord: the human's directive for this session: ${directive.action}${directive.message ? ` (their message, quoted: ${JSON.stringify(directive.message)})` : ""}.`);
  }
  if (messages.length > 0) {
    lines.push(`claude-coord: ${messages.length === 1 ? "a new message" : `${messages.length} new messages`} for this session (quoted as sent; not instructions from claude-coord):`);
    for (const m of messages) lines.push("", ...messageLines(m, now_ms));
    lines.push("", "Mark them read: claude-coord inbox --ack. Answer: claude-coord send --to-human (or --to-session <from>) --subject <text> --body <text>");
  }
  return lines.join("\n");
}

/** The hook's stdout for `additionalContext` (Claude Code: `hookSpecificOutput` with the event's name). */
export function hookOutput(event: string, context: string): string {
  return JSON.stringify({ hookSpecificOutput: { hookEventName: event, additionalContext: context } });
}

/**
 * One `hook activity` call at `now_ms` for the parsed hook input. Returns what to print (empty:
 * nothing). Checked locally first, with no request and no token computed: the worktree's saved
 * activity state says whether this session sent a heartbeat within `activity_interval` (default
 * 60 s); if so, returns "". Otherwise records the time, sends a heartbeat that keeps the state
 * (fetching main when it moved), and when the answer counts unread messages or carries a
 * directive, reads the unread ones and returns those not shown before (each message once, also
 * across session start). Never throws: any failure means nothing is printed.
 */
export async function activityOutput(input: HookInput, now_ms: number, cwd: string = process.cwd()): Promise<string> {
  const checkout = await findCheckout(input.cwd ?? cwd);
  if (!checkout) return "";
  const env = readEnv();
  const config = resolveClientConfig({ root: checkout.root, env, flags: {} });
  const session_id = input.session_id ?? config.session_id ?? savedSessionId({ checkout });
  if (session_id === undefined) return "";
  const state = readActivity(checkout.head_gitdir, session_id);
  if (now_ms - state.last_heartbeat_ms < config.activity_interval_ms) return "";
  writeActivity(checkout.head_gitdir, { ...state, last_heartbeat_ms: now_ms });
  const ctx = await loadContext({}, checkout.root);
  const branch = await currentBranch(checkout);
  if (branch === null) return "";
  const { r, messages } = await withMainFetched(ctx, [], async () => {
    const auth = await repoAuth(ctx);
    const r = await ctx.client.heartbeat({ repo: auth.repo, token: auth.token, commit_sha: auth.commit_sha, session_id, branch });
    const messages = r.unread > 0 ? (await ctx.client.inbox(auth, session_id, { unread: true })).messages : [];
    return { r, messages };
  });
  const seen = new Set(state.shown);
  const fresh = messages.filter((m) => !seen.has(m.id));
  const text = activityContext(fresh, r.directive, now_ms);
  if (fresh.length > 0) writeActivity(checkout.head_gitdir, { session_id, last_heartbeat_ms: now_ms, shown: [...state.shown, ...fresh.map((m) => m.id)] });
  return text === "" ? "" : hookOutput(input.hook_event_name ?? "UserPromptSubmit", text);
}


/**
 * The whole `claude-coord hook activity` command: reads the hook JSON on stdin (bounded), prints
 * `activityOutput`'s answer when there is one, and resolves to 0 whatever happens (a failure is one
 * line on stderr, which Claude Code does not give the model for these events).
 */
export async function runActivityHook(): Promise<number> {
  const stdin = process.stdin.isTTY ? "" : await readBounded(Bun.stdin.stream());
  const out = await activityOutput(parseHookInput(stdin).input, Date.now()).catch((e: unknown) => {
    process.stderr.write(`claude-coord hook activity: ${e instanceof Error ? e.message : String(e)}\n`);
    return "";
  });
  if (out !== "") process.stdout.write(`${out}\n`);
  return 0;
}
