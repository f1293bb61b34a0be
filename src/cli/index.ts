// The command map (lazily loaded, one file per command), help and version, and the error boundary → exit codes.
import { type CommandDef, renderUsage, runCommand } from "citty";
import { CoordError, isCoordError } from "../core/errors.ts";
import { VERSION } from "../version.ts";
import { checkFlags } from "./args.ts";
import { EXIT, processTerminal, reportError, type Terminal } from "./output.ts";

type Loader = () => Promise<CommandDef>;

/** Every command, loaded only when called (so `claims` never loads the server). */
export const COMMANDS: Record<string, { description: string; load: Loader }> = {
  claims: { description: "List active and recently completed claims", load: () => import("./claims.ts").then((m) => m.default as CommandDef) },
  tasks: { description: "List the plan's tasks: available, claimed, blocked, done", load: () => import("./tasks.ts").then((m) => m.default as CommandDef) },
  claim: { description: "Claim a task (--task ID or --next) for this session (exit 1: taken, 3: you hold another)", load: () => import("./claim.ts").then((m) => m.default as CommandDef) },
  complete: { description: "Complete this session's claim on a task (--pr URL: the pull request)", load: () => import("./complete.ts").then((m) => m.default as CommandDef) },
  release: { description: "Give this session's claim back unfinished: the task is open again at once", load: () => import("./release.ts").then((m) => m.default as CommandDef) },
  handover: { description: "Take over an earlier session's claim, state and messages: --from OLD_ID", load: () => import("./handover.ts").then((m) => m.default as CommandDef) },
  expire: { description: "Expire a claim by task or session prefix (operators)", load: () => import("./expire.ts").then((m) => m.default as CommandDef) },
  heartbeat: { description: "Report this session's state: --state S [--task T] [--progress N] [--note TEXT] [--pr URL]", load: () => import("./heartbeat.ts").then((m) => m.default as CommandDef) },
  stuck: { description: "Report that this session needs a decision: --reason TEXT [--context TEXT] [--option A ...]", load: () => import("./stuck.ts").then((m) => m.default as CommandDef) },
  sessions: { description: "List the sessions of the last 24 hours: state, task, progress, stuck, stale", load: () => import("./sessions.ts").then((m) => m.default as CommandDef) },
  send: { description: "Send a message: --broadcast | --to-task T | --to-branch B | --to-session S, --subject, --body", load: () => import("./send.ts").then((m) => m.default as CommandDef) },
  inbox: { description: "Read this session's messages (--unread, --ack)", load: () => import("./inbox.ts").then((m) => m.default as CommandDef) },
  watch: { description: "Live view of sessions and claims for the human (--once: one frame)", load: () => import("./watch.ts").then((m) => m.default as CommandDef) },
  board: { description: "The whole state as Markdown (STATUS_BOARD.md)", load: () => import("./board.ts").then((m) => m.default as CommandDef) },
  spawn: { description: "Start workers: per task a branch, a worktree beside the checkout, a new session holding the claim, the prompt (--exec runs the agent)", load: () => import("./spawn.ts").then((m) => m.default as CommandDef) },
  prune: { description: "Remove spawned worktrees whose claim ended or whose branch is merged (never with unsaved work; --dry-run)", load: () => import("./prune.ts").then((m) => m.default as CommandDef) },
  reserve: { description: "Reserve paths this session is changing: PATH... [--ttl 2h] [--shared] [--reason T] [--keep] (exit 1: held)", load: () => import("./reserve.ts").then((m) => m.default as CommandDef) },
  reservations: { description: "List the live reservations: path, holder, exclusive or shared, until when", load: () => import("./reservations.ts").then((m) => m.default as CommandDef) },
  unreserve: { description: "Release this session's reservations: PATH... or --all", load: () => import("./unreserve.ts").then((m) => m.default as CommandDef) },
  guard: { description: "'guard pre-commit': refuse a commit (exit 1) of staged paths another session reserves", load: () => import("./guard.ts").then((m) => m.default as CommandDef) },
  pause: { description: "The human pauses a session (admin token): SESSION [--message M]; its tools are denied until resume", load: () => import("./control.ts").then((m) => m.pause) },
  resume: { description: "The human resumes a paused session (admin token): SESSION [--message M]", load: () => import("./control.ts").then((m) => m.resume) },
  approve: { description: "The human approves a session's plan (admin token): SESSION [--message M]", load: () => import("./control.ts").then((m) => m.approve) },
  reject: { description: "The human rejects a session's plan (admin token): SESSION [--message M]", load: () => import("./control.ts").then((m) => m.reject) },
  wait: { description: "Wait for the human's decision: exit 0 approved, 1 rejected, 2 timed out (--timeout D)", load: () => import("./wait.ts").then((m) => m.default as CommandDef) },
  dashboard: { description: "Print the dashboard's URL, credentials in the fragment (--admin-token: can act)", load: () => import("./dashboard.ts").then((m) => m.default as CommandDef) },
  token: { description: "Print the repo token and what it is computed from", load: () => import("./token.ts").then((m) => m.default as CommandDef) },
  serve: { description: "Run the coordination service", load: () => import("./serve.ts").then((m) => m.default as CommandDef) },
  init: { description: "Wire this repository: .claude-coord.toml, SessionStart hook, .claude/settings.json, .mcp.json", load: () => import("./init.ts").then((m) => m.default as CommandDef) },
  mcp: { description: "Run the MCP server over stdio (tools for agents: tasks, claim, complete, heartbeat, stuck, send, inbox, reserve, unreserve, reservations, sessions)", load: () => import("./mcp.ts").then((m) => m.default as CommandDef) },
  hook: { description: "Claude Code hooks: 'hook session-start' (hands over, registers, prints the state), 'hook activity' (heartbeat, new messages), 'hook pre-tool-use' (guards edits)", load: () => import("./hook.ts").then((m) => m.default as CommandDef) },
};

