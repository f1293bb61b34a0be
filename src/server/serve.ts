// Wires storage, git sources, core and jobs together and starts listening: `claude-coord serve`.
import { mkdirSync, readFileSync } from "node:fs";
import { type ClaimPolicy } from "../core/claims.ts";
import { CoordError } from "../core/errors.ts";
import { systemClock, type Clock } from "../core/time.ts";
import { LIMITS } from "../api/schemas.ts";
import { GitHubApi, gitBaseUrl } from "../sources/github-api.ts";
import { checkGitHubAuth, createCredentials } from "../sources/github-auth.ts";
import type { GitHubContext } from "../sources/github-source.ts";
import { createRepoSource } from "../sources/create.ts";
import type { WhitelistedRepo } from "../sources/source.ts";
import { serviceJobs, startJobs } from "../jobs/index.ts";
import { DEFAULT_SESSION_POLICY } from "../core/sessions.ts";
import { DEFAULT_STREAM_TIMING } from "./event-stream.ts";
import { describeDatabase } from "../storage/database-url.ts";
import { DatabaseOpenError } from "../storage/db.ts";
import { openStorage, type Storage } from "../storage/storage.ts";
import { createEventHub } from "./event-hub.ts";
import { startNotifier, targetName } from "./notifier.ts";
import { VERSION } from "../version.ts";
import { loadOrCreateAdminToken } from "./admin-token.ts";
import { createApp, type Logger } from "./app.ts";
import { createMetrics } from "./metrics.ts";
import { lastResortOptions } from "./last-resort.ts";
import type { ServiceConfig } from "./config.ts";
import { WEBHOOK_BODY_LIMIT_BYTES, WEBHOOK_PATH, type WebhookDeps } from "./webhooks.ts";

/**
 * How often the event reader polls on PostgreSQL, in ms: NOTIFY wakes it at once after a commit;
 * the poll only covers notifications lost while the listener reconnects (SPEC §12: within 1 s).
 */
export const PG_EVENT_POLL_MS = 500;

/** A running service. */
export interface RunningService {
  /** The base URL it listens on, e.g. `http://127.0.0.1:8787` (the real port when 0 was asked). */
  url: string;
  port: number;
  /** Stops jobs, the HTTP server and the database, in that order. */
  stop(): Promise<void>;
}

/**
 * The GitHub client of `[github]` (credentials, API, git URL), for repositories with
 * `source = "github"`. Reads an App's private key and signs a JWT with it (no request). Throws CoordError
 * `config_error` naming the key when the key file cannot be read or used; never puts a secret in a
 * message or a log line.
 */
export async function createGitHubContext(cfg: ServiceConfig, log: Logger, clock: Clock, on_request?: () => void): Promise<GitHubContext> {
  const g = cfg.github;
  const where = cfg.file ?? "command line";
  let private_key: string | undefined;
  if (g.app_id !== undefined && g.private_key_path !== undefined) {
    try {
      private_key = readFileSync(g.private_key_path, "utf8");
    } catch (e) {
      throw new CoordError("config_error", `${where}: key 'github.private_key_path': cannot read ${g.private_key_path} (${(e as NodeJS.ErrnoException).code ?? "error"}).`, {
        file: where,
        key: "github.private_key_path",
      });
    }
  }
  const credentials = createCredentials({ token: g.token, app_id: g.app_id, private_key, api_url: g.api_url, now: clock });
  const problem = await checkGitHubAuth(credentials);
  if (problem !== undefined) {
    throw new CoordError("config_error", `${where}: key 'github.private_key_path': ${problem} (${g.private_key_path}).`, { file: where, key: "github.private_key_path" });
  }
  const api = new GitHubApi({ api_url: g.api_url, credentials, now: clock, log, on_request });
  if (credentials.kind === "app") log.info(`GitHub: App ${g.app_id} (installation tokens) at ${g.api_url}`);
  else if (credentials.kind === "token") log.info(`GitHub: personal access token at ${g.api_url}`);
  else log.warn(`GitHub: no [github] token or app_id: only public repositories can be read, at GitHub's anonymous rate limit.`);
  return { api, credentials, git_base_url: gitBaseUrl(g.api_url) };
}

/**
 * The admin token of a service without `[server] admin_tokens` (SPEC §16): generated at first start
 * into `<data_dir>/admin-token` (mode 0600) and kept; logs the file's path, never the token. Closes
 * `db` and throws CoordError `config_error` (key `server.data_dir`) when the file cannot be written.
 */
function generatedAdminToken(cfg: ServiceConfig, log: Logger, db: { close(): void }): string {
  try {
    const t = loadOrCreateAdminToken(cfg.data_dir);
    log.info(`No [server] admin_tokens configured: ${t.created ? "generated" : "using"} the admin token in ${t.path} (read it there; DELETE /claim and the human's views need it).`);
    return t.token;
  } catch (e) {
    db.close();
    throw new CoordError("config_error", `Cannot keep the generated admin token in ${cfg.data_dir} (${(e as NodeJS.ErrnoException).code ?? "error"}): set [server] admin_tokens or a writable data_dir.`, {
      file: cfg.file ?? "command line",
      key: "server.data_dir",
    });
  }
}

/**
 * Starts the service of `cfg`: opens (and migrates) the database (a SQLite file, or PostgreSQL for a
 * postgres:// URL: `storage.ts`), builds one reader per whitelisted repository (a GitHub client when
 * one uses `source = "github"`), starts the process's one event reader (woken by PostgreSQL
 * notifications), schedules the jobs (sweep, branch check; once per tick across replicas on
 * PostgreSQL), adds `POST /webhooks/github` when `[github] webhook_secret` is set, and listens. Throws
 * CoordError `config_error` when the database cannot be opened, a whitelist entry's source is
 * unusable, or the GitHub App's key cannot be read.
 */
