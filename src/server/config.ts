// Service configuration (SPEC §5): the TOML file, `serve` flags on top, validated with the key named on error.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { type TSchema, Type as T } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { Cron } from "croner";
import { CoordError, isCoordError } from "../core/errors.ts";
import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import { parseDurationMs } from "../core/time.ts";
import { gitBaseUrl, parseRepoName } from "../sources/github-api.ts";
import type { RepoConfig } from "../sources/source.ts";
import { TrustedProxies } from "./client-ip.ts";
import { RATE_LIMIT_DEFAULTS, type RateLimitConfig } from "./rate-limit.ts";
import { isPostgresUrl } from "../storage/database-url.ts";
import { DEFAULT_NOTIFY_EVENTS, NOTIFY_EVENTS, type NotifyEvent } from "../core/notify.ts";
import type { NotifyTarget } from "./notifier.ts";
import { NOTIFY_FORMATS, type NotifyFormat } from "./notify-formats.ts";

const Duration = T.String({ description: "a duration such as 10s, 90m, 24h or 10d" });
const CronText = T.String({ description: "a cron pattern in croner syntax, such as \"0 * * * *\"" });

const PerSecond = T.Number({ exclusiveMinimum: 0, description: "a number of requests per second above 0" });
const Burst = T.Integer({ minimum: 1, description: "a whole number of requests, at least 1" });

const RepoSchema = T.Object(
  {
    name: T.String({ minLength: 1, description: "owner/name" }),
    plan_path: T.Optional(T.String({ minLength: 1 })),
    main_branch: T.Optional(T.String({ minLength: 1 })),
    source: T.Optional(T.String({ minLength: 1, description: "\"github\", a git URL (https://, file://) or a local path" })),
    head_ttl: T.Optional(Duration),
  },
  { additionalProperties: false },
);

const NotifySchema = T.Object(
  {
    url: T.String({ pattern: "^https?://", description: "an http(s) URL" }),
    format: T.Optional(T.Union(NOTIFY_FORMATS.map((f) => T.Literal(f)), { description: `one of ${NOTIFY_FORMATS.join(", ")}` })),
    events: T.Optional(T.Array(T.Union(NOTIFY_EVENTS.map((e) => T.Literal(e))), { description: `a list of: ${NOTIFY_EVENTS.join(", ")}` })),
    repos: T.Optional(T.Array(T.String({ minLength: 1 }), { description: "a list of whitelisted repo names" })),
    secret: T.Optional(T.String({ pattern: "^whsec_[A-Za-z0-9+/]+={0,2}$", description: "a Standard Webhooks secret: whsec_ followed by base64" })),
  },
  { additionalProperties: false },
);

const FileSchema = T.Object(
  {
    server: T.Optional(
      T.Object(
        {
          host: T.Optional(T.String({ minLength: 1 })),
          port: T.Optional(T.Integer({ minimum: 0, maximum: 65535, description: "a port number from 0 to 65535" })),
          database: T.Optional(T.String({ minLength: 1 })),
          data_dir: T.Optional(T.String({ minLength: 1 })),
          admin_tokens: T.Optional(T.Array(T.String({ minLength: 16, description: "a token of at least 16 characters" }))),
          metrics: T.Optional(T.Union([T.Literal("admin"), T.Literal("public")], { description: '"admin" (GET /metrics needs the admin token) or "public"' })),
          trusted_proxies: T.Optional(T.Array(T.String({ minLength: 1, description: "an IP address or CIDR range" }))),
          rate_limit: T.Optional(T.Boolean({ description: "true or false" })),
          session_per_second: T.Optional(PerSecond),
          session_burst: T.Optional(Burst),
          ip_per_second: T.Optional(PerSecond),
          ip_burst: T.Optional(Burst),
          git_host_per_second: T.Optional(PerSecond),
          git_host_burst: T.Optional(Burst),
        },
        { additionalProperties: false },
      ),
    ),
    github: T.Optional(
      T.Object(
        {
          token: T.Optional(T.String({ description: "a GitHub personal access token" })),
          app_id: T.Optional(T.Integer({ minimum: 0, description: "a GitHub App id (an integer)" })),
          private_key_path: T.Optional(T.String({ description: "the path of the GitHub App's private key (.pem)" })),
          api_url: T.Optional(T.String({ description: "https://api.github.com or https://HOST/api/v3" })),
          webhook_secret: T.Optional(T.String({ description: "the secret of the repository's GitHub webhook" })),
        },
        { additionalProperties: false },
      ),
    ),
    jobs: T.Optional(
      T.Object(
        {
          branch_check: T.Optional(CronText),
          sweep: T.Optional(CronText),
          claim_ttl: T.Optional(Duration),
          completed_ttl: T.Optional(Duration),
          stale_after: T.Optional(Duration),
          session_retention: T.Optional(Duration),
          message_retention: T.Optional(Duration),
          event_retention: T.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    limits: T.Optional(
      T.Object(
        Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, T.Optional(T.Integer({ minimum: 1, description: "a whole number of at least 1" }))])),
        { additionalProperties: false },
      ),
    ),
    repos: T.Optional(T.Array(RepoSchema)),
    notify: T.Optional(T.Array(NotifySchema)),
  },
  { additionalProperties: false },
);

