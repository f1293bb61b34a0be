// templates/: each is accepted by what reads it — the client and service config loaders, Claude Code's settings shape, systemd, sh — and the service example really serves.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOOK_SCRIPT, TEMPLATES } from "../../src/cli/init.ts";
import { readClientConfigFile } from "../../src/config.ts";
import { loadServiceConfig } from "../../src/server/config.ts";
import { binary, makeOrigin, startService, tempDir } from "../helpers/e2e.ts";
import { requireCommand } from "../../scripts/system-packages.ts";

const T = join(import.meta.dir, "..", "..", "templates");
let dir: string;
beforeAll(() => {
  dir = tempDir("templates");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("templates/ holds the five templates, and init embeds each byte for byte", () => {
  for (const [name, text] of Object.entries(TEMPLATES)) expect(text).toBe(readFileSync(join(T, name), "utf8"));
  expect(Object.keys(TEMPLATES).sort()).toEqual(["claude-coord.service", "claude-coord.toml.example", "service.toml.example", "session-start-hook.sh", "settings.json.example"]);
});

test("claude-coord.toml.example is a valid client config", () => {
  expect(readClientConfigFile(join(T, "claude-coord.toml.example"))).toEqual({ repo: "owner/repo", service_url: "https://coord.example.com" });
});

test("settings.json.example has one SessionStart hook running the hook script from the project dir, the reservation guard before file edits, and hook activity for UserPromptSubmit and PostToolUse", () => {
  const activity = { type: "command", command: 'claude-coord hook activity 2>/dev/null || "$HOME/.local/bin/claude-coord" hook activity 2>/dev/null || true', timeout: 15 };
  expect(JSON.parse(TEMPLATES["settings.json.example"]!)).toEqual({
    hooks: {
      SessionStart: [{ matcher: "", hooks: [{ type: "command", command: `"$CLAUDE_PROJECT_DIR"/${HOOK_SCRIPT}`, timeout: 120 }] }],
      PreToolUse: [{ matcher: "Edit|Write|MultiEdit|NotebookEdit", hooks: [{ type: "command", command: 'PATH="$PATH:$HOME/.local/bin" claude-coord hook pre-tool-use', timeout: 10 }] }],
      UserPromptSubmit: [{ hooks: [activity] }],
      PostToolUse: [{ matcher: "", hooks: [activity] }],
    },
  });
});

describe("session-start-hook.sh", () => {
  test("is executable and parses under dash and bash", () => {
    requireCommand("dash");
    expect(statSync(join(T, "session-start-hook.sh")).mode & 0o111).toBe(0o111);
    for (const sh of ["dash", "bash"]) expect(Bun.spawnSync([sh, "-n", join(T, "session-start-hook.sh")]).exitCode).toBe(0);
    expect(Bun.spawnSync(["dash", "-n", join(import.meta.dir, "..", "..", "scripts", "install.sh")]).exitCode).toBe(0);
  });

  test("without the CLI and without a way to install it, prints the not-installed guidance and exits 0", () => {
    const home = join(dir, "home-none");
    const r = Bun.spawnSync(["dash", join(T, "session-start-hook.sh")], {
      env: { PATH: "/usr/bin:/bin", HOME: home, CLAUDE_COORD_INSTALL_URL: "http://127.0.0.1:9/install.sh" },
      stdin: new TextEncoder().encode('{"session_id":"s"}'),
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe(
      [
        "=== claude-coord: not installed ===",
        "ERROR: The claude-coord CLI is not installed and could not be installed, so this session is not coordinated.",
        "",
        "ACTION REQUIRED: Tell the user that task coordination is off for this session and ask whether to:",
        "1. Install it (curl -fsSL https://raw.githubusercontent.com/claude-coord/claude-coord/main/scripts/install.sh | sh, or npm install -g claude-coord) and start a new session",
        "2. Proceed without coordination (risk of duplicate work)",
        "",
      ].join("\n"),
    );
    expect(r.stderr.toString()).toBe(`claude-coord: installing into ${home}/.local/bin from http://127.0.0.1:9/install.sh\n`);
  });
});

describe("service.toml.example and claude-coord.service", () => {
  test("the service example loads: data under /var/lib/claude-coord, one GitHub repository", () => {
    const cfg = loadServiceConfig({ config: join(T, "service.toml.example") });
    expect([cfg.host, cfg.port, cfg.database, cfg.data_dir, cfg.admin_tokens]).toEqual(["127.0.0.1", 8787, "/var/lib/claude-coord/claude-coord.db", "/var/lib/claude-coord/data", []]);
    expect(cfg.repos).toEqual([{ name: "owner/repo", source: "github", plan_path: "context", main_branch: "main", head_ttl_ms: 10_000 }]);
    expect([cfg.jobs.sweep, cfg.jobs.branch_check, cfg.jobs.claim_ttl_ms, cfg.jobs.completed_ttl_ms]).toEqual(["*/10 * * * *", "0 * * * *", 10 * 86_400_000, 86_400_000]);
  });

  test("the example serves for real once its paths and source point at this machine", async () => {
    const { origin } = makeOrigin(dir);
    const text = TEMPLATES["service.toml.example"]!.replaceAll("/var/lib/claude-coord", join(dir, "state")).replace('source = "github"', `source = "${origin}"`);
    const file = join(dir, "service.toml");
    writeFileSync(file, text);
    const svc = await startService(["--config", file, "--port", "0"]);
    try {
      expect(svc.output()).toContain("(database ");
      expect(svc.output()).toContain(`${join(dir, "state", "claude-coord.db")}; repos: owner/repo)`);
    } finally {
      expect(await svc.stop()).toBe(0);
    }
  });

  test("the unit runs the binary with the service config as a dedicated user, with its state dir matching the config's paths", () => {
    const unit = TEMPLATES["claude-coord.service"]!;
    const lines = new Set(unit.split("\n"));
    for (const l of ["User=claude-coord", "Group=claude-coord", "StateDirectory=claude-coord", "WorkingDirectory=/var/lib/claude-coord", "ExecStart=/usr/local/bin/claude-coord serve --config /etc/claude-coord/service.toml", "ProtectSystem=strict", "NoNewPrivileges=true", "Restart=on-failure"]) {
      expect(lines.has(l)).toBe(true);
    }
    // A JIT runtime needs writable+executable memory: the unit must not forbid it.
    expect(unit).not.toContain("MemoryDenyWriteExecute");
  });

  test("systemd-analyze verify accepts the unit without a warning", async () => {
    requireCommand("systemd-analyze");
    const unit = join(dir, "claude-coord.service");
    writeFileSync(unit, TEMPLATES["claude-coord.service"]!.replace("ExecStart=/usr/local/bin/claude-coord", `ExecStart=${await binary()}`));
    const r = Bun.spawnSync(["systemd-analyze", "verify", unit], { stdout: "pipe", stderr: "pipe" });
    expect([r.exitCode, r.stderr.toString()]).toEqual([0, ""]);
  });
});
