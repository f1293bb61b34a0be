// Wires storage, git sources, core and jobs together and starts listening: `claude-coord serve`.
import { mkdirSync } from "node:fs";
import { type ClaimPolicy } from "../core/claims.ts";
import { CoordError } from "../core/errors.ts";
import { systemClock, type Clock } from "../core/time.ts";
import { LIMITS } from "../api/schemas.ts";
import { createRepoReader } from "../git/sources.ts";
import { startJobs, type JobDef } from "../jobs/index.ts";
import { runSweep } from "../jobs/sweep.ts";
import { createClaimStore } from "../storage/claim-store.ts";
import { DatabaseOpenError, openDatabase } from "../storage/db.ts";
import { VERSION } from "../version.ts";
import { createApp, type Logger, type RepoEntry } from "./app.ts";
import type { ServiceConfig } from "./config.ts";

/** A running service. */
export interface RunningService {
  /** The base URL it listens on, e.g. `http://127.0.0.1:8787` (the real port when 0 was asked). */
  url: string;
  port: number;
  /** Stops jobs, the HTTP server and the database, in that order. */
  stop(): Promise<void>;
}

/**
 * Starts the service of `cfg`: opens (and migrates) the database, builds one reader per whitelisted
 * repository, schedules the jobs and listens. Throws CoordError `config_error` when the database
 * cannot be opened or a whitelist entry's source is unusable.
 */
export async function startService(cfg: ServiceConfig, log: Logger, clock: Clock = systemClock): Promise<RunningService> {
  let db;
  try {
    db = openDatabase(cfg.database);
  } catch (e) {
    if (e instanceof DatabaseOpenError) throw new CoordError("config_error", e.message, { file: cfg.database, key: "server.database" });
    throw e;
  }
  const store = createClaimStore(db);
  mkdirSync(cfg.data_dir, { recursive: true });
  const repos = new Map<string, RepoEntry>();
  for (const r of cfg.repos) {
    repos.set(r.name.toLowerCase(), { name: r.name, reader: createRepoReader(r, { data_dir: cfg.data_dir, now: clock }) });
  }
  const policy: ClaimPolicy = { claim_ttl_ms: cfg.jobs.claim_ttl_ms, completed_ttl_ms: cfg.jobs.completed_ttl_ms };
  if (cfg.admin_tokens.length === 0) {
    log.warn("No [server] admin_tokens configured: DELETE /claim (claude-coord expire) accepts any valid repo token.");
  }
  if (cfg.repos.length === 0) log.warn("The whitelist is empty: every request will get repo_not_allowed. Add [[repos]] or --repo NAME=SOURCE.");

  const app = createApp({ store, repos, admin_tokens: cfg.admin_tokens, policy, clock, version: VERSION, log });
  app.listen({ hostname: cfg.host, port: cfg.port, maxRequestBodySize: LIMITS.body_bytes });
  const server = app.server;
  if (!server) throw new CoordError("config_error", `Could not listen on ${cfg.host}:${cfg.port}.`, { key: "server.port" });

  const table: JobDef[] = [
    {
      name: "sweep",
      schedule: cfg.jobs.sweep,
      run: () => {
        const r = runSweep(store, clock(), policy);
        if (r.expired + r.forgotten > 0) log.info(`sweep: deleted ${r.expired} expired claims and ${r.forgotten} old completions`);
      },
    },
  ];
  const jobs = startJobs(table, log);
  const url = `http://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${server.port}`;
  log.info(`claude-coord ${VERSION} listening on ${url} (database ${cfg.database}; repos: ${cfg.repos.map((r) => r.name).join(", ") || "none"})`);
  return {
    url,
    port: server.port ?? cfg.port,
    async stop() {
      jobs.stop();
      await app.stop();
      db.close();
    },
  };
}
