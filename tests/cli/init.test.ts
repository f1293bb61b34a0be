// `claude-coord init` in process: remote URL parsing, TOML key edits, settings merging, and initRepo on real git repositories (idempotent, nothing dropped, nothing half-written).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOOK_SCRIPT, mergeActivity, type InitFile, initRepo, initText, mergePreToolUse, mergeSettings, PRE_COMMIT_BLOCK, preToolUseEntry, withPreCommitGuard, originUrl, renderClientToml, repoFromRemoteUrl, SETTINGS_FILE, sessionStartEntry, setTomlKey, TEMPLATES } from "../../src/cli/init.ts";
import { MCP_JSON, MCP_SERVER_ENTRY, mergeMcpJson } from "../../src/cli/mcp-json.ts";
import { readClientConfigFile } from "../../src/config.ts";
import { CoordError } from "../../src/core/errors.ts";
import { git, gitInit, tempDir } from "../helpers/e2e.ts";

let root: string;
beforeAll(() => {
  root = tempDir("init-unit");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const repo = (url?: string): string => gitInit(root, `repo-${++n}`, url);

/** Every file init touches: bytes, mode and mtime. */
function snapshot(dir: string): unknown[] {
  return [".claude-coord.toml", HOOK_SCRIPT, SETTINGS_FILE, MCP_JSON].map((f) => {
    const p = join(dir, f);
    if (!existsSync(p)) return [f, null];
    const st = statSync(p);
    return [f, readFileSync(p, "utf8"), st.mode, st.mtimeMs];
  });
}

async function initError(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CoordError) return [e.code, e.message];
    throw e;
  }
  throw new Error("init did not fail");
}

describe("repoFromRemoteUrl", () => {
  test.each([
    ["git@github.com:acme/widgets.git", "acme/widgets"],
    ["github.com:acme/widgets", "acme/widgets"],
    ["https://github.com/acme/widgets", "acme/widgets"],
    ["https://github.com/acme/widgets.git/", "acme/widgets"],
    ["ssh://git@github.com:22/acme/widgets.git", "acme/widgets"],
    ["http://local_proxy@127.0.0.1:39211/git/acme/widgets", "acme/widgets"],
    ["https://gitlab.com/group/sub/name.git", "sub/name"],
    ["https://github.com/widgets", undefined],
    ["/srv/git/widgets.git", undefined],
    ["../widgets", undefined],
    ["file:///srv/git/acme/widgets.git", undefined],
    ["C:/repos/acme/widgets", undefined],
  ])("%s → %p", (url, expected) => {
    expect(repoFromRemoteUrl(url)).toBe(expected);
  });
});

test("originUrl reads remote origin's url from a git config, ignoring other remotes", () => {
  const dir = join(root, "gitdir");
  mkdirSync(dir);
  writeFileSync(join(dir, "config"), '[core]\n\tbare = false\n[remote "upstream"]\n\turl = git@github.com:up/stream.git\n[remote "origin"]\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n\turl = https://github.com/acme/widgets.git\n');
  expect(originUrl(dir)).toBe("https://github.com/acme/widgets.git");
  writeFileSync(join(dir, "config"), '[remote "upstream"]\n\turl = x\n');
  expect(originUrl(dir)).toBeUndefined();
  expect(originUrl(join(root, "no-such-dir"))).toBeUndefined();
});

describe("setTomlKey", () => {
  test.each([
    ['repo = "a/b"   # the repo\nplan_path = "x"\n', "repo", "acme/widgets", 'repo = "acme/widgets"  # the repo\nplan_path = "x"\n'],
    ['repo = "a/b"           # the repo\n', "repo", "c/d", 'repo = "c/d"           # the repo\n'],
    ["repo = 'a/b'\n", "repo", "c/d", 'repo = "c/d"\n'],
    ['repo = "a/b"\n# service_url = "https://x"  # comment\n', "service_url", "https://coord.example.com", 'repo = "a/b"\nservice_url = "https://coord.example.com"  # comment\n'],
    ['repo = "a/b"\n', "service_url", "https://c", 'repo = "a/b"\nservice_url = "https://c"\n'],
    ['repo = "a/b"', "service_url", "https://c", 'repo = "a/b"\nservice_url = "https://c"\n'],
    ["", "repo", 'we"ird\\', 'repo = "we\\"ird\\\\"\n'],
  ])("%p: %s = %p", (text, key, value, expected) => {
    expect(setTomlKey(text, key, value)).toBe(expected);
  });
});

