// `claude-coord hook session-start` and `hook activity`: Claude Code's hooks — save the session id, hand over and register, print the tasks, claims and unread messages as model context; never fail.
import { appendFileSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { parseHookInput, readBounded } from "./hook-input.ts";
import { isatty } from "node:tty";
import { defineCommand } from "citty";
import { CoordError } from "../core/errors.ts";
import { readEnv } from "../env.ts";
import { readActivity, writeActivity } from "./activity-state.ts";
import { type ClientContext, loadContext, savedSessionId, sessionFile } from "./context.ts";
import { startSession } from "./session-life.ts";
import { unreadSummary } from "./inbox.ts";
import { asCoordError, cleanText, errorText, processTerminal } from "./output.ts";
import { discoverLocal, tasksText } from "./tasks.ts";

export { type HookInput, parseHookInput, readBounded } from "./hook-input.ts";

/** True for a session id the service and a shell can take: 1–200 characters, no whitespace or control characters. */
export function isSessionId(id: string): boolean {
  return id.length >= 1 && id.length <= 200 && !/[\s\p{Cc}]/u.test(id);
}

/** `value` quoted for a POSIX shell (single quotes; an embedded quote as '\''). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * Saves `id` as this worktree's session id (`sessionFile`: `<HEAD git dir>/claude-coord-session-id`,
 * written atomically, the id and a newline). Throws the file system's error.
 */
export function saveSessionId(ctx: ClientContext, id: string): string {
  const file = sessionFile(ctx.checkout);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${id}\n`);
  renameSync(tmp, file);
  return file;
}

/**
 * Appends `export CLAUDE_COORD_SESSION_ID='<id>'` to Claude Code's env file (applied to the
 * session's later Bash calls), unless the file already holds that exact line. Throws the file
 * system's error.
 */
export function exportToEnvFile(envFile: string, id: string): void {
  const line = `export CLAUDE_COORD_SESSION_ID=${shellQuote(id)}`;
  const text = existsSync(envFile) && statSync(envFile).isFile() ? readFileSync(envFile, "utf8") : "";
  if (text.split("\n").includes(line)) return;
  appendFileSync(envFile, `${text === "" || text.endsWith("\n") ? "" : "\n"}${line}\n`);
}

/** What every SessionStart section gets. */
export interface SessionStartState {
  ctx: ClientContext;
  /** The session's id (hook input, else flag or environment); undefined when none is known. */
  session_id: string | undefined;
  /** Why the session started: startup, resume, clear, compact (or `unknown`). */
  source: string;
  /** Message ids a section put in the context (so `hook activity` does not show them again). */
  shown: number[];
}

/**
 * One block of the hook's output. Returns its text (no trailing newline) and never throws: a
 * failure is written into the text as `ERROR: ... ACTION REQUIRED: ...` (SPEC §4), because Claude Code
 * gives the model only a SessionStart hook's stdout.
 */
export type SessionStartSection = (s: SessionStartState) => Promise<string>;

/** The text of a section that threw (a bug: sections report their own errors): the domain error's text, or the message. */
function sectionFailure(e: unknown): string {
  if (e instanceof CoordError) return errorText(e, "hook session-start");
  return [
    `ERROR: claude-coord could not finish the session-start report: ${e instanceof Error ? e.message : String(e)}`,
    "",
    "ACTION REQUIRED: Run 'claude-coord claims' to see the coordination state.",
  ].join("\n");
}

/**
 * The coordination state as `claude-coord tasks` shows it (SPEC §8): available tasks by priority,
 * claimed ones (this session's marked, ad-hoc claims included), blocked, done, recent completions,
 * and the command to run next. With the service unavailable: the plan's tasks with claims unknown,
 * then the service-unavailable guidance. Any other failure (no repo, stale token, not whitelisted):
 * its error text.
 */
export const stateSection: SessionStartSection = async (s) => {
  try {
    const { repo, head_sha, discovery, failure } = await discoverLocal(s.ctx, s.session_id, { claims_optional: true });
    const text = tasksText(repo, head_sha, discovery);
    return failure ? `${text}\n\n${errorText(failure, "tasks")}` : text;
  } catch (e) {
    return errorText(asCoordError(e), "tasks");
  }
};

/** This session's unread messages (SPEC §7), never marked read here; their ids are remembered as shown. */
export const messagesSection: SessionStartSection = (s) => unreadSummary(s.ctx, s.session_id, (ids) => s.shown.push(...ids));

/**
 * The workflow in a few lines, so a model that never read the README knows it (SPEC §10). One
 * entry per step; other features add theirs here (reservations, SPEC §11).
 */
export const WORKFLOW_STEPS: string[] = [
  "1. See the work: claude-coord tasks (available, claimed, blocked).",
  "2. Before starting, claim one: claude-coord claim --next (or claim --task <id>; exit 1 = taken: pick another).",
  "   Before editing files another session may touch: claude-coord reserve <path or glob>... (edits of paths another session reserved are refused).",
  "3. While working: claude-coord heartbeat --state working --progress <0-100>; when you need the human's decision: claude-coord stuck --reason <text>.",
  "4. When it is merged: claude-coord complete --task <id> [--pr <url>]; to give it back unfinished: claude-coord release --task <id>.",
  "Messages for you appear in this context as you work; answer with claude-coord send --to-human (or --to-session <prefix>) --subject <text> --body <text>.",
];

/** The workflow section: `WORKFLOW_STEPS` under a title. */
export const workflowSection: SessionStartSection = async () => ["=== claude-coord workflow ===", ...WORKFLOW_STEPS].join("\n");

/**
 * The sections printed after the session header, in order, separated by a blank line: the tasks
 * and claims, unread messages, then the workflow.
 */
export const SESSION_START_SECTIONS: readonly SessionStartSection[] = [stateSection, messagesSection, workflowSection];

/**
 * The whole SessionStart output for hook JSON `stdin`: a header naming the session and where its id
 * was saved (and exported to `env.claude_env_file`), then each section. `flags` override the repo
 * and (below the hook input) the session id. Never throws: every failure becomes text.
 */
export async function sessionStartText(
  stdin: string,
  flags: { repo?: string; "session-id"?: string },
  opts: { cwd?: string; sections?: readonly SessionStartSection[] } = {},
): Promise<string> {
  const { input, problem } = parseHookInput(stdin);
  const source = input.source ?? "unknown";
  const head = [`=== claude-coord: session start (${source}) ===`];
  if (problem) head.push(`Note: ${problem}; continuing without it.`);
  const cwd = input.cwd && existsSync(input.cwd) && statSync(input.cwd).isDirectory() ? input.cwd : (opts.cwd ?? process.cwd());
  let ctx: ClientContext;
  try {
    ctx = await loadContext({ repo: flags.repo }, cwd);
  } catch (e) {
    return [...head, "", errorText(asCoordError(e), "hook session-start")].join("\n");
  }
  const session_id = input.session_id ?? flags["session-id"] ?? ctx.config.session_id;
  const previous = savedSessionId(ctx);
  if (session_id === undefined) {
    head.push("Session: unknown (no session_id in the hook input). claim and complete need CLAUDE_COORD_SESSION_ID or --session-id.");
  } else if (!isSessionId(session_id)) {
    head.push(`Session: the id ${JSON.stringify(session_id.slice(0, 80))} has whitespace or is over 200 characters, so it was not saved. claim and complete need --session-id.`);
  } else {
    try {
      const file = saveSessionId(ctx, session_id);
      head.push(`Session: ${session_id} (saved in ${file}: claude-coord claim and complete use it in this worktree)`);
    } catch (e) {
      head.push(`Session: ${session_id} (could not be saved: ${e instanceof Error ? e.message : String(e)}; pass --session-id ${session_id} to claim and complete)`);
    }
    const envFile = readEnv().claude_env_file;
    if (envFile) {
      try {
        exportToEnvFile(envFile, session_id);
      } catch (e) {
        head.push(`Note: could not write CLAUDE_COORD_SESSION_ID to CLAUDE_ENV_FILE ${envFile}: ${e instanceof Error ? e.message : String(e)}.`);
      }
    }
  }
  const valid = session_id !== undefined && isSessionId(session_id) ? session_id : undefined;
  let registered = false;
  if (valid !== undefined) {
    const life = await startSession(ctx, previous !== undefined && isSessionId(previous) ? previous : undefined, valid);
    head.push(...life.lines);
    registered = life.registered;
  }
  const state: SessionStartState = { ctx, session_id: valid, source, shown: [] };
  const blocks = await Promise.all((opts.sections ?? SESSION_START_SECTIONS).map((section) => section(state).catch(sectionFailure)));
  if (valid !== undefined) {
    // `hook activity` starts from here: the heartbeat just sent, and the messages just shown.
    try {
      const before = readActivity(ctx.checkout.head_gitdir, valid);
      writeActivity(ctx.checkout.head_gitdir, { session_id: valid, last_heartbeat_ms: registered ? Date.now() : before.last_heartbeat_ms, shown: [...before.shown, ...state.shown] });
    } catch {
      // Only a later repeat of the same messages is at stake.
    }
  }
  return [head.join("\n"), ...blocks].join("\n\n");
}

/** The hook events `claude-coord hook` knows. */
export const HOOK_EVENTS = ["session-start", "activity", "pre-tool-use"] as const;

export default defineCommand({
  meta: {
    name: "hook",
    description:
      "Run as a Claude Code hook: 'hook session-start' (saves the session id, hands over, registers, prints the state), 'hook activity' (throttled heartbeat, new messages as context), 'hook pre-tool-use' (refuses, exit 2, an edit of a path another session reserves)",
  },
  args: {
    event: { type: "positional", description: `the hook event: ${HOOK_EVENTS.join(", ")}`, required: true, valueHint: "event" },
    repo: { type: "string", description: "owner/name of the repository (default: .claude-coord.toml, CLAUDE_COORD_REPO)", valueHint: "owner/name" },
    "session-id": { type: "string", description: "the session id when the hook input has none (default: CLAUDE_COORD_SESSION_ID, CLAUDE_CODE_SESSION_ID)", valueHint: "id" },
  },
  async run({ args }) {
    if (args.event === "activity") {
      const { runActivityHook } = await import("./hook-activity.ts");
      return runActivityHook();
    }
    if (args.event === "pre-tool-use") {
      // Runs before every edit an agent makes: its module is loaded only here.
      const { preToolUse } = await import("./pre-tool-use.ts");
      const r = await preToolUse(isatty(0) ? "" : await readBounded(Bun.stdin.stream()));
      if (r.stderr) processTerminal.err(r.stderr);
      return r.code;
    }
    if (args.event !== "session-start") {
      throw new CoordError("usage_error", `Unknown hook event '${args.event}'; the events are: ${HOOK_EVENTS.join(", ")}.`, {
        action: "Use 'claude-coord hook session-start' as the command of a SessionStart hook.",
      });
    }
    const stdin = isatty(0) ? "" : await readBounded(Bun.stdin.stream());
    processTerminal.out(cleanText(await sessionStartText(stdin, { repo: args.repo, "session-id": args["session-id"] })));
    return 0;
  },
});
