// Error paths of the compiled binary: configuration (78), usage (64), a bad service config, oversized and malformed requests over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { binary, cloneSession, git, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

let root: string;
let origin: string;
let work: string;
let service: ServiceProcess;
let env: Record<string, string>;

beforeAll(async () => {
  root = tempDir("errors");
  ({ origin } = makeOrigin(root));
  work = cloneSession(origin, root, "w");
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/e=${origin}`]);
  env = { CLAUDE_COORD_REPO: "acme/e", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: "error-session-0001" };
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("configuration errors exit 78 naming what to fix", () => {
  test("a broken .claude-coord.toml names the file and the key", async () => {
    const c = cloneSession(origin, root, "broken-config");
    writeFileSync(join(c, ".claude-coord.toml"), 'repo = "acme/e"\nservice_url = 8787\n');
    const r = await runClient(["claims"], { cwd: c, env: { CLAUDE_COORD_SESSION_ID: "x" } });
    expect(r.code).toBe(78);
    expect(r.stderr).toBe(`ERROR: ${join(c, ".claude-coord.toml")}: key 'service_url' must be a non-empty string, got 8787.\n\nACTION REQUIRED: Fix the configuration named above, then run the command again.\n`);
    const j = await runClient(["claims", "--json"], { cwd: c, env: {} });
    expect([j.code, JSON.parse(j.stdout).status, JSON.parse(j.stdout).key]).toEqual([78, "config_error", "service_url"]);
  });

  test("no repo configured", async () => {
    const r = await runClient(["claims"], { cwd: work, env: { CLAUDE_COORD_URL: service.url } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("ERROR: No repository is configured.");
    expect(r.stderr).toContain('ACTION REQUIRED: Add repo = "owner/name" to');
  });

  test("no session id for claim", async () => {
    const r = await runClient(["claim", "--task", "task-a"], { cwd: work, env: { CLAUDE_COORD_REPO: "acme/e", CLAUDE_COORD_URL: service.url } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("ERROR: No session id: this command needs to know which session is asking.");
  });

  test("not inside a git checkout", async () => {
    const r = await runClient(["claims"], { cwd: root, env });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`ERROR: ${root} is not inside a git checkout.`);
  });

  test("a checkout whose main cannot be read", async () => {
    const r = await runClient(["claims"], { cwd: work, env: { ...env, CLAUDE_COORD_MAIN_BRANCH: "trunk" } });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("ERROR: Cannot compute the repo token from");
    expect(r.stderr).toContain("ACTION REQUIRED: Run 'git fetch origin trunk' so that origin/trunk exists");
  });

  test("a broken service config: serve exits 78 naming the file and key", async () => {
    const file = join(root, "service.toml");
    writeFileSync(file, '[server]\nport = "eighty"\n');
    const r = await runClient(["serve", "--config", file], { cwd: root });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`ERROR: ${file}: key 'server.port' must be a port number from 0 to 65535`);
  });

  test("without admin_tokens and an admin-token file that cannot be read: serve exits 78 naming server.data_dir", async () => {
    const data = join(root, "broken.db.data");
    mkdirSync(join(data, "admin-token"), { recursive: true });
    const r = await runClient(["serve", "--port", "0", "--db", join(root, "broken.db")], { cwd: root });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`ERROR: Cannot keep the generated admin token in ${data} (EISDIR): set [server] admin_tokens or a writable data_dir.`);
  });

  test("a database file that is not a claude-coord database: serve exits 78 and leaves it alone", async () => {
    const file = join(root, "notes.db");
    writeFileSync(file, "my notes\n");
    const r = await runClient(["serve", "--port", "0", "--db", file], { cwd: root });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${file} is not a claude-coord database`);
    expect(await Bun.file(file).text()).toBe("my notes\n");
  });
});

describe("usage errors exit 64", () => {
  const cases: [string, string[], string][] = [
    ["an unknown command", ["frobnicate"], "ERROR: Unknown command 'frobnicate'."],
    ["an unknown flag", ["claims", "--repp", "x"], "ERROR: Unknown flag '--repp' for 'claude-coord claims'."],
    ["claim without --task", ["claim"], "ERROR: 'claude-coord claim' needs --task or --next."],
    ["a flag without its value", ["claim", "--task"], "ERROR: Flag '--task' needs a value."],
    ["expire with both --task and --session", ["expire", "--task", "a", "--session", "bbbbbbbb"], "ERROR: 'claude-coord expire' needs exactly one of --task or --session."],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const r = await runClient(args, { cwd: work, env });
      expect(r.code).toBe(64);
      expect(r.stderr.split("\n")[0]).toBe(message);
    });
  }

  test("a detached HEAD without --branch", async () => {
    const c = cloneSession(origin, root, "detached");
    git(c, "checkout", "-q", "--detach");
    const r = await runClient(["claim", "--task", "task-a"], { cwd: c, env });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("ERROR: HEAD is detached, so the branch of this work is unknown.");
    const ok = await runClient(["claim", "--task", "task-a", "--branch", "claude/detached", "--json"], { cwd: c, env: { ...env, CLAUDE_COORD_SESSION_ID: "detached-session" } });
    expect([ok.code, JSON.parse(ok.stdout).branch]).toEqual([0, "claude/detached"]);
  });

  test("--version and --help exit 0", async () => {
    const v = await runClient(["--version"], { cwd: work });
    expect([v.code, v.stdout]).toEqual([0, "0.1.0\n"]);
    const h = await runClient(["claim", "--help"], { cwd: work });
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("--task");
  });
});

