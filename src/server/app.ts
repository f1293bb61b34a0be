// The Elysia app factory: routes of SPEC §3 over core, one error mapping, no listen (tests call app.handle).
import { timingSafeEqual, createHash } from "node:crypto";
import { Elysia } from "elysia";
import { claimTask, completeTask, expireClaim, listClaims, type ClaimPolicy } from "../core/claims.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import { verifyToken, type RepoReader } from "../core/repo.ts";
import type { ClaimStore } from "../core/store.ts";
import type { Clock } from "../core/time.ts";
import { ClaimBody, ClaimsQuery, CompleteBody, ExpireBody, LIMITS } from "../api/schemas.ts";
import { errorResponse, invalidRequest, type SchemaIssue } from "./http-errors.ts";
import { WEBHOOK_BODY_LIMIT_BYTES, WEBHOOK_PATH, webhookRoutes, type WebhookDeps } from "./webhooks.ts";

/**
 * Reads a request body as one JSON object. Throws CoordError `payload_too_large` over
 * `LIMITS.body_bytes` (also when no Content-Length was sent), `invalid_request` for text that is not
 * JSON or JSON that is not an object (Elysia would turn an array into {} and blame a field).
 */
async function parseJsonObject({ request }: { request: Request }): Promise<Record<string, unknown>> {
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

/** A whitelisted repository: its configured name and the reader that knows its main. */
export interface RepoEntry {
  name: string;
  reader: RepoReader;
}

/** Where the service writes its log lines (consola in `serve`, a recorder in tests). */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, cause?: unknown): void;
}

