// What a PostgreSQL failure means to a client: an unreachable database is 503 store_unavailable, a NUL character is 400, the rest is a bug.
import { CoordError, isCoordError } from "../core/errors.ts";

/** `e` and the errors of its `cause` chain (drizzle wraps a driver error as the cause of its DrizzleQueryError). */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 8; cur = (cur as { cause?: unknown }).cause, depth++) out.push(cur);
  return out;
}

/** SQLSTATE of a server error from Bun's SQL client (`errno` of a PostgresError with code ERR_POSTGRES_SERVER_ERROR) in `e`'s cause chain, else undefined. */
export function sqlState(e: unknown): string | undefined {
  for (const err of chain(e)) {
    const errno = (err as { errno?: unknown }).errno;
    if (typeof errno === "string" && /^[0-9A-Z]{5}$/.test(errno)) return errno;
  }
  return undefined;
}

/**
 * True when `e` says the database cannot be used right now rather than that the query is wrong:
 * Bun's connection errors anywhere in its cause chain (`ERR_POSTGRES_CONNECTION_CLOSED`, `…_REFUSED`, `…_TIMEOUT`, idle and
 * lifetime timeouts) and the server's SQLSTATE classes 08 (connection exception), 57P
 * (shutdown, crash recovery, cannot connect now) and 53300 (too many connections).
 */
export function isPgUnavailable(e: unknown): boolean {
  for (const err of chain(e)) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && /^ERR_POSTGRES_(CONNECTION_|IDLE_TIMEOUT|LIFETIME_TIMEOUT|TLS|NOT_CONNECTED)/.test(code)) return true;
  }
  const state = sqlState(e);
  return state !== undefined && (state.startsWith("08") || state.startsWith("57P") || state === "53300");
}

/** True when `e` is PostgreSQL's unique violation (SQLSTATE 23505). */
export function isPgUniqueViolation(e: unknown): boolean {
  return sqlState(e) === "23505";
}

/**
 * Runs `fn` and translates PostgreSQL failures into the domain's errors: an unreachable database
 * becomes CoordError `store_unavailable` (503, client exit 2; SPEC §12: never a wrong answer), a
 * string holding U+0000 (which PostgreSQL's text cannot store, SQLSTATE 22021) becomes
 * `invalid_request`. CoordErrors thrown by `fn` (the claim rules) pass through; anything else is
 * rethrown as it is (the app logs it as an internal error).
 */
export async function pgCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isCoordError(e)) throw e;
    if (isPgUnavailable(e)) {
      throw new CoordError("store_unavailable", "The service's database (PostgreSQL) cannot be reached right now; nothing was changed. Try again in a few seconds.", { backend: "postgresql" });
    }
    if (sqlState(e) === "22021") {
      throw new CoordError("invalid_request", "Invalid request body: a text field contains the character U+0000 (NUL), which the service cannot store; remove it.");
    }
    throw e;
  }
}