describe("bad requests over real HTTP: 4xx naming the field, never 500, nothing stored", () => {
  const count = () => {
    const db = new Database(join(root, "coord.db"), { readonly: true });
    const n = (db.query("SELECT COUNT(*) AS n FROM claims").get() as { n: number }).n;
    db.close();
    return n;
  };

  test("an oversized body gets 413, with or without Content-Length", async () => {
    const before = count();
    const big = JSON.stringify({ repo: "acme/e", pad: "x".repeat(200_000) });
    const r1 = await fetch(`${service.url}/claim`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(r1.status).toBe(413);
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const r2 = await fetch(`${service.url}/claim`, { method: "POST", headers: { "content-type": "application/json" }, body: stream });
    expect(r2.status).toBe(413);
    expect(count()).toBe(before);
  });

  test("malformed JSON and a wrong-typed field", async () => {
    const r1 = await fetch(`${service.url}/claim`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect([r1.status, await r1.json()]).toEqual([400, { status: "invalid_request", message: "The request body is not valid JSON." }]);
    const r2 = await fetch(`${service.url}/complete`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ repo: ["acme/e"] }) });
    expect([r2.status, await r2.json()]).toEqual([400, { status: "invalid_request", message: "Invalid request body: field 'repo' must be a string.", field: "repo" }]);
    expect(service.output()).not.toContain("unexpected error");
  });

  test("the binary's own version is reported by /health", async () => {
    await binary();
    const r = await fetch(`${service.url}/health`);
    expect(await r.json()).toEqual({ status: "ok", version: "0.1.0", backend: "sqlite" });
  });
});

describe("a URL that is not a claude-coord service", () => {
  test("the CLI against a static HTTP server on 127.0.0.1 exits 2: 'Not a claude-coord service at URL', also with --json", async () => {
    // A plain static server: an HTML page for every path, 404 for POSTs.
    const site = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => new Response("<!doctype html><title>It works</title>", { status: req.method === "GET" ? 200 : 404, headers: { "content-type": "text/html" } }),
    });
    try {
      const url = `http://127.0.0.1:${site.port}`;
      const r = await runClient(["claims"], { cwd: work, env: { ...env, CLAUDE_COORD_URL: url } });
      expect([r.code, r.stdout]).toEqual([2, ""]);
      expect(r.stderr).toBe(
        `ERROR: Not a claude-coord service at ${url}.\n\nStatus: GET /claims answered HTTP 200 with a body outside the contract (not JSON)\n\n` +
          "Something answered at that URL, but not as a claude-coord service does (a web server, a proxy page, another API).\n\n" +
          "ACTION REQUIRED: Check the service URL (CLAUDE_COORD_URL or `service_url` in .claude-coord.toml) and retry;\n" +
          "'claude-coord claims' works once it points at the coordination service.\n",
      );
      const j = await runClient(["claim", "--task", "task-a", "--json"], { cwd: work, env: { ...env, CLAUDE_COORD_URL: url } });
      expect([j.code, JSON.parse(j.stdout).status, JSON.parse(j.stdout).service_url]).toEqual([2, "not_a_service", url]);
    } finally {
      site.stop(true);
    }
  });
});

describe("a whitelisted repository the service cannot read", () => {
  test("a local source whose main branch is gone: exit 2 naming the branch and the service URL, not 'the service is down'", async () => {
    const sub = join(root, "gone");
    mkdirSync(sub);
    const { origin: gone } = makeOrigin(sub);
    const c = cloneSession(gone, sub, "w");
    // The whitelist entry still says main, but the repository's main was renamed.
    git(gone, "branch", "-m", "main", "trunk");
    const s = await startService(["--port", "0", "--db", join(sub, "coord.db"), "--repo", `acme/gone=${gone}`]);
    try {
      const r = await runClient(["claims"], { cwd: c, env: { ...env, CLAUDE_COORD_REPO: "acme/gone", CLAUDE_COORD_URL: s.url } });
      expect([r.code, r.stdout]).toEqual([2, ""]);
      expect(r.stderr).toBe(
        `ERROR: Coordination service cannot read the repository right now.\n\nService URL: ${s.url}\nStatus: Cannot read repository "acme/gone": branch "main" does not exist\n\n` +
          "ACTION REQUIRED: The coordination service cannot check this repository (its git host is unreachable, or its whitelist entry needs fixing: see Status). Please ask the user whether to:\n" +
          "1. Wait and retry later\n2. Proceed without coordination (risk of duplicate work)\n",
      );
      const j = await runClient(["claims", "--json"], { cwd: c, env: { ...env, CLAUDE_COORD_REPO: "acme/gone", CLAUDE_COORD_URL: s.url } });
      expect([j.code, JSON.parse(j.stdout).status, JSON.parse(j.stdout).service_url]).toEqual([2, "upstream_unavailable", s.url]);
    } finally {
      await s.stop();
    }
  });
});
