// Tests of src/server/config.ts for `[server] database` (SPEC §12): a file path is SQLite, a postgres:// URL PostgreSQL; file < CLAUDE_COORD_DATABASE_URL < --db.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoordError } from "../../src/core/errors.ts";
import { loadServiceConfig } from "../../src/server/config.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-config-db-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const URL_A = "postgres://coord:pw@db-a:5432/coord";
const URL_B = "postgresql://coord@db-b/coord";

function configFile(database: string): string {
  const file = join(dir, "service.toml");
  writeFileSync(file, `[server]\ndatabase = ${JSON.stringify(database)}\n`);
  return file;
}

describe("the service's database setting", () => {
  test("a postgres:// URL in the file is kept as written and the git mirrors go to claude-coord.data beside the file", () => {
    const cfg = loadServiceConfig({ config: configFile(URL_A) }, "/elsewhere");
    expect([cfg.database, cfg.data_dir]).toEqual([URL_A, join(dir, "claude-coord.data")]);
  });

  test("CLAUDE_COORD_DATABASE_URL wins over the file and --db wins over both", () => {
    const file = configFile("./file.db");
    expect(loadServiceConfig({ config: file }, dir).database).toBe(join(dir, "file.db"));
    expect(loadServiceConfig({ config: file, database_url: URL_B }, dir).database).toBe(URL_B);
    expect(loadServiceConfig({ config: file, database_url: URL_B, db: URL_A }, dir).database).toBe(URL_A);
    expect(loadServiceConfig({ config: file, database_url: URL_B, db: "x.db" }, dir).database).toBe(join(dir, "x.db"));
  });

  test("a SQLite path from the environment resolves against the working directory", () => {
    const cfg = loadServiceConfig({ database_url: "data/env.db" }, dir);
    expect([cfg.database, cfg.data_dir]).toEqual([join(dir, "data/env.db"), join(dir, "data/env.db.data")]);
  });

  test("a PostgreSQL URL that does not parse is a config error naming where it came from, without repeating the URL", () => {
    const cases: [Parameters<typeof loadServiceConfig>[0], string][] = [
      [{ db: "postgres://u:secret@[bad" }, "--db"],
      [{ database_url: "postgres://u:secret@[bad" }, "CLAUDE_COORD_DATABASE_URL"],
      [{ config: configFile("postgres://u:secret@[bad") }, `${join(dir, "service.toml")}: key 'server.database'`],
    ];
    for (const [flags, where] of cases) {
      let err: unknown;
      try {
        loadServiceConfig(flags, dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CoordError);
      expect({ code: (err as CoordError).code, message: (err as CoordError).message }).toEqual({
        code: "config_error",
        message: `${where}: not a valid PostgreSQL URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE.`,
      });
    }
  });
});