/** The service configuration after defaults, file and flags. Durations in ms. */
export interface ServiceConfig {
  host: string;
  port: number;
  /** Absolute path of the SQLite file. */
  database: string;
  /** Absolute path of the folder for mirrors and token caches. */
  data_dir: string;
  admin_tokens: string[];
  /** Who may read GET /metrics: `admin` (the admin token; default) or `public` (SPEC §15). */
  metrics: "admin" | "public";
  /** Rate limits and the proxies whose X-Forwarded-For is believed (SPEC §15). */
  rate_limits: RateLimitConfig;
  /**
   * `[github]`: empty strings and `app_id = 0` mean unset; `token` and `app_id` exclude each other,
   * `app_id` comes with `private_key_path` (absolute); `api_url` without a trailing slash.
   */
  github: { token?: string; app_id?: number; private_key_path?: string; api_url: string; webhook_secret?: string };
  jobs: {
    branch_check: string;
    sweep: string;
    claim_ttl_ms: number;
    completed_ttl_ms: number;
    /** A session without a heartbeat for longer is listed `stale: true` (default 30 minutes). */
    stale_after_ms: number;
    /** Sessions silent for longer are deleted by the sweep (default 7 days; listings show the last 24 hours). */
    session_retention_ms: number;
    /** Messages older than this are deleted by the sweep, read or not (default 7 days). */
    message_retention_ms: number;
    /** Events older than this are deleted: how far back `Last-Event-ID` can resume (default 1 hour). */
    event_retention_ms: number;
  };
  /** `[limits]` (SPEC §16): every bound, defaults from `DEFAULT_LIMITS`. */
  limits: Limits;
  repos: RepoConfig[];
  /** `[[notify]]` targets (SPEC §13), with the default events filled in. */
  notify: NotifyTarget[];
  /** The file read, if any. */
  file: string | undefined;
}

/** `serve` flags (SPEC §5); each overrides the file. */
export interface ServeFlags {
  config?: string;
  host?: string;
  port?: string;
  db?: string;
  /** CLAUDE_COORD_DATABASE_URL: between the file and `--db`. */
  database_url?: string;
  /** `NAME=SOURCE` entries added to the whitelist. */
  repo?: string[];
}

/**
 * A `database` value as the service uses it (SPEC §12): a postgres:// URL unchanged (checked to
 * parse), a SQLite path resolved against `base`. Throws CoordError `config_error` naming `where`
 * for a PostgreSQL URL that does not parse (the message never repeats the URL: it may hold a password).
 */
function databaseLocation(value: string, base: string, where: string): string {
  if (!isPostgresUrl(value)) return resolve(base, value);
  try {
    new URL(value);
  } catch {
    throw new CoordError("config_error", `${where}: not a valid PostgreSQL URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE.`, { key: "server.database" });
  }
  return value;
}

function keyPath(pointer: string): string {
  return pointer
    .split("/")
    .filter(Boolean)
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join("");
}

