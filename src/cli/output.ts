// The one place the CLI writes to the terminal: text for models and humans, --json for programs, exit codes.
import { randomUUID } from "node:crypto";
import { CoordError, type ErrorCode, isCoordError } from "../core/errors.ts";
import { reserveConflictText } from "./reservation-text.ts";

/** Exit codes shell scripts branch on (SPEC §4). */
export const EXIT = {
  ok: 0,
  conflict: 1,
  unavailable: 2,
  session_has_claim: 3,
  stale_token: 4,
  repo_not_allowed: 5,
  not_yours: 6,
  usage: 64,
  permission: 77,
  config: 78,
} as const;

/** The exit code for each domain error code. */
export const EXIT_FOR: Record<ErrorCode, number> = {
  conflict: EXIT.conflict,
  no_task_available: EXIT.conflict,
  service_unavailable: EXIT.unavailable,
  tls_untrusted: EXIT.unavailable,
  not_a_service: EXIT.unavailable,
  upstream_unavailable: EXIT.unavailable,
  store_unavailable: EXIT.unavailable,
  internal_error: EXIT.unavailable,
  session_has_claim: EXIT.session_has_claim,
  stale_token: EXIT.stale_token,
  repo_not_allowed: EXIT.repo_not_allowed,
  not_found: EXIT.not_yours,
  forbidden: EXIT.not_yours,
  invalid_request: EXIT.usage,
  usage_error: EXIT.usage,
  ambiguous: EXIT.usage,
  session_prefix_taken: EXIT.config,
  payload_too_large: EXIT.usage,
  rate_limited: EXIT.unavailable,
  unauthorized: EXIT.permission,
  config_error: EXIT.config,
};

/** Where the CLI writes; tests may pass their own. */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const processTerminal: Terminal = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
};

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), DCS/PM/APC strings, other escapes (ESC, intermediates, a final: ESC c, ESC ( B), and the 8-bit CSI.
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[P^_][^\x1b\n]*(?:\x1b\\)?|[ -/]*[0-~])|\x9b[0-?]*[ -/]*[@-~]/g;
// What is left: C0 controls but tab and newline, DEL, C1 controls, bidirectional controls, lone surrogates.
const UNSAFE_CHARACTER = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The one sanitising function of the CLI's text output (SPEC §16): removes terminal control
 * sequences (ESC/CSI/OSC …), every other control character but tab and newline, bidirectional
 * overrides and lone surrogates, so text from other sessions (task ids and names, notes, stuck
 * reasons, messages) cannot retitle, clear or rewrite the terminal. Every text the CLI prints
 * passes through it (`reportResult`, `reportError`, the hook, tasks, watch); `--json` does not
 * need it (JSON escapes control characters).
 */
export function cleanText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, "").replace(UNSAFE_CHARACTER, "");
}

/** `cleanText` for a field shown within one line: line breaks become a space, so it cannot start a line of its own. */
export function inlineText(text: string): string {
  return cleanText(text).replace(/\s*\n\s*/g, " ");
}

/**
 * A message body as quoted text from its sender (SPEC §16): every line behind `  > `, so a line
 * such as `ACTION REQUIRED: …` in a body never reads as the tool's own instruction.
 */
export function quotedBody(body: string): string[] {
  return cleanText(body).split("\n").map((l) => `  > ${l}`);
}

type Details = Record<string, unknown>;
const str = (v: unknown, fallback = "?") => (typeof v === "string" && v !== "" ? v : fallback);
const obj = (v: unknown): Details => (typeof v === "object" && v !== null ? (v as Details) : {});

/**
 * The text of an error for a language model (SPEC §4, the seed's "LLM-Friendly Error Output"):
 * `ERROR: <what>`, the facts, and `ACTION REQUIRED: <the exact next command>`. `cmd` is the
 * command that failed (used in the suggested next step).
 */
