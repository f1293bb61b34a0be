// `claude-coord init --agent codex` (src/cli/init-codex.ts) on real git repositories: AGENTS.md, .codex/hooks.json merged, the hooks feature flag; idempotent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENTS_MARKER, agentsSection, CODEX_HOOKS } from "../../src/cli/init-codex.ts";
import { initRepo, initText } from "../../src/cli/init.ts";
import { CoordError } from "../../src/core/errors.ts";
import { gitInit, tempDir } from "../helpers/e2e.ts";

let root: string;
beforeAll(() => {
  root = tempDir("init-codex");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const repo = () => gitInit(root, `repo-${++n}`, "git@github.com:acme/widgets.git");
const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");

describe("init --agent codex", () => {
  test("writes Claude Code's wiring and Codex's: AGENTS.md, .codex/hooks.json, .codex/config.toml; a second run changes nothing", async () => {
    const dir = repo();
    const r = await initRepo(dir, { agent: "codex" });
    expect(r.files.map((f) => [f.path, f.action])).toEqual([
      [".claude-coord.toml", "created"],
      [".claude/hooks/session-start-coord.sh", "created"],
      [".claude/settings.json", "created"],
      [".mcp.json", "created"],
      ["AGENTS.md", "created"],
      [".codex/hooks.json", "created"],
      [".codex/config.toml", "created"],
    ]);
    expect(read(dir, "AGENTS.md")).toBe(agentsSection());
    expect(JSON.parse(read(dir, ".codex/hooks.json"))).toEqual(CODEX_HOOKS);
    expect(read(dir, ".codex/config.toml")).toBe("[features]\ncodex_hooks = true   # Codex runs .codex/hooks.json only with this\n");
    expect(initText(r)).toContain("git add .claude-coord.toml .claude/hooks/session-start-coord.sh .claude/settings.json .mcp.json AGENTS.md .codex/hooks.json .codex/config.toml && git commit");
    const again = await initRepo(dir, { agent: "codex" });
    expect(again.files.every((f) => f.action === "unchanged")).toBe(true);
  });

  test("an existing AGENTS.md gets the section appended, other Codex hooks are kept, a config without the flag is kept with a note", async () => {
    const dir = repo();
    writeFileSync(join(dir, "AGENTS.md"), "# Rules\nRun the tests.");
    mkdirSync(join(dir, ".codex"));
    const own = { hooks: { PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "./guard.sh" }] }] } };
    writeFileSync(join(dir, ".codex/hooks.json"), JSON.stringify(own, null, 2));
    writeFileSync(join(dir, ".codex/config.toml"), 'model = "o3"\n');
    const r = await initRepo(dir, { agent: "codex" });
    expect(r.files.slice(4)).toEqual([
      { path: "AGENTS.md", action: "updated", note: "claude-coord section appended" },
      { path: ".codex/hooks.json", action: "updated", note: "claude-coord hooks added; other hooks kept" },
      { path: ".codex/config.toml", action: "kept", note: "add 'codex_hooks = true' under [features] so that Codex runs the hooks" },
    ]);
    expect(read(dir, "AGENTS.md")).toBe(`# Rules\nRun the tests.\n\n${agentsSection()}`);
    expect(read(dir, "AGENTS.md").split(AGENTS_MARKER).length).toBe(2);
    expect(JSON.parse(read(dir, ".codex/hooks.json"))).toEqual({ hooks: { ...own.hooks, ...CODEX_HOOKS.hooks } });
    expect(read(dir, ".codex/config.toml")).toBe('model = "o3"\n');
  });

  test("an unknown agent is a usage error before anything is written", async () => {
    const dir = repo();
    const e = await initRepo(dir, { agent: "cursor" }).catch((x: unknown) => x as CoordError);
    expect([e instanceof CoordError && e.code, e instanceof CoordError && e.message]).toEqual(["usage_error", "--agent must be one of codex, got 'cursor'."]);
  });
});