function fail(file: string, key: string, what: string): never {
  throw new CoordError("config_error", `${file}: key '${key}' ${what}.`, { file, key });
}

function validate(schema: TSchema, value: unknown, file: string): void {
  const first = Value.Errors(schema, value).First();
  if (!first) return;
  const key = keyPath(first.path);
  if (first.value === undefined) fail(file, key, "is required");
  const parentSchema = first.schema as { description?: string; type?: string };
  if (first.type === ValueErrorType.ObjectAdditionalProperties) {
    throw new CoordError("config_error", `${file}: unknown key '${key || "(top level)"}'.`, { file, key });
  }
  // A notify URL or secret is a credential: the message names the key, never the value.
  const got = /^notify\[\d+\]\.(url|secret)$/.test(key) ? "" : `, got ${JSON.stringify(first.value)}`;
  fail(file, key, `must be ${parentSchema.description ?? parentSchema.type ?? "valid"} (${first.message})${got}`);
}

function duration(file: string, key: string, text: string | undefined, fallback_ms: number): number {
  if (text === undefined) return fallback_ms;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) fail(file, key, `must be a duration such as 10s, 90m, 24h or 10d, got ${JSON.stringify(text)}`);
  return ms;
}

function cron(file: string, key: string, pattern: string | undefined, fallback: string): string {
  const p = pattern ?? fallback;
  try {
    new Cron(p, { paused: true }).stop();
  } catch (e) {
    fail(file, key, `must be a cron pattern in croner syntax, got ${JSON.stringify(p)} (${e instanceof Error ? e.message : String(e)})`);
  }
  return p;
}

/** `[server]`'s rate limit keys over RATE_LIMIT_DEFAULTS; a trusted proxy that is no address or CIDR range is refused naming its key. */
function rateLimits(s: Record<string, unknown>, where: string): RateLimitConfig {
  const d = RATE_LIMIT_DEFAULTS;
  const bucket = (name: "session" | "ip" | "git_host") => ({
    per_second: (s[`${name}_per_second`] as number | undefined) ?? d[name].per_second,
    burst: (s[`${name}_burst`] as number | undefined) ?? d[name].burst,
  });
  const trusted_proxies = (s.trusted_proxies as string[] | undefined) ?? d.trusted_proxies;
  trusted_proxies.forEach((p, i) => {
    try {
      new TrustedProxies([p]);
    } catch {
      fail(where, `server.trusted_proxies[${i}]`, `must be an IP address or CIDR range such as 127.0.0.1 or 10.0.0.0/8, got ${JSON.stringify(p)}`);
    }
  });
  return { enabled: (s.rate_limit as boolean | undefined) ?? d.enabled, session: bucket("session"), ip: bucket("ip"), git_host: bucket("git_host"), trusted_proxies };
}

/** Defaults of a whitelist entry (SPEC §5). */
export const REPO_DEFAULTS = { plan_path: "context", main_branch: "main", source: "github", head_ttl_ms: 10_000 } as const;

type RawGitHub = { token?: string; app_id?: number; private_key_path?: string; api_url?: string; webhook_secret?: string };

function isGitHubName(name: string): boolean {
  try {
    parseRepoName(name);
    return true;
  } catch (e) {
    if (isCoordError(e, "config_error")) return false;
    throw e;
  }
}

/** A repository read from GitHub must be named `owner/name`. */
function githubName(r: { name: string; source: string }, where: string, key: string): void {
  if (r.source === "github" && !isGitHubName(r.name)) fail(where, key, `must be GitHub's owner/name when the source is "github", got ${JSON.stringify(r.name)}`);
}

/**
 * `[github]` normalized and checked: "" and 0 mean unset (SPEC §5 shows them as defaults);
 * `token` xor `app_id`; `app_id` needs `private_key_path` and the reverse; `api_url` is GitHub's or
 * an Enterprise Server's API URL. Secrets never appear in the messages.
 */