export async function startService(cfg: ServiceConfig, log: Logger, clock: Clock = systemClock): Promise<RunningService> {
  let storage: Storage;
  try {
    storage = await openStorage(cfg.database);
  } catch (e) {
    if (e instanceof DatabaseOpenError) throw new CoordError("config_error", e.message, { file: describeDatabase(cfg.database), key: "server.database" });
    throw e;
  }
  const store = storage.claims;
  mkdirSync(cfg.data_dir, { recursive: true });
  const webhook_secret = cfg.github.webhook_secret;
  const metrics = createMetrics();
  let github: GitHubContext | undefined;
  const repos = new Map<string, WhitelistedRepo>();
  try {
    if (cfg.repos.some((r) => r.source === "github")) github = await createGitHubContext(cfg, log, clock, () => metrics.git_host_requests.inc({ kind: "api" }));
    for (const r of cfg.repos) {
      const reader = createRepoSource(r, { data_dir: cfg.data_dir, now: clock, github, http: { on_request: () => metrics.git_host_requests.inc({ kind: "git" }) } });
      repos.set(r.name.toLowerCase(), { ...r, reader });
    }
  } catch (e) {
    await storage.close();
    throw e;
  }
  const policy: ClaimPolicy = { claim_ttl_ms: cfg.jobs.claim_ttl_ms, completed_ttl_ms: cfg.jobs.completed_ttl_ms };
  const admin_tokens = cfg.admin_tokens.length > 0 ? cfg.admin_tokens : [generatedAdminToken(cfg, log, { close: () => void storage.close() })];
  if (cfg.repos.length === 0) log.warn("The whitelist is empty: every request will get repo_not_allowed. Add [[repos]] or --repo NAME=SOURCE.");

  // One event reader for every /events stream of this process; on PostgreSQL a NOTIFY from any
  // replica's commit wakes it at once, and its poll (slower there) covers notifications lost while
  // the listener reconnects.
  const hub = createEventHub(storage.events, storage.backend === "postgresql" ? PG_EVENT_POLL_MS : DEFAULT_STREAM_TIMING.poll_ms, (e) =>
    log.warn(`event reader: ${e instanceof Error ? e.message : String(e)}`),
  );
  const stopWatching = await storage.watchEvents(() => hub.wake()).catch((e: unknown) => {
    log.warn(`event notifications unavailable (${e instanceof Error ? e.message : String(e)}); /events relies on polling`);
    return async () => undefined;
  });
  const activity = {
    sessions: storage.sessions,
    controls: storage.controls,
    messages: storage.messages,
    events: storage.events,
    session_policy: { stale_ms: cfg.jobs.stale_after_ms, listed_ms: DEFAULT_SESSION_POLICY.listed_ms },
    stream: DEFAULT_STREAM_TIMING,
    hub,
  };
  const webhooks: WebhookDeps | undefined =
    webhook_secret === undefined ? undefined : { secret: webhook_secret, deliveries: storage.deliveries, store, repos, clock, log };
  if (webhooks) log.info(`GitHub webhooks: POST ${WEBHOOK_PATH} (events: push, delete, pull_request)`);
  else if (github) log.info(`GitHub webhooks off: set [github] webhook_secret to react to pushes and deleted branches at once.`);

  // Before listening: the log's end now is where notifications of a new repo start.
  // Every replica runs the loop: each delivery row is claimed by one of them (pg-notify-store.ts).
  const notifier = startNotifier({
    targets: cfg.notify,
    repos: cfg.repos.map((r) => r.name),
    events: activity.events,
    sessions: activity.sessions,
    session_policy: activity.session_policy,
    store: storage.notify,
    start_after_id: await activity.events.latestId(),
    clock,
    log,
    on_attempt: (outcome) => metrics.notification_deliveries.inc({ outcome }),
  });
  const app = createApp({ store, repos, admin_tokens, policy, clock, version: VERSION, log, webhooks, activity, metrics, metrics_access: cfg.metrics, rate_limits: cfg.rate_limits, limits: cfg.limits, storage });
  app.listen({ hostname: cfg.host, port: cfg.port, maxRequestBodySize: webhooks ? WEBHOOK_BODY_LIMIT_BYTES : LIMITS.body_bytes, ...lastResortOptions((m) => log.warn(m)) });
  const server = app.server;
  if (!server) throw new CoordError("config_error", `Could not listen on ${cfg.host}:${cfg.port}.`, { key: "server.port" });

  const table = serviceJobs({ settings: cfg.jobs, policy, store, sightings: storage.sightings, repos, activity, clock, log });
  const jobs = startJobs(table, log, { run: (job) => metrics.job_runs.inc({ job }), failure: (job) => metrics.job_failures.inc({ job }) }, (name, slot_ms) =>
    storage.claimJobRun(name, slot_ms),
  );
  cfg.notify.forEach((t, i) => log.info(`notifications: ${targetName(i, t)} gets ${t.events.join(", ")}${t.repos ? ` for ${t.repos.join(", ")}` : ""}${t.secret ? " (signed)" : ""}`));
  const url = `http://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${server.port}`;
  log.info(`claude-coord ${VERSION} listening on ${url} (database ${storage.backend} ${storage.label}; repos: ${cfg.repos.map((r) => r.name).join(", ") || "none"})`);
  return {
    url,
    port: server.port ?? cfg.port,
    async stop() {
      jobs.stop();
      await notifier.stop();
      // Close open connections too: an /events stream never ends by itself.
      await app.stop(true);
      hub.close();
      await stopWatching();
      await storage.close();
    },
  };
}
