// Who may call a route: the whitelist, the repo token, the admin bearer token, and JSON body parsing with the size limit.
import { createHash, timingSafeEqual } from "node:crypto";
import { LIMITS } from "../api/schemas.ts";
import { CoordError } from "../core/errors.ts";
import { verifyToken } from "../core/repo.ts";
import type { WhitelistedRepo } from "../sources/source.ts";

/**
 * Reads a request body as one JSON object. Throws CoordError `payload_too_large` over
 * `LIMITS.body_bytes` (also when no Content-Length was sent), `invalid_request` for text that is not
 * JSON or JSON that is not an object (Elysia would turn an array into {} and blame a field).
 */
export async function parseJsonObject({ request }: { request: Request }): Promise<Record<string, unknown>> {
  const text = await request.text();
  const bytes = Buffer.byteLength(text);
  if (bytes > LIMITS.body_bytes) {
    throw new CoordError("payload_too_large", `The request body is ${bytes} bytes; the limit is ${LIMITS.body_bytes} bytes.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CoordError("invalid_request", "The request body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CoordError("invalid_request", "The request body must be a JSON object with the fields of this route.");
  }
  return value as Record<string, unknown>;
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** True when the `Authorization: Bearer <t>` header carries one of `tokens` (constant-time per token). */
export function hasAdminToken(header: string | null, tokens: readonly string[]): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!m) return false;
  const given = digest(m[1]!);
  return tokens.some((t) => timingSafeEqual(given, digest(t)));
}

/** Looks a repo up in the whitelist; throws CoordError `repo_not_allowed` naming it (SPEC §3: before any git call). */
export function whitelisted(repos: ReadonlyMap<string, WhitelistedRepo>, repo: string): WhitelistedRepo {
  const entry = repos.get(repo.toLowerCase());
  if (!entry) {
    throw new CoordError("repo_not_allowed", `Repository '${repo}' is not configured for coordination.`, { repo });
  }
  return entry;
}

/** How a caller proved access to a repo: the human's admin token, or a session's repo token. */
export interface Access {
  entry: WhitelistedRepo;
  admin: boolean;
}

/**
 * Checks access to `q.repo` in SPEC §3's order: whitelist (403) → admin token when an
 * `Authorization` header is sent (401 `unauthorized` when it is not one of `admin_tokens`) →
 * otherwise the repo token (400 naming `token` / `commit_sha` when missing, 401 `stale_token`).
 * `where` names the request part in messages ("body" or "query").
 */
export async function checkAccess(
  repos: ReadonlyMap<string, WhitelistedRepo>,
  admin_tokens: readonly string[],
  authorization: string | null,
  q: { repo: string; token?: string; commit_sha?: string },
  where: "body" | "query",
): Promise<Access> {
  const entry = whitelisted(repos, q.repo);
  if (authorization !== null && authorization !== "") {
    if (!hasAdminToken(authorization, admin_tokens)) {
      throw new CoordError("unauthorized", "The Authorization header does not carry an admin token of this service.");
    }
    return { entry, admin: true };
  }
  for (const field of ["token", "commit_sha"] as const) {
    if (q[field] === undefined) throw new CoordError("invalid_request", `Invalid request ${where}: field '${field}' is required.`, { field });
  }
  await verifyToken(entry.reader, q.token!, q.commit_sha!);
  return { entry, admin: false };
}
