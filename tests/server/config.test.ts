// Tests of src/server/config.ts: the service config file, flags on top, errors naming the file and key.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoordError } from "../../src/core/errors.ts";
import { loadServiceConfig } from "../../src/server/config.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-service-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof CoordError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("no error");
}

describe("service configuration", () => {
  test("defaults with --repo flags; relative paths resolve against the working directory", () => {
    const cfg = loadServiceConfig({ repo: ["o/a=./checkout", "o/b=https://git.example/x.git"], port: "0" }, dir);
    expect(cfg).toEqual({
      host: "127.0.0.1",
      port: 0,
      database: join(dir, "claude-coord.db"),
      data_dir: join(dir, "claude-coord.db.data"),
      admin_tokens: [],
      github: { api_url: "https://api.github.com" },
      jobs: { branch_check: "0 * * * *", sweep: "*/10 * * * *", claim_ttl_ms: 864_000_000, completed_ttl_ms: 86_400_000 },
      repos: [
        { name: "o/a", plan_path: "context", main_branch: "main", source: join(dir, "checkout"), head_ttl_ms: 10_000 },
        { name: "o/b", plan_path: "context", main_branch: "main", source: "https://git.example/x.git", head_ttl_ms: 10_000 },
      ],
      file: undefined,
    });
  });

  test("a full file is read, paths relative to the file, flags on top", () => {
    const file = join(dir, "service.toml");
    writeFileSync(
      file,
      `[server]\nhost = "0.0.0.0"\nport = 9000\ndatabase = "data/c.db"\nadmin_tokens = ["0123456789abcdef"]\n[jobs]\nclaim_ttl = "2d"\ncompleted_ttl = "1h"\nsweep = "* * * * *"\n[[repos]]\nname = "o/r"\nsource = "repo"\nplan_path = "plans"\nhead_ttl = "30s"\n`,
    );
    const cfg = loadServiceConfig({ config: file, port: "9100" }, "/elsewhere");
    expect([cfg.host, cfg.port, cfg.database, cfg.admin_tokens]).toEqual(["0.0.0.0", 9100, join(dir, "data/c.db"), ["0123456789abcdef"]]);
    expect(cfg.jobs).toEqual({ branch_check: "0 * * * *", sweep: "* * * * *", claim_ttl_ms: 172_800_000, completed_ttl_ms: 3_600_000 });
    expect(cfg.repos).toEqual([{ name: "o/r", plan_path: "plans", main_branch: "main", source: join(dir, "repo"), head_ttl_ms: 30_000 }]);
  });

  const broken: [string, string, string][] = [
    ["not TOML", "[server\n", "not valid TOML"],
    ["an unknown section key", "[server]\nprot = 1\n", "unknown key 'server.prot'."],
    ["a wrong-typed port", '[server]\nport = "x"\n', "key 'server.port' must be a port number from 0 to 65535"],
    ["a repo without a name", '[[repos]]\nsource = "x"\n', "key 'repos[0].name' is required."],
    ["a bad duration", '[jobs]\nclaim_ttl = "ten days"\n', "key 'jobs.claim_ttl' must be a duration such as 10s, 90m, 24h or 10d, got \"ten days\"."],
    ["a bad cron pattern", '[jobs]\nsweep = "every minute"\n', "key 'jobs.sweep' must be a cron pattern in croner syntax"],
    ["a short admin token", '[server]\nadmin_tokens = ["short"]\n', "key 'server.admin_tokens[0]' must be a token of at least 16 characters"],
    ["a repo listed twice", '[[repos]]\nname = "o/r"\n[[repos]]\nname = "O/R"\n', "repository 'O/R' is listed twice in the whitelist."],
  ];
  for (const [name, text, message] of broken) {
    test(`a service config with ${name} is refused naming the file and key`, () => {
      const file = join(dir, "service.toml");
      writeFileSync(file, text);
      const e = errorOf(() => loadServiceConfig({ config: file }, dir));
      expect(e.code).toBe("config_error");
      expect(e.message.startsWith(`${file}: `)).toBe(true);
      expect(e.message).toContain(message);
    });
  }

  test("a missing config file and bad flags are config errors", () => {
    expect(errorOf(() => loadServiceConfig({ config: "nope.toml" }, dir)).message).toBe(`${join(dir, "nope.toml")}: cannot read the service config (ENOENT).`);
    expect(errorOf(() => loadServiceConfig({ repo: ["no-equals"] }, dir)).message).toBe("--repo 'no-equals' must be NAME=SOURCE, for example --repo owner/name=/path/to/checkout.");
    expect(errorOf(() => loadServiceConfig({ port: "99999" }, dir)).message).toBe("--port must be a port number from 0 to 65535, got '99999'.");
  });
});