function githubSection(g: RawGitHub | undefined, where: string, base: string): ServiceConfig["github"] {
  const token = g?.token === "" ? undefined : g?.token;
  const app_id = g?.app_id === 0 ? undefined : g?.app_id;
  const key_path = g?.private_key_path === "" ? undefined : g?.private_key_path;
  const webhook_secret = g?.webhook_secret === "" ? undefined : g?.webhook_secret;
  const api_url = (g?.api_url ?? "https://api.github.com").replace(/\/+$/, "");
  if (token !== undefined && app_id !== undefined) fail(where, "github.token", "cannot be set together with github.app_id: use a personal access token or a GitHub App, not both");
  if (app_id !== undefined && key_path === undefined) fail(where, "github.private_key_path", "is required when github.app_id is set");
  if (key_path !== undefined && app_id === undefined) fail(where, "github.app_id", "is required when github.private_key_path is set");
  try {
    gitBaseUrl(api_url);
  } catch (e) {
    if (isCoordError(e)) throw new CoordError("config_error", `${where}: ${e.message}`, { file: where, key: "github.api_url" });
    throw e;
  }
  return {
    ...(token === undefined ? {} : { token }),
    ...(app_id === undefined ? {} : { app_id }),
    ...(key_path === undefined ? {} : { private_key_path: isAbsolute(key_path) ? key_path : resolve(base, key_path) }),
    api_url,
    ...(webhook_secret === undefined ? {} : { webhook_secret }),
  };
}

