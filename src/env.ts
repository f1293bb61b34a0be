// Every environment variable claude-coord reads, in one place (README: "Environment variables").

/** The variables, read once per call from `source` (default `process.env`); empty values count as unset. */
export interface CoordEnv {
  /** CLAUDE_COORD_REPO: owner/name of the repository. */
  repo?: string;
  /** CLAUDE_COORD_URL: the service URL. */
  service_url?: string;
  /** CLAUDE_COORD_PLAN_PATH: the folder of plan files. */
  plan_path?: string;
  /** CLAUDE_COORD_MAIN_BRANCH: the main branch's name. */
  main_branch?: string;
  /** CLAUDE_COORD_SESSION_ID, else CLAUDE_CODE_SESSION_ID (set by Claude Code in its Bash tool), else CODEX_SESSION_ID (Codex; see the README on what was verified). */
  session_id?: string;
  /** CLAUDE_COORD_TIMEOUT: HTTP timeout in seconds, decimals allowed (raw text; config.ts validates). */
  timeout?: string;
  /** CLAUDE_COORD_CONFIG: the service config file for `serve`. */
  config?: string;
  /** CLAUDE_COORD_ACTIVITY_INTERVAL: seconds between two `hook activity` heartbeats (raw text; config.ts validates). */
  activity_interval?: string;
  /** CLAUDE_COORD_NO_FETCH: `1` turns off fetching origin's main on a stale token (SPEC §10; raw text). */
  no_fetch?: string;
  /** CLAUDE_COORD_ADMIN_TOKEN: the admin token `expire` sends. */
  admin_token?: string;
  /** CLAUDE_COORD_DATABASE_URL: `serve`'s database, a SQLite file path or a postgres:// URL (SPEC §12); `--db` wins over it. */
  database_url?: string;
  /**
   * CLAUDE_ENV_FILE: set by Claude Code for SessionStart hooks; a file of `export VAR=value` lines
   * that Claude Code applies to the session's later Bash tool calls. `hook session-start` appends
   * CLAUDE_COORD_SESSION_ID to it.
   */
  claude_env_file?: string;
  /**
   * CLAUDE_COORD_CHECK_CONTRACT=1: the service checks every answer of `app.handle` against the route
   * table and throws on a mismatch (the test suite sets it; src/server/contract-check.ts).
   */
  check_contract?: boolean;
}

/** Reads the variables of `CoordEnv` from `source`. */
export function readEnv(source: Record<string, string | undefined> = process.env): CoordEnv {
  const get = (k: string) => {
    const v = source[k];
    return v === undefined || v === "" ? undefined : v;
  };
  return {
    repo: get("CLAUDE_COORD_REPO"),
    service_url: get("CLAUDE_COORD_URL"),
    plan_path: get("CLAUDE_COORD_PLAN_PATH"),
    main_branch: get("CLAUDE_COORD_MAIN_BRANCH"),
    session_id: get("CLAUDE_COORD_SESSION_ID") ?? get("CLAUDE_CODE_SESSION_ID") ?? get("CODEX_SESSION_ID"),
    timeout: get("CLAUDE_COORD_TIMEOUT"),
    config: get("CLAUDE_COORD_CONFIG"),
    admin_token: get("CLAUDE_COORD_ADMIN_TOKEN"),
    no_fetch: get("CLAUDE_COORD_NO_FETCH"),
    activity_interval: get("CLAUDE_COORD_ACTIVITY_INTERVAL"),
    database_url: get("CLAUDE_COORD_DATABASE_URL"),
    claude_env_file: get("CLAUDE_ENV_FILE"),
    check_contract: get("CLAUDE_COORD_CHECK_CONTRACT") === "1",
  };
}
