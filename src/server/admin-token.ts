// The generated admin token (SPEC §16): a service without `admin_tokens` makes one at first start and keeps it in its data dir.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file, inside the service's data dir, that holds the generated admin token (one line). */
export const ADMIN_TOKEN_FILE = "admin-token";

/** Where a service with data dir `data_dir` keeps its generated admin token. */
export function adminTokenPath(data_dir: string): string {
  return join(data_dir, ADMIN_TOKEN_FILE);
}

/**
 * The admin token of a service started without `[server] admin_tokens`: read from
 * `<data_dir>/admin-token` when it exists (so restarts keep it), else 32 random bytes as 64 hex
 * characters written there with mode 0600 (only the service's user can read it). `data_dir` must
 * exist. Returns the token and the file's path (the path, never the token, goes in logs).
 * Throws the file system's error when the file cannot be read or written.
 */
export function loadOrCreateAdminToken(data_dir: string): { token: string; path: string; created: boolean } {
  const path = adminTokenPath(data_dir);
  if (existsSync(path)) {
    const token = readFileSync(path, "utf8").trim();
    if (token.length >= 16) {
      chmodSync(path, 0o600);
      return { token, path, created: false };
    }
  }
  const token = randomBytes(32).toString("hex");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  // writeFileSync's mode only applies to a new file (and the umask): make sure of 0600.
  chmodSync(path, 0o600);
  return { token, path, created: true };
}