/** The top-level help text. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    `claude-coord ${VERSION}: coordinate parallel AI coding sessions on one repository`,
    "",
    "Usage: claude-coord <command> [flags]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.description}`),
    "",
    "Exit codes: 0 ok, 1 conflict, 2 service unavailable, 3 session has a claim, 4 stale token,",
    "5 repo not whitelisted, 6 not yours / not found, 64 usage, 77 permission, 78 configuration.",
    "",
    "Run 'claude-coord <command> --help' for a command's flags.",
  ].join("\n");
}

/**
 * Runs the CLI on `argv` (without the program name) and returns the exit code (SPEC §4).
 * Never throws: every error is reported on `term` and mapped to its exit code.
 */
export async function runCli(argv: readonly string[], term: Terminal = processTerminal): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name === undefined ? term.err : term.out)(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    term.out(VERSION);
    return EXIT.ok;
  }
  const json = rest.includes("--json");
  const entry = COMMANDS[name];
  if (!entry) {
    return reportError(term, new CoordError("usage_error", `Unknown command '${name}'.`, { action: "Run 'claude-coord --help' to see the commands." }), { json, cmd: "" });
  }
  const cmd = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    term.out(await renderUsage(cmd));
    return EXIT.ok;
  }
  const once = async () => {
    checkFlags(rest, (cmd.args ?? {}) as Parameters<typeof checkFlags>[1], name);
    const { result } = await runCommand(cmd, { rawArgs: [...rest] });
    return typeof result === "number" ? result : EXIT.ok;
  };
  try {
    try {
      return await once();
    } catch (e) {
      if (!isCoordError(e, "stale_token")) throw e;
      // SPEC §10: main moved. Fetch origin's main (never the worktree) and run the command once more.
      const { retryAfterFetch } = await import("./main-moved.ts");
      return await retryAfterFetch(e, rest, term, once);
    }
  } catch (e) {
    if (isCoordError(e, "repo_not_allowed") && e.details.repo_from === undefined) {
      // SPEC §10: exit 5 says where the repo name came from, so the user knows what to fix.
      const { repoSource } = await import("./context.ts");
      e.details.repo_from = await repoSource(rest);
    }
    if (e instanceof Error && e.name === "CLIError") {
      return reportError(term, new CoordError("usage_error", e.message.replace(/\x1b\[[0-9;]*m/g, "")), { json, cmd: name });
    }
    return reportError(term, e, { json, cmd: name });
  }
}
