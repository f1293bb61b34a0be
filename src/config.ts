// Client configuration: one function, one precedence order — defaults < .claude-coord.toml < environment < flags (SPEC §4).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CoordError } from "./core/errors.ts";
import type { CoordEnv } from "./env.ts";

/** The file name of the per-repository client config, at the git root. */
export const CLIENT_CONFIG_FILE = ".claude-coord.toml";

/** Built-in defaults (SPEC §4). */
export const CLIENT_DEFAULTS = {
  service_url: "http://127.0.0.1:8787",
  plan_path: "context",
  main_branch: "main",
  timeout_ms: 10_000,
  guard: "open",
  /** `hook activity` sends at most one heartbeat per this interval (SPEC §10: 60 s). */
  activity_interval_ms: 60_000,
} as const;

/** What the client runs with, after precedence. */
export interface ClientConfig {
  /** owner/name; undefined when nothing sets it (commands that need it exit 78). */
  repo: string | undefined;
  service_url: string;
  plan_path: string;
  main_branch: string;
  /** HTTP timeout in milliseconds. */
  timeout_ms: number;
  /** `hook activity`: the least time between two heartbeats, in milliseconds (`activity_interval`, seconds). */
  activity_interval_ms: number;
  /** The session id from flags or environment (the saved hook id is read by the caller). */
  session_id: string | undefined;
  /** The config file that was read, if any. */
  file: string | undefined;
  /** `spawn_branch_prefix` (file only): the prefix of the branches `spawn` creates; undefined: `claude/`. */
  spawn_branch_prefix?: string;
  /** `spawn_worktree_dir` (file only): where `spawn` puts worktrees, relative to the main checkout; undefined: `../<checkout dir>-worktrees`. */
  spawn_worktree_dir?: string;
  /** What the reservation guard does when the service cannot answer (SPEC §11): "open" allows with a warning (default), "closed" blocks. */
  guard: "open" | "closed";
}

/** Flags that override configuration. */
export interface ClientFlags {
  repo?: string;
  service_url?: string;
  session_id?: string;
  plan_path?: string;
  main_branch?: string;
}

const FILE_KEYS = ["repo", "service_url", "plan_path", "main_branch", "timeout", "spawn_branch_prefix", "spawn_worktree_dir", "guard", "activity_interval"] as const;
/** The keys whose value is a number of seconds. */
const SECONDS_KEYS: readonly string[] = ["timeout", "activity_interval"];
type FileKey = (typeof FILE_KEYS)[number];

/**
 * Reads `<root>/.claude-coord.toml` (when it exists) as a map of the known keys.
 * Throws CoordError `config_error` naming the file and the key when the file is not valid TOML,
 * a key is unknown, or a value has the wrong type.
 */
export function readClientConfigFile(path: string): Partial<Record<FileKey, string | number>> {
  let parsed: unknown;
  try {
    parsed = Bun.TOML.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CoordError("config_error", `${path}: not valid TOML (${e instanceof Error ? e.message : String(e)}).`, { file: path });
  }
  const out: Partial<Record<FileKey, string | number>> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(FILE_KEYS as readonly string[]).includes(key)) {
      throw new CoordError("config_error", `${path}: unknown key '${key}'; the keys are ${FILE_KEYS.join(", ")}.`, { file: path, key });
    }
    if (SECONDS_KEYS.includes(key)) {
      if (typeof value !== "number" || !(value > 0)) {
        throw new CoordError("config_error", `${path}: key '${key}' must be a positive number of seconds, got ${JSON.stringify(value)}.`, { file: path, key });
      }
    } else if (key === "guard") {
      if (value !== "open" && value !== "closed") {
        throw new CoordError("config_error", `${path}: key 'guard' must be "open" or "closed", got ${JSON.stringify(value)}.`, { file: path, key });
      }
    } else if (typeof value !== "string" || value.trim() === "") {
      throw new CoordError("config_error", `${path}: key '${key}' must be a non-empty string, got ${JSON.stringify(value)}.`, { file: path, key });
    }
    out[key as FileKey] = value as string | number;
  }
  return out;
}

function parseSeconds(text: string, source: string, key: string): number {
  const n = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(n > 0)) {
    throw new CoordError("config_error", `${source} must be a positive number of seconds (decimals allowed), got '${text}'.`, { key });
  }
  return Math.round(n * 1000);
}

/**
 * Resolves the client configuration: built-in defaults < `<root>/.claude-coord.toml` < environment
 * < flags (SPEC §4). `root` is the git checkout's root, or undefined outside a checkout.
 * Throws CoordError `config_error` for a broken config file or a bad CLAUDE_COORD_TIMEOUT.
 */
export function resolveClientConfig(input: { root: string | undefined; env: CoordEnv; flags: ClientFlags }): ClientConfig {
  const { root, env, flags } = input;
  const file = root ? join(root, CLIENT_CONFIG_FILE) : undefined;
  const fromFile = file && existsSync(file) ? readClientConfigFile(file) : {};
  const str = (k: Exclude<FileKey, "timeout" | "guard" | "activity_interval">) => fromFile[k] as string | undefined;
  let timeout_ms: number = CLIENT_DEFAULTS.timeout_ms;
  if (typeof fromFile.timeout === "number") timeout_ms = Math.round(fromFile.timeout * 1000);
  if (env.timeout !== undefined) timeout_ms = parseSeconds(env.timeout, "CLAUDE_COORD_TIMEOUT", "timeout");
  let activity_interval_ms: number = CLIENT_DEFAULTS.activity_interval_ms;
  if (typeof fromFile.activity_interval === "number") activity_interval_ms = Math.round(fromFile.activity_interval * 1000);
  if (env.activity_interval !== undefined) activity_interval_ms = parseSeconds(env.activity_interval, "CLAUDE_COORD_ACTIVITY_INTERVAL", "activity_interval");
  return {
    repo: flags.repo ?? env.repo ?? str("repo"),
    service_url: flags.service_url ?? env.service_url ?? str("service_url") ?? CLIENT_DEFAULTS.service_url,
    plan_path: (flags.plan_path ?? env.plan_path ?? str("plan_path") ?? CLIENT_DEFAULTS.plan_path).replace(/^\.\/|\/+$/g, ""),
    main_branch: flags.main_branch ?? env.main_branch ?? str("main_branch") ?? CLIENT_DEFAULTS.main_branch,
    timeout_ms,
    activity_interval_ms,
    session_id: flags.session_id ?? env.session_id,
    file: file && existsSync(file) ? file : undefined,
    spawn_branch_prefix: str("spawn_branch_prefix"),
    spawn_worktree_dir: str("spawn_worktree_dir"),
    guard: fromFile.guard === "closed" ? "closed" : CLIENT_DEFAULTS.guard,
  };
}