test("renderClientToml gives a valid config: repo set, service_url set or left commented", () => {
  const dir = join(root, "toml");
  mkdirSync(dir);
  writeFileSync(join(dir, "a.toml"), renderClientToml("acme/widgets", "https://coord.example.com:8443"));
  expect(readClientConfigFile(join(dir, "a.toml"))).toEqual({ repo: "acme/widgets", service_url: "https://coord.example.com:8443" });
  const plain = renderClientToml("acme/widgets", undefined);
  writeFileSync(join(dir, "b.toml"), plain);
  expect(readClientConfigFile(join(dir, "b.toml"))).toEqual({ repo: "acme/widgets" });
  expect(plain).toContain('\n# service_url = "https://coord.example.com"');
});

describe("mergeSettings", () => {
  const other = {
    model: "opus",
    permissions: { allow: ["Bash(npm test:*)"], deny: [] },
    hooks: {
      PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "./guard.sh" }] }],
      SessionStart: [{ matcher: "startup", hooks: [{ type: "command", command: "npm install" }] }],
    },
    env: { FOO: "1" },
  };

  test("adds one SessionStart entry after the existing ones and keeps every other key, in order", () => {
    const out = mergeSettings(`${JSON.stringify(other, null, 2)}\n`, "s.json")!;
    const parsed = JSON.parse(out);
    expect(Object.keys(parsed)).toEqual(["model", "permissions", "hooks", "env"]);
    expect(parsed).toEqual({ ...other, hooks: { ...other.hooks, SessionStart: [...other.hooks.SessionStart, sessionStartEntry()] } });
    expect(out.endsWith("}\n")).toBe(true);
  });

  test("keeps the file's indentation (4 spaces, tabs) and its missing final newline", () => {
    expect(mergeSettings(JSON.stringify({ a: 1 }, null, 4), "s.json")).toBe(JSON.stringify({ a: 1, hooks: { SessionStart: [sessionStartEntry()] } }, null, 4));
    expect(mergeSettings(`${JSON.stringify({ a: 1 }, null, "\t")}\n`, "s.json")).toBe(`${JSON.stringify({ a: 1, hooks: { SessionStart: [sessionStartEntry()] } }, null, "\t")}\n`);
    expect(mergeSettings("{}\n", "s.json")).toBe(`${JSON.stringify({ hooks: { SessionStart: [sessionStartEntry()] } }, null, 2)}\n`);
  });

  test("finds claude-coord already wired (its hook script, or the hook command itself) and changes nothing", () => {
    const viaScript = { hooks: { SessionStart: [{ hooks: [{ type: "command", command: "bash .claude/hooks/session-start-coord.sh" }] }] } };
    const direct = { hooks: { SessionStart: [{ matcher: "", hooks: [{ type: "command", command: "claude-coord hook session-start" }] }] } };
    expect(mergeSettings(JSON.stringify(viaScript), "s.json")).toBeUndefined();
    expect(mergeSettings(JSON.stringify(direct), "s.json")).toBeUndefined();
  });

  test.each([
    ["{ not json", "s.json is not valid JSON ("],
    ["[]", "s.json: the top level must be a JSON object."],
    ['{"hooks": "none"}', "s.json: 'hooks' must be an object."],
    ['{"hooks": {"SessionStart": {}}}', "s.json: 'hooks.SessionStart' must be an array."],
  ])("%p is a config_error", (text, message) => {
    try {
      mergeSettings(text, "s.json");
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(CoordError);
      expect((e as CoordError).code).toBe("config_error");
      expect((e as CoordError).message.startsWith(message)).toBe(true);
    }
  });
});