/** Everything the routes need, wired by `serve.ts` or by a test. */
export interface AppDeps {
  store: ClaimStore;
  /** Whitelist, keyed by the lowercased repo name (GitHub names are case-insensitive). */
  repos: ReadonlyMap<string, RepoEntry>;
  /** Bearer tokens allowed to DELETE /claim; empty means the repo token suffices (SPEC §3). */
  admin_tokens: readonly string[];
  policy: ClaimPolicy;
  clock: Clock;
  version: string;
  log: Logger;
  /** GitHub webhooks (`POST /webhooks/github`), when `[github] webhook_secret` is configured; absent: no such route. */
  webhooks?: WebhookDeps;
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
export function whitelisted(repos: ReadonlyMap<string, RepoEntry>, repo: string): RepoEntry {
  const entry = repos.get(repo.toLowerCase());
  if (!entry) {
    throw new CoordError("repo_not_allowed", `Repository '${repo}' is not configured for coordination.`, { repo });
  }
  return entry;
}

/**
 * Builds the HTTP app of SPEC §3 (POST /claim, POST /complete, GET /claims, DELETE /claim,
 * GET /health), and `POST /webhooks/github` when `deps.webhooks` is given (src/server/webhooks.ts).
 * Check order per route: shape (400) → whitelist (403) → admin token (401) → repo token (401
 * stale_token) → claim rules (404/403/409). Bodies over `LIMITS.body_bytes` get 413 (webhook
 * deliveries: over `WEBHOOK_BODY_LIMIT_BYTES`).
 * Unexpected errors answer 500 `internal_error` and are logged with their cause.
 */
export function createApp(deps: AppDeps) {
  const { store, repos, policy, clock, log } = deps;

  const checkRepo = async (q: { repo: string; token: string; commit_sha: string }) => {
    const entry = whitelisted(repos, q.repo);
    await verifyToken(entry.reader, q.token, q.commit_sha);
    return entry.name;
  };

  return new Elysia()
    .onRequest(({ request }) => {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > LIMITS.body_bytes) {
        const limit = deps.webhooks && new URL(request.url).pathname === WEBHOOK_PATH ? WEBHOOK_BODY_LIMIT_BYTES : LIMITS.body_bytes;
        if (length > limit) return errorResponse(new CoordError("payload_too_large", `The request body is ${length} bytes; the limit is ${limit} bytes.`));
      }
    })
    .onError(({ code, error, request }) => {
      if (isCoordError(error)) return errorResponse(error);
      if (code === "VALIDATION") {
        const v = error as unknown as { type: string; valueError?: SchemaIssue };
        return errorResponse(invalidRequest(v.valueError, v.type === "query" ? "query" : "body"));
      }
      if (code === "PARSE") {
        const cause = (error as { cause?: unknown }).cause;
        return errorResponse(isCoordError(cause) ? cause : new CoordError("invalid_request", "The request body is not valid JSON."));
      }
      if (code === "NOT_FOUND") {
        const path = new URL(request.url).pathname;
        return errorResponse(new CoordError("not_found", `No route ${request.method} ${path}.`));
      }
      log.error(`${request.method} ${new URL(request.url).pathname} failed with an unexpected error`, error);
      return errorResponse(new CoordError("internal_error", "The service hit an unexpected error; it has been logged."));
    })
    .use(deps.webhooks ? webhookRoutes(deps.webhooks) : new Elysia({ name: "github-webhooks-off" }))
    .get("/health", () => ({ status: "ok" as const, version: deps.version }))
    .get(
      "/claims",
      async ({ query }) => {
        const repo = await checkRepo(query);
        return listClaims(store, repo, clock(), policy);
      },
      { query: ClaimsQuery },
    )
    .post(
      "/claim",
      async ({ body }) => {
        const repo = await checkRepo(body);
        const r = claimTask(
          store,
          { repo, session_id: body.session_id, task_id: body.task_id, branch: body.branch, plan_file: body.plan_file ?? "" },
          clock(),
          policy,
        );
        if (r.created) log.info(`claimed ${repo} ${r.task_id} fence=${r.fence} branch=${body.branch}`);
        return { status: r.status, task_id: r.task_id, fence: r.fence };
      },
      { body: ClaimBody, parse: parseJsonObject },
    )
    .post(
      "/complete",
      async ({ body }) => {
        const repo = await checkRepo(body);
        const c = completeTask(store, { repo, session_id: body.session_id, task_id: body.task_id }, clock(), policy);
        log.info(`completed ${repo} ${c.task_id} fence=${c.fence}`);
        return { status: "completed" as const, task_id: c.task_id };
      },
      { body: CompleteBody, parse: parseJsonObject },
    )
    .delete(
      "/claim",
      async ({ body, request }) => {
        const entry = whitelisted(repos, body.repo);
        if (deps.admin_tokens.length > 0) {
          if (!hasAdminToken(request.headers.get("authorization"), deps.admin_tokens)) {
            throw new CoordError("unauthorized", "Expiring a claim requires an admin token: send 'Authorization: Bearer <admin token>'.");
          }
        } else {
          if (body.token === undefined) throw new CoordError("invalid_request", "Invalid request body: field 'token' is required.", { field: "token" });
          if (body.commit_sha === undefined) throw new CoordError("invalid_request", "Invalid request body: field 'commit_sha' is required.", { field: "commit_sha" });
          await verifyToken(entry.reader, body.token, body.commit_sha);
        }
        const target = targetOf(body);
        const c = expireClaim(store, entry.name, target, clock(), policy);
        log.info(`expired ${entry.name} ${c.task_id} fence=${c.fence}`);
        return { status: "expired" as const, task_id: c.task_id, session: c.session_id.slice(0, 8), branch: c.branch };
      },
      { body: ExpireBody, parse: parseJsonObject },
    );
}

function targetOf(body: ExpireBody): { task_id: string } | { session: string } {
  if (body.task_id !== undefined && body.session !== undefined) {
    throw new CoordError("invalid_request", "Invalid request body: give either field 'task_id' or field 'session', not both.", { field: "task_id" });
  }
  if (body.task_id !== undefined) return { task_id: body.task_id };
  if (body.session !== undefined) return { session: body.session };
  throw new CoordError("invalid_request", "Invalid request body: field 'task_id' or field 'session' is required.", { field: "task_id" });
}

/** The app's type, for the typed client and tests. */
export type App = ReturnType<typeof createApp>;
