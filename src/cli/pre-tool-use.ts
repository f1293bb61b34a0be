// `claude-coord hook pre-tool-use`: Claude Code's PreToolUse hook — refuses every tool while the human paused the session, and an edit of a path another session reserves (exit 2, reason on stderr).
import { existsSync, statSync } from "node:fs";
import { type ClientContext, loadContext, type RepoAuth, repoAuth } from "./context.ts";
import { type GuardVerdict, guardPaths, repoRelative, sessionIfKnown } from "./guard-check.ts";
import { pauseCheck } from "./pause-check.ts";

/**
 * The tools that change files, and where their hook input names the file (Claude Code's hooks
 * reference: `tool_input.file_path` for Edit, Write and MultiEdit, `tool_input.notebook_path` for
 * NotebookEdit; absolute paths).
 */
export const FILE_EDIT_TOOLS: Readonly<Record<string, "file_path" | "notebook_path">> = {
  Edit: "file_path",
  Write: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
};

/** The fields of Claude Code's PreToolUse JSON the guard reads; all optional. */
export interface PreToolUseInput {
  session_id?: string;
  cwd?: string;
  hook_event_name?: string;
  tool_name?: string;
  /** The file the tool changes (absolute), for the tools of FILE_EDIT_TOOLS. */
  file?: string;
}

/** The PreToolUse JSON on stdin as PreToolUseInput; a field of the wrong type is left out. Throws nothing. */
export function parsePreToolUse(text: string): PreToolUseInput {
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    o = parsed as Record<string, unknown>;
  } catch {
    return {};
  }
  const s = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const tool_name = s(o.tool_name);
  const input = (typeof o.tool_input === "object" && o.tool_input !== null ? o.tool_input : {}) as Record<string, unknown>;
  const field = tool_name === undefined ? undefined : FILE_EDIT_TOOLS[tool_name];
  return { session_id: s(o.session_id), cwd: s(o.cwd), hook_event_name: s(o.hook_event_name), tool_name, file: field ? s(input[field]) : undefined };
}

/** What every PreToolUse check gets: the input, the checkout context and its repo auth (each loaded once, lazily, shared by the checks). */
export interface PreToolUseState {
  input: PreToolUseInput;
  context(): Promise<ClientContext | undefined>;
  /** `repoAuth` of the context (the repo token read from the checkout once for every check); rejects as `repoAuth` does. */
  auth(ctx: ClientContext): Promise<RepoAuth>;
}

/** One check of the hook: a verdict, or undefined when it has nothing to say. Checks must not throw. */
export type PreToolUseCheck = (s: PreToolUseState) => Promise<GuardVerdict | undefined>;

/**
 * The reservation guard (SPEC §11): for a file-editing tool whose file lies inside the checkout of
 * `cwd`, asks whether another session reserves it exclusively. Other tools, files outside the
 * checkout and checkouts without a configured repo are not its business.
 */
export const reservationCheck: PreToolUseCheck = async (s) => {
  const { input } = s;
  if (input.file === undefined) return undefined;
  const ctx = await s.context();
  if (ctx === undefined || ctx.config.repo === undefined) return undefined;
  const rel = repoRelative(ctx.checkout.root, input.file, input.cwd ?? ctx.checkout.root);
  if (rel === undefined) return undefined;
  const session_id = input.session_id ?? sessionIfKnown(ctx);
  return guardPaths(ctx, session_id, [rel], `${rel} is`, s.auth(ctx));
};

/**
 * The checks of `hook pre-tool-use`, in order; the first that blocks decides, warnings of the
 * others are kept: the human's pause (SPEC §13, every tool), then reservations (SPEC §11, edits).
 */
export const PRE_TOOL_USE_CHECKS: PreToolUseCheck[] = [pauseCheck, reservationCheck];

/**
 * Runs the checks on hook JSON `stdin` and answers the exit code and stderr (Claude Code: exit 2
 * blocks the tool call and shows stderr to the model; exit 0 allows; stdout is not used). The
 * checks run at the same time (each asks the service once, so an edit waits for one round trip,
 * not one per check) and are read in order: the first that blocks decides, whichever answered
 * first. A checkout is looked up only when a check asks for it. Never throws: a check that throws
 * has nothing to say.
 */
export async function preToolUse(stdin: string, opts: { cwd?: string; checks?: readonly PreToolUseCheck[] } = {}): Promise<{ code: 0 | 2; stderr: string }> {
  const input = parsePreToolUse(stdin);
  let loaded: Promise<ClientContext | undefined> | undefined;
  let auth: Promise<RepoAuth> | undefined;
  const state: PreToolUseState = {
    input,
    context: () => {
      const dir = input.cwd && existsSync(input.cwd) && statSync(input.cwd).isDirectory() ? input.cwd : (opts.cwd ?? process.cwd());
      loaded ??= loadContext({}, dir).catch(() => undefined);
      return loaded;
    },
    auth: (ctx) => (auth ??= repoAuth(ctx)),
  };
  const verdicts = (opts.checks ?? PRE_TOOL_USE_CHECKS).map((check) => check(state).catch(() => undefined));
  const warnings: string[] = [];
  for (const verdict of verdicts) {
    const v = await verdict;
    if (v === undefined) continue;
    if (!v.allowed) return { code: 2, stderr: v.reason };
    if (v.warning) warnings.push(v.warning);
  }
  return { code: 0, stderr: warnings.join("\n") };
}