describe("mergeMcpJson", () => {
  test("a missing file becomes one server entry running 'claude-coord mcp'", () => {
    expect(mergeMcpJson(undefined, "/r/.mcp.json")).toBe(`${JSON.stringify({ mcpServers: { "claude-coord": MCP_SERVER_ENTRY } }, null, 2)}\n`);
  });

  test("adds the server after the existing ones, keeps every other key in order, the indentation and the missing final newline", () => {
    const existing = { mcpServers: { db: { command: "db-mcp", args: ["--ro"] } }, other: 1 };
    const out = mergeMcpJson(JSON.stringify(existing, null, "\t"), "f")!;
    expect(out).toBe(JSON.stringify({ mcpServers: { db: existing.mcpServers.db, "claude-coord": MCP_SERVER_ENTRY }, other: 1 }, null, "\t"));
    expect(mergeMcpJson('{"other": true}\n', "f")).toBe(`${JSON.stringify({ other: true, mcpServers: { "claude-coord": MCP_SERVER_ENTRY } }, null, 2)}\n`);
  });

  test("a server already running claude-coord mcp (any name, any path to the binary) changes nothing", () => {
    expect(mergeMcpJson(JSON.stringify({ mcpServers: { coord: { command: "/opt/bin/claude-coord", args: ["mcp"] } } }), "f")).toBeUndefined();
    expect(mergeMcpJson(JSON.stringify({ mcpServers: { "claude-coord": MCP_SERVER_ENTRY } }), "f")).toBeUndefined();
  });

  test.each([
    ["{ broken", "f is not valid JSON ("],
    ["[]", "f: the top level must be a JSON object."],
    ['{"mcpServers": []}', "f: 'mcpServers' must be an object."],
    ['{"mcpServers": {"claude-coord": {"command": "other"}}}', "f: the server name 'claude-coord' is taken by a server that does not run 'claude-coord mcp'."],
  ])("%s is a config_error naming the file and the fix", (text, message) => {
    let err: unknown;
    try {
      mergeMcpJson(text, "f");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CoordError);
    expect((err as CoordError).code).toBe("config_error");
    expect((err as CoordError).message.startsWith(message)).toBe(true);
    expect((err as CoordError).details.action).toContain("then run 'claude-coord init' again.");
  });
});

