// `claude-coord init` with the compiled binary: merges into existing settings, is byte-identical on a second run, embeds the templates, and maps errors to exit codes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git, gitInit, runClient, tempDir } from "../helpers/e2e.ts";

const TEMPLATES = join(import.meta.dir, "..", "..", "templates");
let root: string;
beforeAll(() => {
  root = tempDir("init-e2e");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const repo = (url?: string): string => gitInit(root, `repo-${++n}`, url);

const FILES = [".claude-coord.toml", ".claude/hooks/session-start-coord.sh", ".claude/settings.json", ".mcp.json"];
const snapshot = (dir: string) =>
  FILES.map((f) => {
    const st = statSync(join(dir, f));
    return [f, readFileSync(join(dir, f), "utf8"), st.mode, st.mtimeMs, st.ino];
  });

describe("claude-coord init", () => {
  test("on a repo whose .claude/settings.json holds other hooks: keeps them, adds one SessionStart and one PreToolUse entry; a second run changes no byte", async () => {
    const dir = repo("git@github.com:acme/widgets.git");
    const existing = {
      permissions: { allow: ["Bash(npm test)"] },
      hooks: {
        PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "./scripts/guard.sh" }] }],
        SessionStart: [{ matcher: "startup", hooks: [{ type: "command", command: "npm ci" }] }],
      },
      includeCoAuthoredBy: false,
    };
    mkdirSync(join(dir, ".claude"));
    writeFileSync(join(dir, ".claude", "settings.json"), `${JSON.stringify(existing, null, 4)}\n`);
    const first = await runClient(["init", "--service-url", "https://coord.example.com"], { cwd: dir });
    expect([first.code, first.stderr]).toEqual([0, ""]);
    expect(first.stdout).toBe(
      [
        "claude-coord init: repository acme/widgets, service https://coord.example.com",
        "",
        "  created   .claude-coord.toml",
        "  created   .claude/hooks/session-start-coord.sh",
        "  updated   .claude/settings.json (SessionStart, PreToolUse, UserPromptSubmit and PostToolUse hooks added; other settings and hooks kept)",
        "  created   .mcp.json",
        "",
        "Next steps:",
        '  1. Commit the files: git add .claude-coord.toml .claude/hooks/session-start-coord.sh .claude/settings.json .mcp.json && git commit -m "Coordinate sessions with claude-coord"',
        "  2. Claude Code on the web: add coord.example.com to the environment's network allowlist.",
        "  3. Check the hook (prints the coordination state): .claude/hooks/session-start-coord.sh </dev/null",
        "",
      ].join("\n"),
    );
    const settings = readFileSync(join(dir, ".claude", "settings.json"), "utf8");
    const entry = { matcher: "", hooks: [{ type: "command", command: '"$CLAUDE_PROJECT_DIR"/.claude/hooks/session-start-coord.sh', timeout: 120 }] };
    const activity = { type: "command", command: 'claude-coord hook activity 2>/dev/null || "$HOME/.local/bin/claude-coord" hook activity 2>/dev/null || true', timeout: 15 };
    const guard = { matcher: "Edit|Write|MultiEdit|NotebookEdit", hooks: [{ type: "command", command: 'PATH="$PATH:$HOME/.local/bin" claude-coord hook pre-tool-use', timeout: 10 }] };
    expect(settings).toBe(
      `${JSON.stringify({ ...existing, hooks: { PreToolUse: [...existing.hooks.PreToolUse, guard], SessionStart: [...existing.hooks.SessionStart, entry], UserPromptSubmit: [{ hooks: [activity] }], PostToolUse: [{ matcher: "", hooks: [activity] }] } }, null, 4)}\n`,
    );
    expect(readFileSync(join(dir, ".claude-coord.toml"), "utf8").split("\n").slice(2, 4)).toEqual([
      'repo = "acme/widgets"                      # the name the service whitelists: owner/name',
      'service_url = "https://coord.example.com"  # the coordination service (default: http://127.0.0.1:8787)',
    ]);

    const before = snapshot(dir);
    const second = await runClient(["init"], { cwd: dir });
    expect([second.code, second.stderr]).toEqual([0, ""]);
    expect(second.stdout.endsWith("\nNothing changed: this repository is already wired for claude-coord.\n")).toBe(true);
    expect(snapshot(dir)).toEqual(before);
  });

  test("--json prints the repo, the service URL and each file's action", async () => {
    const dir = repo("https://github.com/acme/widgets.git");
    const r = await runClient(["init", "--json", "--repo", "acme/other"], { cwd: dir });
    expect([r.code, JSON.parse(r.stdout), r.stderr]).toEqual([
      0,
      {
        repo: "acme/other",
        service_url: null,
        files: [
          { path: ".claude-coord.toml", action: "created" },
          { path: ".claude/hooks/session-start-coord.sh", action: "created" },
          { path: ".claude/settings.json", action: "created" },
          { path: ".mcp.json", action: "created" },
        ],
      },
      "",
    ]);
  });

  test.each(["session-start-hook.sh", "settings.json.example", "claude-coord.toml.example", "service.toml.example", "claude-coord.service"])(
    "the binary embeds templates/%s: init --print gives its bytes, offline",
    async (name) => {
      const r = await runClient(["init", "--print", name], { cwd: root, env: { CLAUDE_COORD_URL: "http://127.0.0.1:9" } });
      expect([r.code, r.stdout, r.stderr]).toEqual([0, readFileSync(join(TEMPLATES, name), "utf8"), ""]);
    },
  );

  test("errors: outside a checkout 78, no repo 78, a bad --service-url 64, an unknown template 64 — text on stderr, or JSON with --json", async () => {
    const outside = join(root, "plain");
    mkdirSync(outside);
    const a = await runClient(["init"], { cwd: outside });
    expect([a.code, a.stdout, a.stderr]).toEqual([78, "", `ERROR: ${outside} is not inside a git checkout.\n\nACTION REQUIRED: Run 'claude-coord init' from inside a clone of the repository.\n`]);
    const bare = repo();
    const b = await runClient(["init", "--json"], { cwd: bare });
    expect([b.code, JSON.parse(b.stdout)]).toEqual([
      78,
      {
        status: "config_error",
        message: `No repository name for ${join(bare, ".claude-coord.toml")}: --repo was not given and there is no remote 'origin'.`,
        action: "Run 'claude-coord init --repo owner/name' with the name the service whitelists.",
      },
    ]);
    const c = await runClient(["init", "--service-url", "coord.example.com"], { cwd: bare });
    expect([c.code, c.stderr]).toEqual([64, "ERROR: --service-url must be an http:// or https:// URL, got 'coord.example.com'.\n\nACTION REQUIRED: Run 'claude-coord init --service-url https://coord.example.com'.\n"]);
    const d = await runClient(["init", "--print", "nope.txt"], { cwd: bare });
    expect([d.code, d.stdout, d.stderr]).toEqual([
      64,
      "",
      "ERROR: There is no template 'nope.txt'.\n\nACTION REQUIRED: Run 'claude-coord init --print <name>' with one of: session-start-hook.sh, settings.json.example, claude-coord.toml.example, service.toml.example, claude-coord.service.\n",
    ]);
    const e = await runClient(["init", "--force"], { cwd: bare });
    expect([e.code, e.stderr]).toEqual([64, "ERROR: Unknown flag '--force' for 'claude-coord init'.\n\nACTION REQUIRED: Run 'claude-coord init --help' and correct the command.\n"]);
  });
});
