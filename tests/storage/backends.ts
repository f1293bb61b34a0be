// Both storage backends for the contract tests of one file: SQLite files and one throwaway PostgreSQL cluster started before its tests, every storage opened by a test closed after it.
import { afterAll, afterEach, beforeAll } from "bun:test";
import { join } from "node:path";
import { openStorage, type Storage } from "../../src/storage/storage.ts";
import { postgresMissing, startPostgres, type PgCluster } from "../helpers/postgres.ts";
import { tempDirs } from "./temp-dir.ts";

/** A backend under test: `fresh()` gives a new empty database's value (a file path or a URL). */
export interface Backend {
  name: string;
  skip: boolean;
  /**
   * Whether two stores in this one test process may share the database: on SQLite a second
   * connection in the same thread would block it in the busy timeout while the first awaits inside
   * its transaction (several processes on one file are tested in concurrency.test.ts).
   */
  twoInstances: boolean;
  fresh(): Promise<string>;
}

/** Per-test bound: creating a PostgreSQL database takes a moment on a loaded machine. */
export const SLOW = 30_000;

/** What a test file gets from `useBackends`. */
export interface Backends {
  /** SQLite, then PostgreSQL (skipped when it is not installed). */
  backends: Backend[];
  /** Why PostgreSQL tests are skipped, or undefined when they run. */
  pgSkip: string | undefined;
  /** The file's cluster (inside a test only). */
  cluster(): PgCluster;
  /** Opens `database` through storage.ts; it is closed after the test. */
  storageAt(database: string): Promise<Storage>;
  /** The storages open in the current test (a test that closes one itself takes it out). */
  open: Storage[];
}

/** Registers the file's hooks: the cluster started before its tests (when PostgreSQL is installed) and stopped after them; storages closed after each test. */
export function useBackends(label: string): Backends {
  const newDir = tempDirs(label);
  let pg: PgCluster | undefined;
  const pgSkip = postgresMissing();
  beforeAll(async () => {
    if (pgSkip === undefined) pg = await startPostgres();
    else console.warn(pgSkip);
  }, 60_000);
  afterAll(() => pg?.stop());
  const open: Storage[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  }, SLOW);
  const cluster = () => {
    if (!pg) throw new Error(pgSkip ?? "the PostgreSQL cluster is not started yet (call it inside a test)");
    return pg;
  };
  return {
    backends: [
      { name: "SQLite", skip: false, twoInstances: false, fresh: async () => join(newDir(), "coord.db") },
      { name: "PostgreSQL", skip: pgSkip !== undefined, twoInstances: true, fresh: () => cluster().createDatabase() },
    ],
    pgSkip,
    cluster,
    async storageAt(database) {
      const s = await openStorage(database);
      open.push(s);
      return s;
    },
    open,
  };
}
