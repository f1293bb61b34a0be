// Which backend a `[server] database` value selects (SPEC §12): a postgres:// or postgresql:// URL is PostgreSQL, anything else a SQLite file path.

/** True when `database` is a PostgreSQL connection URL (`postgres://` or `postgresql://`, any letter case). */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/**
 * `database` fit for logs and `/health`: a PostgreSQL URL without its password
 * (`postgres://coord:***@db:5432/coord`), a file path unchanged. A URL that does not parse is
 * shown as `postgres://(unparsable URL)` so that no secret in it is ever printed.
 */
export function describeDatabase(database: string): string {
  if (!isPostgresUrl(database)) return database;
  try {
    const u = new URL(database);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}
