// Tests of src/config.ts: client precedence and config file errors.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveClientConfig } from "../src/config.ts";
import { CoordError } from "../src/core/errors.ts";
import { readEnv } from "../src/env.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (e instanceof CoordError) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error("no error");
}

describe("client configuration precedence: defaults < file < environment < flags", () => {
  test("defaults alone", () => {
    expect(resolveClientConfig({ root: dir, env: {}, flags: {} })).toEqual({
      repo: undefined,
      service_url: "http://127.0.0.1:8787",
      plan_path: "context",
      main_branch: "main",
      timeout_ms: 10_000,
      activity_interval_ms: 60_000,
      session_id: undefined,
      file: undefined,
      guard: "open",
    });
  });

  test("guard = \"closed\" in the file makes the reservation guard block when the service cannot answer; another value is a config error naming the key", () => {
    writeFileSync(join(dir, ".claude-coord.toml"), 'guard = "closed"\n');
    expect(resolveClientConfig({ root: dir, env: {}, flags: {} }).guard).toBe("closed");
    writeFileSync(join(dir, ".claude-coord.toml"), 'guard = "shut"\n');
    const e = errorOf(() => resolveClientConfig({ root: dir, env: {}, flags: {} }));
    expect(e.code).toBe("config_error");
    expect(e.message).toContain(`key 'guard' must be "open" or "closed", got "shut"`);
  });

  test("activity_interval: seconds in the file, CLAUDE_COORD_ACTIVITY_INTERVAL over it; a bad value names the key", () => {
    writeFileSync(join(dir, ".claude-coord.toml"), "activity_interval = 5\n");
    expect(resolveClientConfig({ root: dir, env: {}, flags: {} }).activity_interval_ms).toBe(5000);
    expect(resolveClientConfig({ root: dir, env: { activity_interval: "0.5" }, flags: {} }).activity_interval_ms).toBe(500);
    const e = (() => {
      try {
        resolveClientConfig({ root: dir, env: { activity_interval: "often" }, flags: {} });
      } catch (x) {
        return x as CoordError;
      }
    })();
    expect([e?.code, e?.message, e?.details]).toEqual(["config_error", "CLAUDE_COORD_ACTIVITY_INTERVAL must be a positive number of seconds (decimals allowed), got 'often'.", { key: "activity_interval" }]);
  });
  test("each layer overrides the one before", () => {
    writeFileSync(join(dir, ".claude-coord.toml"), 'repo = "file/repo"\nservice_url = "http://file:1"\nplan_path = "plans/"\nmain_branch = "trunk"\ntimeout = 3\n');
    const fileOnly = resolveClientConfig({ root: dir, env: {}, flags: {} });
    expect([fileOnly.repo, fileOnly.service_url, fileOnly.plan_path, fileOnly.main_branch, fileOnly.timeout_ms]).toEqual(["file/repo", "http://file:1", "plans", "trunk", 3000]);
    const env = readEnv({ CLAUDE_COORD_REPO: "env/repo", CLAUDE_COORD_URL: "http://env:2", CLAUDE_COORD_TIMEOUT: "1.5", CLAUDE_CODE_SESSION_ID: "code-session" });
    const withEnv = resolveClientConfig({ root: dir, env, flags: {} });
    expect([withEnv.repo, withEnv.service_url, withEnv.timeout_ms, withEnv.session_id]).toEqual(["env/repo", "http://env:2", 1500, "code-session"]);
    const withFlags = resolveClientConfig({ root: dir, env, flags: { repo: "flag/repo", session_id: "flag-session" } });
    expect([withFlags.repo, withFlags.service_url, withFlags.session_id]).toEqual(["flag/repo", "http://env:2", "flag-session"]);
  });

  test("spawn_branch_prefix and spawn_worktree_dir come from the file only; absent, they stay undefined (spawn's defaults apply)", () => {
    expect([resolveClientConfig({ root: dir, env: {}, flags: {} }).spawn_branch_prefix, resolveClientConfig({ root: dir, env: {}, flags: {} }).spawn_worktree_dir]).toEqual([undefined, undefined]);
    writeFileSync(join(dir, ".claude-coord.toml"), 'spawn_branch_prefix = "work/"\nspawn_worktree_dir = "../trees"\n');
    const c = resolveClientConfig({ root: dir, env: {}, flags: {} });
    expect([c.spawn_branch_prefix, c.spawn_worktree_dir]).toEqual(["work/", "../trees"]);
  });

  test("CLAUDE_COORD_SESSION_ID wins over CLAUDE_CODE_SESSION_ID; empty values count as unset", () => {
    expect(readEnv({ CLAUDE_COORD_SESSION_ID: "coord", CLAUDE_CODE_SESSION_ID: "code" }).session_id).toBe("coord");
    expect(readEnv({ CLAUDE_COORD_SESSION_ID: "", CLAUDE_CODE_SESSION_ID: "code" }).session_id).toBe("code");
  });

  const broken: [string, string, string][] = [
    ["not TOML", "repo = ", "not valid TOML"],
    ["an unknown key", 'repo = "a/b"\nsevice_url = "x"\n', "unknown key 'sevice_url'; the keys are repo, service_url, plan_path, main_branch, timeout, spawn_branch_prefix, spawn_worktree_dir, guard, activity_interval."],
    ["a wrong type", "repo = 5\n", "key 'repo' must be a non-empty string, got 5."],
    ["a bad timeout", 'timeout = "fast"\n', "key 'timeout' must be a positive number of seconds"],
  ];
  for (const [name, text, message] of broken) {
    test(`a config file with ${name} is a config_error naming the file and key`, () => {
      const file = join(dir, ".claude-coord.toml");
      writeFileSync(file, text);
      const e = errorOf(() => resolveClientConfig({ root: dir, env: {}, flags: {} }));
      expect(e.code).toBe("config_error");
      expect(e.message.startsWith(`${file}: `)).toBe(true);
      expect(e.message).toContain(message);
    });
  }

  test("a bad CLAUDE_COORD_TIMEOUT is a config_error naming the variable", () => {
    const e = errorOf(() => resolveClientConfig({ root: dir, env: { timeout: "soon" }, flags: {} }));
    expect(e.message).toBe("CLAUDE_COORD_TIMEOUT must be a positive number of seconds (decimals allowed), got 'soon'.");
  });
});

