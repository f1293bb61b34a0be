// The robustness suite's world: a git repository the service whitelists, a config file, the compiled service (one or several replicas) that can be killed with SIGKILL and restarted, and the repo token.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { binary, git, startService, type ServiceProcess } from "../../tests/helpers/e2e.ts";

/** The repository name the suite whitelists. */
export const REPO = "acme/robust";

/** The admin token of the suite's config (DELETE /claim). */
export const ADMIN_TOKEN = "robustness-admin-token-0123456789abcdef";

/** What every request proving repo access carries. */
export interface Access {
  repo: string;
  token: string;
  commit_sha: string;
}

/** A whitelisted repository and a service config for `database` (a SQLite path or a postgres:// URL), under `root`. */
export interface World {
  root: string;
  checkout: string;
  config: string;
  database: string;
  access: Access;
}

/**
 * Creates, under `root`, a git repository with one commit (no plan files: the suite claims ad-hoc
 * tasks), a config file whitelisting it as `REPO` with `ADMIN_TOKEN`, and computes the token with
 * the compiled binary (`claude-coord token --json`).
 */
export async function makeWorld(root: string, database: string): Promise<World> {
  const checkout = join(root, "repo");
  git(root, "init", "-q", "-b", "main", checkout);
  writeFileSync(join(checkout, "README.md"), "robustness\n");
  git(checkout, "add", "-A");
  git(checkout, "commit", "-q", "-m", "init");
  const config = join(root, "service.toml");
  // Every client is 127.0.0.1 and the crash part makes a new session per claim: lift the per-IP bound of new sessions (300 an hour).
  writeFileSync(
    config,
    `[server]\ndatabase = ${JSON.stringify(database)}\nadmin_tokens = [${JSON.stringify(ADMIN_TOKEN)}]\ndata_dir = ${JSON.stringify(join(root, "data"))}\n\n[limits]\nnew_sessions_per_ip_per_hour = 1000000\n\n[[repos]]\nname = ${JSON.stringify(REPO)}\nsource = ${JSON.stringify(checkout)}\n`,
  );
  const proc = Bun.spawnSync([await binary(), "token", "--repo", REPO, "--json"], { cwd: checkout, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`claude-coord token failed: ${proc.stderr.toString()}`);
  const t = JSON.parse(proc.stdout.toString()) as { token: string; head_sha: string };
  return { root, checkout, config, database, access: { repo: REPO, token: t.token, commit_sha: t.head_sha } };
}

/** Starts one replica of `world`'s service on `port` (0: a free one). */
export function startReplica(world: World, port = 0): Promise<ServiceProcess> {
  return startService(["--config", world.config, "--port", String(port)], { cwd: world.root, timeout_ms: 30_000 });
}

/** Kills a replica with SIGKILL (no shutdown handler runs) and waits for it to be gone. */
export async function kill9(s: ServiceProcess): Promise<void> {
  s.proc.kill("SIGKILL");
  await s.proc.exited;
}

/** Sends a JSON request; `timeout_ms` bounds it. Returns the status and the parsed body (undefined when not JSON). */
export async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeout_ms = 15_000): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const res = await fetch(url + path, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout_ms),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed };
}

/** A session id of the suite: ≥ 16 characters, the first 8 distinct for every `n` below 10^6 (listings show 8). */
export function sessionId(n: number): string {
  return `s${String(n).padStart(6, "0")}-robustness-session`;
}
