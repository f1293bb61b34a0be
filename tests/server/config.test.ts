// Tests of src/server/config.ts: the service config file, flags on top, errors naming the file and key.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoordError } from "../../src/core/errors.ts";
import { RATE_LIMIT_DEFAULTS } from "../../src/server/rate-limit.ts";
import { DEFAULT_LIMITS } from "../../src/core/limits.ts";
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
  test("[limits] sets each bound it names; the others keep their defaults", () => {
    const file = join(dir, "limits.toml");
    writeFileSync(file, "[limits]\nmessages_per_session_per_hour = 5\nevent_streams_per_ip = 2\n");
    expect(loadServiceConfig({ config: file }, dir).limits).toEqual({ ...DEFAULT_LIMITS, messages_per_session_per_hour: 5, event_streams_per_ip: 2 });
  });

  test("defaults with --repo flags; relative paths resolve against the working directory", () => {
    const cfg = loadServiceConfig({ repo: ["o/a=./checkout", "o/b=https://git.example/x.git"], port: "0" }, dir);
    expect(cfg).toEqual({
      host: "127.0.0.1",
      port: 0,
      database: join(dir, "claude-coord.db"),
      data_dir: join(dir, "claude-coord.db.data"),
      admin_tokens: [],
      metrics: "admin",
      rate_limits: RATE_LIMIT_DEFAULTS,
      github: { api_url: "https://api.github.com" },
      jobs: {
        branch_check: "0 * * * *",
        sweep: "*/10 * * * *",
        claim_ttl_ms: 864_000_000,
        completed_ttl_ms: 86_400_000,
        stale_after_ms: 1_800_000,
        session_retention_ms: 604_800_000,
        message_retention_ms: 604_800_000,
        event_retention_ms: 3_600_000,
      },
      limits: DEFAULT_LIMITS,
      repos: [
        { name: "o/a", plan_path: "context", main_branch: "main", source: join(dir, "checkout"), head_ttl_ms: 10_000 },
        { name: "o/b", plan_path: "context", main_branch: "main", source: "https://git.example/x.git", head_ttl_ms: 10_000 },
      ],
      notify: [],
      file: undefined,
    });
  });

  test("a full file is read, paths relative to the file, flags on top", () => {
    const file = join(dir, "service.toml");
    writeFileSync(
      file,
      `[server]\nhost = "0.0.0.0"\nport = 9000\ndatabase = "data/c.db"\nadmin_tokens = ["0123456789abcdef"]\nmetrics = "public"\n[jobs]\nclaim_ttl = "2d"\ncompleted_ttl = "1h"\nsweep = "* * * * *"\nstale_after = "5m"\nsession_retention = "2d"\nmessage_retention = "3d"\nevent_retention = "10m"\n[[repos]]\nname = "o/r"\nsource = "repo"\nplan_path = "plans"\nhead_ttl = "30s"\n`,
    );
    const cfg = loadServiceConfig({ config: file, port: "9100" }, "/elsewhere");
    expect([cfg.host, cfg.port, cfg.database, cfg.admin_tokens, cfg.metrics]).toEqual(["0.0.0.0", 9100, join(dir, "data/c.db"), ["0123456789abcdef"], "public"]);
    expect(cfg.jobs).toEqual({
      branch_check: "0 * * * *",
      sweep: "* * * * *",
      claim_ttl_ms: 172_800_000,
      completed_ttl_ms: 3_600_000,
      stale_after_ms: 300_000,
      session_retention_ms: 172_800_000,
      message_retention_ms: 259_200_000,
      event_retention_ms: 600_000,
    });
    expect(cfg.repos).toEqual([{ name: "o/r", plan_path: "plans", main_branch: "main", source: join(dir, "repo"), head_ttl_ms: 30_000 }]);
  });

  test("[server] rate limit keys replace the defaults bucket by bucket; trusted proxies take addresses and CIDR ranges", () => {
    const file = join(dir, "service.toml");
    writeFileSync(file, '[server]\nrate_limit = false\nsession_per_second = 2.5\ngit_host_burst = 3\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]\n');
    expect(loadServiceConfig({ config: file }, dir).rate_limits).toEqual({
      enabled: false,
      session: { per_second: 2.5, burst: RATE_LIMIT_DEFAULTS.session.burst },
      ip: RATE_LIMIT_DEFAULTS.ip,
      git_host: { per_second: RATE_LIMIT_DEFAULTS.git_host.per_second, burst: 3 },
      trusted_proxies: ["127.0.0.1", "10.0.0.0/8", "::1"],
    });
  });

  const broken: [string, string, string][] = [
    ["not TOML", "[server\n", "not valid TOML"],
    ["an unknown section key", "[server]\nprot = 1\n", "unknown key 'server.prot'."],
    ["a wrong-typed port", '[server]\nport = "x"\n', "key 'server.port' must be a port number from 0 to 65535"],
    ["a repo without a name", '[[repos]]\nsource = "x"\n', "key 'repos[0].name' is required."],
    ["a bad duration", '[jobs]\nclaim_ttl = "ten days"\n', "key 'jobs.claim_ttl' must be a duration such as 10s, 90m, 24h or 10d, got \"ten days\"."],
    ["a bad cron pattern", '[jobs]\nsweep = "every minute"\n', "key 'jobs.sweep' must be a cron pattern in croner syntax"],
    ["a short admin token", '[server]\nadmin_tokens = ["short"]\n', "key 'server.admin_tokens[0]' must be a token of at least 16 characters"],
    ["a metrics access that is neither admin nor public", '[server]\nmetrics = "open"\n', "key 'server.metrics' must be \"admin\" (GET /metrics needs the admin token) or \"public\""],
    ["a trusted proxy that is no address", '[server]\ntrusted_proxies = ["10.0.0.1", "proxy.local"]\n', "key 'server.trusted_proxies[1]' must be an IP address or CIDR range such as 127.0.0.1 or 10.0.0.0/8, got \"proxy.local\"."],
    ["a rate of zero", "[server]\nsession_per_second = 0\n", "key 'server.session_per_second' must be a number of requests per second above 0"],
    ["a fractional burst", "[server]\nip_burst = 2.5\n", "key 'server.ip_burst' must be a whole number of requests, at least 1"],
    ["rate_limit that is not a boolean", '[server]\nrate_limit = "off"\n', "key 'server.rate_limit' must be true or false"],
    ["a zero limit", "[limits]\nmessage_bytes = 0\n", "key 'limits.message_bytes' must be a whole number of at least 1"],
    ["an unknown limit", "[limits]\nmessages_per_hour = 5\n", "unknown key 'limits.messages_per_hour'."],
    ["a repo listed twice", '[[repos]]\nname = "o/r"\n[[repos]]\nname = "O/R"\n', "repository 'O/R' is listed twice in the whitelist."],
  ];
  broken.push(
    ["both a token and an App", '[github]\ntoken = "ghp_x"\napp_id = 3\nprivate_key_path = "k.pem"\n', "key 'github.token' cannot be set together with github.app_id"],
    ["an App without its key", "[github]\napp_id = 3\n", "key 'github.private_key_path' is required when github.app_id is set."],
    ["a key without an App", '[github]\nprivate_key_path = "k.pem"\n', "key 'github.app_id' is required when github.private_key_path is set."],
    ["an api_url that is not GitHub's", '[github]\napi_url = "https://git.example.com"\n', "key 'github.api_url' must be https://api.github.com or a GitHub Enterprise Server API URL ending in /api/v3"],
    ["a negative app_id", "[github]\napp_id = -1\n", "key 'github.app_id' must be a GitHub App id (an integer)"],
    ["an unknown [github] key", '[github]\ntokn = "x"\n', "unknown key 'github.tokn'."],
    ["a GitHub repo without an owner", '[[repos]]\nname = "widgets"\n', "key 'repos[0].name' must be GitHub's owner/name when the source is \"github\", got \"widgets\"."],
  );
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

  test("[github]: an App's key path resolves against the file; empty strings and app_id 0 mean unset; secrets stay out of errors", () => {
    const file = join(dir, "service.toml");
    writeFileSync(file, '[github]\napp_id = 12345\nprivate_key_path = "secrets/app.pem"\napi_url = "https://ghe.example.com/api/v3/"\nwebhook_secret = "s3cret-hook"\n[[repos]]\nname = "Octo-Org/Widgets"\n');
    expect(loadServiceConfig({ config: file }, "/elsewhere").github).toEqual({
      app_id: 12345,
      private_key_path: join(dir, "secrets/app.pem"),
      api_url: "https://ghe.example.com/api/v3",
      webhook_secret: "s3cret-hook",
    });
    writeFileSync(file, '[github]\ntoken = ""\napp_id = 0\nprivate_key_path = ""\nwebhook_secret = ""\n');
    expect(loadServiceConfig({ config: file }, dir).github).toEqual({ api_url: "https://api.github.com" });
    writeFileSync(file, '[github]\ntoken = "ghp_supersecret"\napp_id = 7\nprivate_key_path = "k.pem"\napi_url = "https://user:pw-secret@ghe.example.com/x"\n');
    const e = errorOf(() => loadServiceConfig({ config: file }, dir));
    expect(e.message).not.toContain("ghp_supersecret");
    writeFileSync(file, '[github]\napi_url = "https://user:pw-secret@ghe.example.com/x"\n');
    const u = errorOf(() => loadServiceConfig({ config: file }, dir));
    expect(u.message).toContain("key 'github.api_url'");
    expect(u.message).not.toContain("pw-secret");
  });

  test("--repo NAME=github needs GitHub's owner/name", () => {
    expect(loadServiceConfig({ repo: ["octo/widgets=github"] }, dir).repos).toEqual([
      { name: "octo/widgets", plan_path: "context", main_branch: "main", source: "github", head_ttl_ms: 10_000 },
    ]);
    expect(errorOf(() => loadServiceConfig({ repo: ["widgets=github"] }, dir))).toEqual({
      code: "config_error",
      message: "--repo 'widgets=github': with source \"github\" the name must be GitHub's owner/name, for example --repo octo-org/octo-repo=github.",
    });
  });
});