function resolveSource(source: string, base: string): string {
  if (source === "github" || /^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source;
  return isAbsolute(source) ? source : resolve(base, source);
}

/**
 * Loads the service configuration: defaults < the TOML file (`flags.config`) < flags.
 * Relative paths in the file are resolved against the file's folder; in flags, against `cwd`.
 * Throws CoordError `config_error` naming the file (or flag) and the key and what was expected.
 */
export function loadServiceConfig(flags: ServeFlags, cwd: string = process.cwd()): ServiceConfig {
  const file = flags.config ? resolve(cwd, flags.config) : undefined;
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new CoordError("config_error", `${file}: cannot read the service config (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, { file });
    }
    try {
      raw = Bun.TOML.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new CoordError("config_error", `${file}: not valid TOML (${e instanceof Error ? e.message : String(e)}).`, { file });
    }
    validate(FileSchema, raw, file);
  }
  const where = file ?? "command line";
  const base = file ? dirname(file) : cwd;
  const github = githubSection(raw.github as RawGitHub | undefined, where, base);
  const f = raw as {
    server?: { host?: string; port?: number; database?: string; data_dir?: string; admin_tokens?: string[]; metrics?: "admin" | "public"; trusted_proxies?: string[]; rate_limit?: boolean } & Partial<Record<string, unknown>>;
    github?: ServiceConfig["github"];
    jobs?: {
      branch_check?: string;
      sweep?: string;
      claim_ttl?: string;
      completed_ttl?: string;
      stale_after?: string;
      session_retention?: string;
      message_retention?: string;
      event_retention?: string;
    };
    repos?: { name: string; plan_path?: string; main_branch?: string; source?: string; head_ttl?: string }[];
    limits?: Partial<Limits>;
    notify?: RawNotify[];
  };
  const repos: RepoConfig[] = (f.repos ?? []).map((r, i) => ({
    name: r.name,
    plan_path: (r.plan_path ?? REPO_DEFAULTS.plan_path).replace(/^\.\/|\/+$/g, ""),
    main_branch: r.main_branch ?? REPO_DEFAULTS.main_branch,
    source: resolveSource(r.source ?? REPO_DEFAULTS.source, base),
    head_ttl_ms: duration(where, `repos[${i}].head_ttl`, r.head_ttl, REPO_DEFAULTS.head_ttl_ms),
  }));
  repos.forEach((r, i) => githubName(r, where, `repos[${i}].name`));
  for (const spec of flags.repo ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    if (!m) {
      throw new CoordError("config_error", `--repo '${spec}' must be NAME=SOURCE, for example --repo owner/name=/path/to/checkout.`, { key: "repo" });
    }
    const r = { ...REPO_DEFAULTS, name: m[1]!.trim(), source: resolveSource(m[2]!.trim(), cwd) };
    if (r.source === "github" && !isGitHubName(r.name)) {
      throw new CoordError("config_error", `--repo '${spec}': with source "github" the name must be GitHub's owner/name, for example --repo octo-org/octo-repo=github.`, { key: "repo" });
    }
    repos.push(r);
  }
  const seen = new Set<string>();
  for (const r of repos) {
    const k = r.name.toLowerCase();
    if (seen.has(k)) throw new CoordError("config_error", `${where}: repository '${r.name}' is listed twice in the whitelist.`, { file, key: "repos" });
    seen.add(k);
  }
  let port = f.server?.port ?? 8787;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!/^\d+$/.test(flags.port) || port > 65535) {
      throw new CoordError("config_error", `--port must be a port number from 0 to 65535, got '${flags.port}'.`, { key: "port" });
    }
  }
  const database = flags.db ? databaseLocation(flags.db, cwd, "--db") : flags.database_url ? databaseLocation(flags.database_url, cwd, "CLAUDE_COORD_DATABASE_URL") : databaseLocation(f.server?.database ?? "claude-coord.db", base, `${where}: key 'server.database'`);
  return {
    host: flags.host ?? f.server?.host ?? "127.0.0.1",
    port,
    database,
    data_dir: f.server?.data_dir ? resolve(base, f.server.data_dir) : isPostgresUrl(database) ? resolve(base, "claude-coord.data") : `${database}.data`,
    admin_tokens: f.server?.admin_tokens ?? [],
    metrics: f.server?.metrics ?? "admin",
    rate_limits: rateLimits(f.server ?? {}, where),
    github,
    jobs: {
      branch_check: cron(where, "jobs.branch_check", f.jobs?.branch_check, "0 * * * *"),
      sweep: cron(where, "jobs.sweep", f.jobs?.sweep, "*/10 * * * *"),
      claim_ttl_ms: duration(where, "jobs.claim_ttl", f.jobs?.claim_ttl, 10 * 86_400_000),
      completed_ttl_ms: duration(where, "jobs.completed_ttl", f.jobs?.completed_ttl, 86_400_000),
      stale_after_ms: duration(where, "jobs.stale_after", f.jobs?.stale_after, 30 * 60_000),
      session_retention_ms: duration(where, "jobs.session_retention", f.jobs?.session_retention, 7 * 86_400_000),
      message_retention_ms: duration(where, "jobs.message_retention", f.jobs?.message_retention, 7 * 86_400_000),
      event_retention_ms: duration(where, "jobs.event_retention", f.jobs?.event_retention, 3_600_000),
    },
    limits: { ...DEFAULT_LIMITS, ...f.limits },
    repos,
    notify: notifyTargets(f.notify ?? [], repos, where),
    file,
  };
}

/**
 * `[[notify]]` entries resolved: `format` defaults to json, `events` to stuck, plan_ready and
 * pr_ready; every name in `repos` must be whitelisted; `secret` goes with `json` only. Messages
 * never contain a URL or a secret (a Slack or Discord URL is itself a credential).
 */
function notifyTargets(raw: RawNotify[], repos: readonly RepoConfig[], where: string): NotifyTarget[] {
  return raw.map((n, i) => {
    const format = n.format ?? "json";
    if (n.secret !== undefined && format !== "json") fail(where, `notify[${i}].secret`, `goes with format "json" only (this target's format is "${format}")`);
    for (const [j, r] of (n.repos ?? []).entries()) {
      if (!repos.some((c) => c.name.toLowerCase() === r.toLowerCase())) fail(where, `notify[${i}].repos[${j}]`, `must name a repository of the whitelist, got ${JSON.stringify(r)}`);
    }
    return { url: n.url, format, events: n.events ?? [...DEFAULT_NOTIFY_EVENTS], ...(n.repos ? { repos: n.repos } : {}), ...(n.secret ? { secret: n.secret } : {}) };
  });
}
type RawNotify = { url: string; format?: NotifyFormat; events?: NotifyEvent[]; repos?: string[]; secret?: string };