describe("initRepo", () => {
  test("wires a fresh repository: repo from origin's URL, the hook script executable, the settings from the template", async () => {
    const dir = repo("git@github.com:acme/widgets.git");
    const r = await initRepo(dir, {});
    expect(r).toEqual({
      root: dir,
      repo: "acme/widgets",
      service_url: undefined,
      files: [
        { path: ".claude-coord.toml", action: "created" },
        { path: HOOK_SCRIPT, action: "created" },
        { path: SETTINGS_FILE, action: "created" },
        { path: MCP_JSON, action: "created" },
      ],
    });
    expect(readFileSync(join(dir, ".claude-coord.toml"), "utf8")).toBe(renderClientToml("acme/widgets", undefined));
    expect(readFileSync(join(dir, HOOK_SCRIPT), "utf8")).toBe(TEMPLATES["session-start-hook.sh"]!);
    expect(statSync(join(dir, HOOK_SCRIPT)).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, SETTINGS_FILE), "utf8")).toBe(TEMPLATES["settings.json.example"]!);
    expect(JSON.parse(readFileSync(join(dir, MCP_JSON), "utf8"))).toEqual({ mcpServers: { "claude-coord": { type: "stdio", command: "claude-coord", args: ["mcp"], env: {} } } });
  });

  test("keeps existing settings and hooks, adds one SessionStart entry, and a second run leaves every file byte-identical", async () => {
    const dir = repo("https://github.com/acme/widgets.git");
    const settings = { permissions: { allow: ["Read"] }, hooks: { SessionStart: [{ matcher: "startup", hooks: [{ type: "command", command: "npm ci" }] }], Stop: [{ hooks: [{ type: "command", command: "./stop.sh" }] }] } };
    mkdirSync(join(dir, ".claude"));
    writeFileSync(join(dir, SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`);
    chmodSync(join(dir, SETTINGS_FILE), 0o600);
    const first = await initRepo(join(dir), { service_url: "https://coord.example.com" });
    expect(first.files.map((f) => f.action)).toEqual(["created", "created", "updated", "created"]);
    const merged = JSON.parse(readFileSync(join(dir, SETTINGS_FILE), "utf8"));
    expect(merged.permissions).toEqual(settings.permissions);
    expect(merged.hooks.Stop).toEqual(settings.hooks.Stop);
    expect(merged.hooks.SessionStart).toEqual([settings.hooks.SessionStart[0], sessionStartEntry()]);
    expect(statSync(join(dir, SETTINGS_FILE)).mode & 0o777).toBe(0o600);
    const before = snapshot(dir);
    await Bun.sleep(5);
    const second = await initRepo(dir, {});
    expect(second.files.map((f) => f.action)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect(second.service_url).toBe("https://coord.example.com");
    expect(snapshot(dir)).toEqual(before);
    const third = await initRepo(dir, { repo: "acme/widgets", service_url: "https://coord.example.com" });
    expect(third.files.map((f) => f.action)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect(snapshot(dir)).toEqual(before);
  });

  test("from a subdirectory it writes at the repository root", async () => {
    const dir = repo("git@github.com:acme/widgets.git");
    mkdirSync(join(dir, "src", "deep"), { recursive: true });
    const r = await initRepo(join(dir, "src", "deep"), {});
    expect(r.root).toBe(dir);
    expect(existsSync(join(dir, ".claude-coord.toml"))).toBe(true);
    expect(existsSync(join(dir, "src", "deep", ".claude"))).toBe(false);
  });

  test("flags update an existing config in place, keeping its comments and other keys", async () => {
    const dir = repo();
    writeFileSync(join(dir, ".claude-coord.toml"), '# ours\nrepo = "old/name"  # which repo\nplan_path = "plans"\n');
    const r = await initRepo(dir, { repo: "new/name", service_url: "http://10.0.0.5:8787" });
    expect(r.files[0]).toEqual({ path: ".claude-coord.toml", action: "updated" });
    expect(readFileSync(join(dir, ".claude-coord.toml"), "utf8")).toBe('# ours\nrepo = "new/name"  # which repo\nplan_path = "plans"\nservice_url = "http://10.0.0.5:8787"\n');
  });

  test("a hook script edited by the user is kept; one that lost its executable bit gets it back", async () => {
    const dir = repo("git@github.com:acme/widgets.git");
    await initRepo(dir, {});
    chmodSync(join(dir, HOOK_SCRIPT), 0o644);
    expect((await initRepo(dir, {})).files[1]).toEqual({ path: HOOK_SCRIPT, action: "updated", note: "made executable" });
    expect(statSync(join(dir, HOOK_SCRIPT)).mode & 0o777).toBe(0o755);
    writeFileSync(join(dir, HOOK_SCRIPT), "#!/bin/sh\necho mine\n");
    expect((await initRepo(dir, {})).files[1]).toEqual({ path: HOOK_SCRIPT, action: "kept", note: "differs from the template: left as is (delete it and run init again for the current template)" });
    expect(readFileSync(join(dir, HOOK_SCRIPT), "utf8")).toBe("#!/bin/sh\necho mine\n");
  });

  test("without --repo and without a usable origin it is a config_error and writes nothing", async () => {
    const none = repo();
    expect(await initError(initRepo(none, {}))).toEqual([
      "config_error",
      `No repository name for ${join(none, ".claude-coord.toml")}: --repo was not given and there is no remote 'origin'.`,
    ]);
    const local = repo("/srv/git/widgets.git");
    expect(await initError(initRepo(local, {}))).toEqual([
      "config_error",
      `No repository name for ${join(local, ".claude-coord.toml")}: --repo was not given and origin's URL (/srv/git/widgets.git) names none.`,
    ]);
    expect(snapshot(none).every((f) => (f as unknown[])[1] === null)).toBe(true);
  });

  test("a broken .mcp.json stops init before anything is written; a valid one keeps its servers", async () => {
    const dir = repo("git@github.com:acme/widgets.git");
    writeFileSync(join(dir, MCP_JSON), "{ nope");
    const [code, message] = await initError(initRepo(dir, {}));
    expect([code, message.startsWith(`${join(dir, MCP_JSON)} is not valid JSON (`)]).toEqual(["config_error", true]);
    expect(existsSync(join(dir, ".claude-coord.toml"))).toBe(false);
    expect(existsSync(join(dir, ".claude"))).toBe(false);
    writeFileSync(join(dir, MCP_JSON), '{ "mcpServers": { "db": { "command": "db-mcp" } } }\n');
    const r = await initRepo(dir, {});
    expect(r.files[3]).toEqual({ path: MCP_JSON, action: "updated", note: "claude-coord MCP server added; other servers kept" });
    expect(JSON.parse(readFileSync(join(dir, MCP_JSON), "utf8")).mcpServers).toEqual({ db: { command: "db-mcp" }, "claude-coord": MCP_SERVER_ENTRY });
  });

  test("a broken settings file or config file stops init before anything is written", async () => {
    const dir = repo("git@github.com:acme/widgets.git");
    mkdirSync(join(dir, ".claude"));
    writeFileSync(join(dir, SETTINGS_FILE), "{ broken");
    const [code, message] = await initError(initRepo(dir, {}));
    expect([code, message.startsWith(`${join(dir, SETTINGS_FILE)} is not valid JSON (`)]).toEqual(["config_error", true]);
    expect(existsSync(join(dir, ".claude-coord.toml"))).toBe(false);
    expect(existsSync(join(dir, HOOK_SCRIPT))).toBe(false);
    expect(readFileSync(join(dir, SETTINGS_FILE), "utf8")).toBe("{ broken");
    const other = repo("git@github.com:acme/widgets.git");
    writeFileSync(join(other, ".claude-coord.toml"), 'repo = "a/b"\nrepos = 1\n');
    expect(await initError(initRepo(other, {}))).toEqual([
      "config_error",
      `${join(other, ".claude-coord.toml")}: unknown key 'repos'; the keys are repo, service_url, plan_path, main_branch, timeout, spawn_branch_prefix, spawn_worktree_dir, guard, activity_interval.`,
    ]);
    expect(existsSync(join(other, ".claude"))).toBe(false);
  });

  test("outside a git checkout, or with a bad --service-url or --repo, it fails before reading anything", async () => {
    const plain = join(root, "not-a-repo");
    mkdirSync(plain);
    expect(await initError(initRepo(plain, {}))).toEqual(["config_error", `${plain} is not inside a git checkout.`]);
    const dir = repo("git@github.com:acme/widgets.git");
    expect(await initError(initRepo(dir, { service_url: "coord.example.com" }))).toEqual(["usage_error", "--service-url must be an http:// or https:// URL, got 'coord.example.com'."]);
    expect(await initError(initRepo(dir, { repo: "a b" }))).toEqual(["usage_error", "--repo must be a name such as owner/name, got 'a b'."]);
    expect(existsSync(join(dir, ".claude"))).toBe(false);
  });
});

