// Argument fragments shared by the commands, and the strict flag check citty leaves out.
import type { ArgsDef } from "citty";
import { CoordError } from "../core/errors.ts";

/** --repo, --session-id and --json: accepted by every client command (SPEC §7). */
export const commonArgs = {
  repo: { type: "string", description: "owner/name of the repository (default: .claude-coord.toml, CLAUDE_COORD_REPO)", valueHint: "owner/name" },
  "session-id": { type: "string", description: "this session's id (default: CLAUDE_COORD_SESSION_ID, CLAUDE_CODE_SESSION_ID)", valueHint: "id" },
  json: { type: "boolean", description: "print one JSON document on stdout instead of text" },
  fetch: { type: "boolean", description: "on a stale token, fetch origin's main and retry once (default; --no-fetch or CLAUDE_COORD_NO_FETCH=1 turns it off)", default: true },
} as const satisfies ArgsDef;

/** --task: the task id from a plan file. */
export const taskArg = {
  task: { type: "string", description: "the task id (the `id` of a task in a plan file)", valueHint: "id" },
} as const satisfies ArgsDef;

/**
 * Throws CoordError `usage_error` (exit 64) for a flag the command does not define, or a string
 * flag given without a value, so typos never pass silently.
 */
export function checkFlags(rawArgs: readonly string[], def: ArgsDef, cmd: string): void {
  const known = new Map<string, string | undefined>();
  for (const [name, a] of Object.entries(def)) {
    known.set(name, a.type);
    for (const al of ["alias" in a ? (a.alias ?? []) : []].flat()) known.set(al, a.type);
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") continue;
    const name = arg.replace(/^--?(no-)?/, "").split("=")[0]!;
    if (name === "help" || name === "h") continue;
    if (!known.has(name)) {
      throw new CoordError("usage_error", `Unknown flag '${arg.split("=")[0]}' for 'claude-coord ${cmd}'.`);
    }
    if (known.get(name) === "string" && !arg.includes("=")) {
      const next = rawArgs[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new CoordError("usage_error", `Flag '${arg}' needs a value.`);
      }
      i++;
    }
  }
}

/** Every value of a repeatable string flag (`--repo a --repo b`), in order; citty keeps only the last. */
export function repeated(rawArgs: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--") break;
    if (a === `--${name}`) {
      const v = rawArgs[i + 1];
      if (v !== undefined) out.push(v);
      i++;
    } else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  }
  return out;
}

/** Requires a non-empty string flag; throws CoordError `usage_error` naming it. */
export function requireFlag(value: string | undefined, flag: string, cmd: string): string {
  if (value !== undefined && value.trim() !== "") return value;
  throw new CoordError("usage_error", `'claude-coord ${cmd}' needs --${flag}.`, {
    action: `Run 'claude-coord ${cmd} --${flag} <value>' (see 'claude-coord ${cmd} --help').`,
  });
}
