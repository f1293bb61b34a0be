// A throwaway PostgreSQL for tests: initdb into a temp dir, a free port on 127.0.0.1, pg_ctl start, databases on demand, stopped and removed at the end.
import { afterAll, beforeAll } from "bun:test";
import { SQL } from "bun";
import { chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresBinDir } from "../../scripts/system-packages.ts";

/** The Debian package that provides initdb, pg_ctl and postgres. */
export const POSTGRES_PACKAGE = "postgresql";

/** Why PostgreSQL tests cannot run here (a sentence naming the Debian package), or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (postgresBinDir() !== undefined) return undefined;
  return `PostgreSQL tests skipped: no /usr/lib/postgresql/<major>/bin/initdb; install the Debian package '${POSTGRES_PACKAGE}' (apt-get install ${POSTGRES_PACKAGE}).`;
}

/** A running throwaway cluster. */
export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: the maintenance database. */
  readonly adminUrl: string;
  readonly port: number;
  /** The temp directory holding the cluster's data and socket (removed by `stop`). */
  readonly dir: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (immediate shutdown) and removes `dir`. Safe to call twice. */
  stop(): void;
  /** Stops the server without removing anything: a database outage, for store_unavailable tests. */
  pause(): void;
  /** Starts the server again on the same port after `pause`. */
  resume(): Promise<void>;
}

const live = new Set<PgCluster>();
let exitHook = false;

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function postgresUid(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root but there is no 'postgres' user: install the Debian package postgresql");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs a PostgreSQL binary, as the postgres user when we are root (postgres refuses to run as root). Throws with its output on failure. */
function runPg(bin: string, args: string[], asPostgres: boolean): void {
  const cmd = asPostgres ? ["runuser", "-u", "postgres", "--", bin, ...args] : [bin, ...args];
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" } });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (exit ${r.exitCode}): ${r.stderr.toString()}${r.stdout.toString()}`);
}

/**
 * Starts a fresh cluster: `initdb` (trust auth, user postgres, UTF8) into a new temp dir owned by
 * the postgres user, then `pg_ctl start` listening on 127.0.0.1 only at a free port, with its
 * socket in the same dir. Throws when PostgreSQL is not installed (check `postgresMissing` first)
 * or does not start; nothing is left behind then.
 */
export async function startPostgres(): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(postgresMissing());
  const owner = postgresUid();
  const dir = mkdtempSync(join(tmpdir(), "coord-pg-"));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, "data");
  let port = 0;
  const ctl = (args: string[]) => runPg(join(bin, "pg_ctl"), args, owner !== undefined);
  const start = () =>
    ctl([
      "start",
      "-w",
      "-t",
      "30",
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=16MB -c fsync=off -c full_page_writes=off`,
    ]);
  let running = false;
  const halt = () => {
    if (!running) return;
    running = false;
    try {
      ctl(["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"]);
    } catch {
      // Already gone: nothing to stop.
    }
  };
  try {
    runPg(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], owner !== undefined);
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        start();
        running = true;
        break;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
  } catch (e) {
    halt();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let n = 0;
  const cluster: PgCluster = {
    adminUrl,
    port,
    dir,
    async createDatabase(name = `t${process.pid}_${n++}`) {
      const admin = new SQL({ url: adminUrl, max: 1 });
      try {
        await admin.unsafe(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.close();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      halt();
      live.delete(cluster);
      rmSync(dir, { recursive: true, force: true });
    },
    pause() {
      halt();
    },
    async resume() {
      if (running) return;
      start();
      running = true;
    },
  };
  live.add(cluster);
  if (!exitHook) {
    exitHook = true;
    // A test process that dies without afterAll still stops its clusters.
    process.on("exit", () => {
      for (const c of [...live]) c.stop();
    });
  }
  return cluster;
}

/**
 * For a test file: a cluster started before its tests and stopped (and removed) after them, also
 * when they fail. Returns a getter for the cluster; use with `describe.skipIf(postgresMissing() !== undefined)`.
 * When PostgreSQL is missing it starts nothing and prints `postgresMissing()` once.
 */
export function usePostgres(): () => PgCluster {
  let cluster: PgCluster | undefined;
  const missing = postgresMissing();
  beforeAll(async () => {
    if (missing !== undefined) {
      console.warn(missing);
      return;
    }
    cluster = await startPostgres();
  }, 60_000);
  afterAll(() => cluster?.stop());
  return () => {
    if (!cluster) throw new Error(missing ?? "the PostgreSQL cluster is not started yet (call it inside a test)");
    return cluster;
  };
}