describe("initText", () => {
  test("lists each file's action, then the next steps naming the service host", () => {
    expect(
      initText({
        root: "/r",
        repo: "acme/widgets",
        service_url: "https://coord.example.com",
        files: [
          { path: ".claude-coord.toml", action: "created" },
          { path: HOOK_SCRIPT, action: "unchanged" },
          { path: SETTINGS_FILE, action: "updated", note: "SessionStart hook added; other settings and hooks kept" },
        ],
      }),
    ).toBe(
      [
        "claude-coord init: repository acme/widgets, service https://coord.example.com",
        "",
        "  created   .claude-coord.toml",
        "  unchanged .claude/hooks/session-start-coord.sh",
        "  updated   .claude/settings.json (SessionStart hook added; other settings and hooks kept)",
        "",
        "Next steps:",
        '  1. Commit the files: git add .claude-coord.toml .claude/hooks/session-start-coord.sh .claude/settings.json .mcp.json && git commit -m "Coordinate sessions with claude-coord"',
        "  2. Claude Code on the web: add coord.example.com to the environment's network allowlist.",
        "  3. Check the hook (prints the coordination state): .claude/hooks/session-start-coord.sh </dev/null",
      ].join("\n"),
    );
  });

  test("says nothing changed when nothing did", () => {
    const files = [".claude-coord.toml", HOOK_SCRIPT, SETTINGS_FILE, MCP_JSON].map((path) => ({ path, action: "unchanged" as const }));
    expect(initText({ root: "/r", repo: "a/b", service_url: undefined, files })).toBe(
      [
        "claude-coord init: repository a/b, service http://127.0.0.1:8787 (the default; set one with --service-url)",
        "",
        "  unchanged .claude-coord.toml",
        "  unchanged .claude/hooks/session-start-coord.sh",
        "  unchanged .claude/settings.json",
        "  unchanged .mcp.json",
        "",
        "Nothing changed: this repository is already wired for claude-coord.",
      ].join("\n"),
    );
  });
});