export function errorText(e: CoordError, cmd: string): string {
  const d = e.details;
  switch (e.code) {
    case "conflict": {
      if (Array.isArray(d.conflicts)) return reserveConflictText(e);
      const by = obj(d.claimed_by);
      return [
        `ERROR: Task '${str(d.task_id)}' is already claimed.`,
        "",
        "Claimed by:",
        `  Session: ${str(by.session)}...`,
        `  Branch: ${str(by.branch)}`,
        `  Claimed at: ${str(by.claimed_at)}`,
        "",
        "ACTION REQUIRED: Run 'claude-coord tasks' to see the available tasks, then claim one of them (or run 'claude-coord claim --next' to take the first available).",
      ].join("\n");
    }
    case "no_task_available":
      return [
        `ERROR: ${e.message}`,
        "",
        `Claimed by other sessions: ${String(d.claimed ?? 0)}, blocked: ${String(d.blocked ?? 0)}, taken by others while trying: ${String(d.lost ?? 0)}.`,
        "",
        "ACTION REQUIRED: Run 'claude-coord tasks' to see what is claimed and what is blocked, then ask the user which task to work on (or whether to wait).",
      ].join("\n");
    case "session_has_claim": {
      const cur = obj(d.current_claim);
      return [
        "ERROR: This session already has an active claim.",
        "",
        "Current claim:",
        `  Task: ${str(cur.task_id)}`,
        `  Branch: ${str(cur.branch)}`,
        `  Claimed at: ${str(cur.claimed_at)}`,
        "",
        `ACTION REQUIRED: Complete your current task and merge the branch, then run 'claude-coord complete --task ${str(cur.task_id)}'. Once the branch is merged or deleted, your claim will be automatically released and you can start a new session to work on a different task.`,
      ].join("\n");
    }
    case "tls_untrusted":
      return [
        "ERROR: The coordination service's TLS certificate could not be verified.",
        "",
        `Service URL: ${str(d.service_url)}`,
        `Status: ${str(d.reason, e.message)}`,
        "",
        "The service may well be up: the certificate presented (by the service, or by a proxy between you, such as the",
        "egress proxy of Claude Code on the web) is signed by a certificate authority this machine does not trust.",
        "",
        "ACTION REQUIRED: Point NODE_EXTRA_CA_CERTS (or SSL_CERT_FILE) at that authority's certificate (PEM) and retry:",
        "export NODE_EXTRA_CA_CERTS=<path of the proxy's CA certificate>",
      ].join("\n");
    case "not_a_service":
      return [
        `ERROR: Not a claude-coord service at ${str(d.service_url)}.`,
        "",
        `Status: ${str(d.reason, e.message)}`,
        "",
        "Something answered at that URL, but not as a claude-coord service does (a web server, a proxy page, another API).",
        "",
        "ACTION REQUIRED: Check the service URL (CLAUDE_COORD_URL or `service_url` in .claude-coord.toml) and retry;",
        "'claude-coord claims' works once it points at the coordination service.",
      ].join("\n");
    case "service_unavailable":
    case "upstream_unavailable":
    case "store_unavailable":
    case "internal_error":
      return [
        e.code === "upstream_unavailable"
          ? "ERROR: Coordination service cannot read the repository right now."
          : e.code === "store_unavailable"
            ? "ERROR: Coordination service cannot reach its database right now; nothing was changed."
            : "ERROR: Coordination service is unavailable.",
        "",
        `Service URL: ${str(d.service_url)}`,
        `Status: ${e.code === "service_unavailable" ? str(d.reason, e.message) : e.message}`,
        "",
        e.code === "upstream_unavailable"
          // The service is up; what fails is its git host or the whitelist entry (Status says which).
          ? "ACTION REQUIRED: The coordination service cannot check this repository (its git host is unreachable, or its whitelist entry needs fixing: see Status). Please ask the user whether to:"
          : "ACTION REQUIRED: The coordination service is down. Please ask the user whether to:",
        "1. Wait and retry later",
        "2. Proceed without coordination (risk of duplicate work)",
      ].join("\n");
    case "rate_limited":
      return [
        "ERROR: The coordination service is rate limiting this client.",
        "",
        `Service URL: ${str(d.service_url)}`,
        `Status: ${e.message}`,
        ...(typeof d.limit === "string" ? [`Bound: [limits] ${d.limit} = ${String(d.max)} (SPEC §16: what one session, client or repo may use)`] : []),
        "",
        `ACTION REQUIRED: Wait ${typeof d.retry_after_s === "number" ? d.retry_after_s : "a few"} seconds, then run the same claude-coord command again.`,
      ].join("\n");
    case "stale_token": {
      const main = str(d.main_branch, "main");
      return [
        "ERROR: Repository state has changed since session start.",
        "",
        `Your local state is at commit: ${str(d.your_commit)}`,
        `Current main branch is at:     ${str(d.current_commit)}`,
        ...(typeof d.not_fetched === "string" ? [`Not fetched automatically: ${d.not_fetched}`] : []),
        "",
        `ACTION REQUIRED: Run 'git fetch origin ${main}' (it updates origin/${main} only; your worktree and uncommitted changes are not touched), then run the same claude-coord command again.`,
      ].join("\n");
    }
    case "repo_not_allowed":
      return [
        `ERROR: Repository '${str(d.repo)}' is not configured for coordination.`,
        ...(typeof d.repo_from === "string" ? [`The name '${str(d.repo)}' came from ${d.repo_from}.`] : []),
        "",
        "This coordination service only handles whitelisted repositories.",
        "Contact the service administrator to add this repository.",
        "",
        "ACTION REQUIRED: Verify you have the correct repository name in your",
        ".claude-coord.toml file, or proceed without coordination for this project.",
      ].join("\n");
    case "not_found":
    case "forbidden":
      if (typeof d.action === "string") return [`ERROR: ${e.message}`, "", `ACTION REQUIRED: ${d.action}`].join("\n");
      return [
        `ERROR: ${e.message}`,
        "",
        e.code === "forbidden" ? "Only the session that claimed a task can complete it." : "There is no active claim matching the request.",
        "",
        "ACTION REQUIRED: Run 'claude-coord claims' to see the active claims and which one is this session's.",
      ].join("\n");
    case "unauthorized":
      return [
        `ERROR: ${e.message}`,
        "",
        "ACTION REQUIRED: Pass --admin-token <token> or set CLAUDE_COORD_ADMIN_TOKEN; the service operator has the token.",
      ].join("\n");
    case "session_prefix_taken":
      return [
        `ERROR: ${e.message}`,
        "",
        "This session's id cannot be used with this service: tell the user to start a new session (in Claude Code: /clear or a new conversation gives a new session id).",
        "",
        `ACTION REQUIRED: Outside Claude Code, register a new id: CLAUDE_COORD_SESSION_ID=${randomUUID()} claude-coord heartbeat --state registered`,
      ].join("\n");
    case "config_error":
      return [`ERROR: ${e.message}`, "", `ACTION REQUIRED: ${str(d.action, "Fix the configuration named above, then run the command again.")}`].join("\n");
    default:
      return [`ERROR: ${e.message}`, "", `ACTION REQUIRED: ${str(d.action, `Run 'claude-coord ${cmd} --help' and correct the command.`)}`].join("\n");
  }
}