describe("the reservation guard's hooks", () => {
  test("mergePreToolUse appends the guard to PreToolUse, keeping other PreToolUse groups; a file already running it is unchanged", () => {
    const other = { hooks: { PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "./guard.sh" }] }] } };
    const out = mergePreToolUse(JSON.stringify(other, null, 2), "s.json")!;
    expect(JSON.parse(out)).toEqual({ hooks: { PreToolUse: [other.hooks.PreToolUse[0], preToolUseEntry()] } });
    expect(preToolUseEntry()).toEqual({ matcher: "Edit|Write|MultiEdit|NotebookEdit", hooks: [{ type: "command", command: 'PATH="$PATH:$HOME/.local/bin" claude-coord hook pre-tool-use', timeout: 10 }] });
    expect(mergePreToolUse(out, "s.json")).toBeUndefined();
    expect(() => mergePreToolUse(JSON.stringify({ hooks: { PreToolUse: {} } }), "s.json")).toThrow("s.json: 'hooks.PreToolUse' must be an array.");
  });

  test("initRepo on settings without the guard adds both hooks, and says so", async () => {
    const dir = repo("https://github.com/acme/widgets.git");
    mkdirSync(join(dir, ".claude"));
    writeFileSync(join(dir, SETTINGS_FILE), "{}\n");
    const r = await initRepo(dir, {});
    expect(r.files[2]).toEqual({ path: SETTINGS_FILE, action: "updated", note: "SessionStart, PreToolUse, UserPromptSubmit and PostToolUse hooks added; other settings and hooks kept" });
    expect(JSON.parse(readFileSync(join(dir, SETTINGS_FILE), "utf8"))).toEqual({ hooks: JSON.parse(TEMPLATES["settings.json.example"]!).hooks });
    expect(mergeActivity(readFileSync(join(dir, SETTINGS_FILE), "utf8"), SETTINGS_FILE)).toBeUndefined();
  });

  test("withPreCommitGuard writes a new hook, runs first in an existing one, and leaves one that has it alone", () => {
    expect(withPreCommitGuard(undefined)).toBe(`#!/bin/sh\n${PRE_COMMIT_BLOCK}\n`);
    expect(withPreCommitGuard("#!/bin/bash\nnpm run lint\n")).toBe(`#!/bin/bash\n${PRE_COMMIT_BLOCK}\nnpm run lint\n`);
    expect(withPreCommitGuard(`#!/bin/sh\n${PRE_COMMIT_BLOCK}\n`)).toBeUndefined();
  });

  test("init --git-hook installs an executable pre-commit hook once; a second run changes nothing", async () => {
    const dir = repo("https://github.com/acme/widgets.git");
    const first = await initRepo(dir, { git_hook: true });
    const hookEntry = (r: { files: InitFile[] }) => r.files.find((f) => f.path === ".git/hooks/pre-commit");
    expect(hookEntry(first)).toEqual({ path: ".git/hooks/pre-commit", action: "created", note: "runs claude-coord guard pre-commit before a commit" });
    const hook = join(dir, ".git", "hooks", "pre-commit");
    expect(readFileSync(hook, "utf8")).toBe(`#!/bin/sh\n${PRE_COMMIT_BLOCK}\n`);
    expect(statSync(hook).mode & 0o777).toBe(0o755);
    expect(hookEntry(await initRepo(dir, { git_hook: true }))).toEqual({ path: ".git/hooks/pre-commit", action: "unchanged" });
  });
});