/** Any thrown value as a domain error; an unexpected one becomes `internal_error` with its message. */
export function asCoordError(e: unknown): CoordError {
  if (isCoordError(e)) return e;
  return new CoordError("internal_error", e instanceof Error ? e.message : String(e));
}

/**
 * Reports a failure: with `json`, one JSON document `{status, message, ...details}` on stdout;
 * otherwise the error text on stderr. Returns the exit code.
 */
export function reportError(term: Terminal, e: unknown, opts: { json: boolean; cmd: string }): number {
  const err = asCoordError(e);
  if (opts.json) term.out(JSON.stringify({ status: err.code, message: err.message, ...err.details }, null, 2));
  else term.err(cleanText(errorText(err, opts.cmd)));
  return EXIT_FOR[err.code];
}

/** Prints a success: the JSON document with `json`, else the text. */
export function reportResult(term: Terminal, json: boolean, data: unknown, text: () => string): number {
  term.out(json ? JSON.stringify(data, null, 2) : cleanText(text()));
  return EXIT.ok;
}

/**
 * What a client command produces, apart from printing: the `--json` document, the text for a model,
 * and warnings (stderr in text mode). The command prints it; the MCP server (`claude-coord mcp`)
 * returns the same document as a tool result, so both run one function.
 */
export interface Outcome {
  data: unknown;
  text: () => string;
  warnings?: string[];
  /** A partial result: the data is what could be found, and this is why the rest could not (exit code and ERROR text). */
  failure?: CoordError;
}

/** The `--json` document of an outcome: its data, with `error` `{status, message, ...details}` for a partial result. */
export function outcomeDocument(o: Outcome): unknown {
  if (o.failure === undefined) return o.data;
  return { ...(o.data as Record<string, unknown>), error: { status: o.failure.code, message: o.failure.message, ...o.failure.details } };
}

/**
 * Prints an outcome: warnings on stderr (text mode only), then the document or the text; for a
 * partial result also the failure's ERROR text (text mode). Returns the exit code (0, or the failure's).
 */
export function printOutcome(term: Terminal, json: boolean, o: Outcome, cmd = ""): number {
  if (!json) for (const w of o.warnings ?? []) term.err(cleanText(w));
  reportResult(term, json, outcomeDocument(o), o.text);
  if (o.failure === undefined) return EXIT.ok;
  if (!json) term.err(cleanText(errorText(o.failure, cmd)));
  return EXIT_FOR[o.failure.code];
}
