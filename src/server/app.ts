// The Elysia app factory: routes of SPEC §3 over core, one error mapping, no listen (tests call app.handle).
import { Elysia } from "elysia";
import { claimTask, completeTask, expireClaim, listClaims, sessionPrefix, type ClaimPolicy } from "../core/claims.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import type { ClaimStore } from "../core/store.ts";
import type { Clock } from "../core/time.ts";
import { openApiDocument } from "../api/openapi.ts";
import { readEnv } from "../env.ts";
import { checkAnswers } from "./contract-check.ts";
import { type Answer, ROUTES } from "../api/routes.ts";
import { type ExpireBody, LIMITS } from "../api/schemas.ts";
import { checkAccess, hasAdminToken, parseJsonObject, whitelisted } from "./access.ts";
import type { WhitelistedRepo } from "../sources/source.ts";
import { errorResponse, invalidRequest, type SchemaIssue } from "./http-errors.ts";
import { activityRoutes, type ActivityDeps } from "./activity-routes.ts";
import { controlRoutes } from "./control-routes.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { type MetricsAccess, metricsRoutes } from "./metrics-routes.ts";
import { gateRepos, type RateLimitConfig, RateLimiter, rateLimitRoutes } from "./rate-limit.ts";
import { reservationRoutes } from "./reservation-routes.ts";
import { lifeRoutes } from "./life-routes.ts";
import { createLimiter } from "./limiter.ts";
import { requestClientIp, TrustedProxies } from "./client-ip.ts";
import { admissionFor } from "./session-guard.ts";
import { DEFAULT_SESSION_POLICY } from "../core/sessions.ts";
import { toRfc3339 } from "../core/time.ts";
import { WEBHOOK_BODY_LIMIT_BYTES, WEBHOOK_PATH, webhookRoutes, type WebhookDeps } from "./webhooks.ts";

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
  repos: ReadonlyMap<string, WhitelistedRepo>;
  /** Bearer tokens of the human (DELETE /claim and admin reads); `serve` generates one when none is configured (SPEC §16). */
  admin_tokens: readonly string[];
  policy: ClaimPolicy;
  clock: Clock;
  version: string;
  log: Logger;
  /** Sessions, messages and events (SPEC §7); absent: those routes are not served (claim changes are logged as events by core either way). */
  activity?: Omit<ActivityDeps, "repos" | "admin_tokens" | "clock" | "claims" | "claim_policy" | "limits" | "limiter" | "trusted_proxies">;
  /** The bounds of `[limits]` (SPEC §16); default `DEFAULT_LIMITS`. */
  limits?: Limits;
  /** GitHub webhooks (`POST /webhooks/github`), when `[github] webhook_secret` is configured; absent: no such route. */
  webhooks?: WebhookDeps;
  /** The Prometheus instruments (`serve` shares them with the git sources and jobs); absent: the app makes its own. */
  metrics?: Metrics;
  /** Who may read GET /metrics (`[server] metrics`); default `admin`. */
  metrics_access?: MetricsAccess;
  /** Rate limits (`[server]`, SPEC §15); absent: none (`serve` always passes its configuration). */
  rate_limits?: RateLimitConfig;
  /** Check every answer of `handle` against the route table and throw on a mismatch (default: CLAUDE_COORD_CHECK_CONTRACT=1, set by the tests). */
  check_contract?: boolean;
  /**
   * The storage backend `/health` names (SPEC §12) and its probe, which rejects while the database
   * cannot be reached; absent: `/health` answers 200 without asking the database.
   */
  storage?: { backend: string; ping(): Promise<void> };
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
  const { store, policy, clock, log } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const limiter = deps.rate_limits?.enabled ? new RateLimiter(deps.rate_limits, clock, metrics) : undefined;
  const repos = limiter ? gateRepos(deps.repos, limiter) : deps.repos;
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const bounds = createLimiter(limits);
  // One list of trusted proxies for every per-IP count, whether or not rate limits are on.
  const trusted_proxies = limiter?.trusted ?? new TrustedProxies(deps.rate_limits?.trusted_proxies ?? []);
  const listed_ms = deps.activity?.session_policy.listed_ms ?? DEFAULT_SESSION_POLICY.listed_ms;

  /** A session's route: the repo token only (an Authorization header is not looked at). */
  const checkRepo = async (q: { repo: string; token: string; commit_sha: string }) =>
    (await checkAccess(repos, deps.admin_tokens, null, q, "body")).entry.name;

  // standardHostname: false — Elysia otherwise looks for the path after character 11 of the URL,
  // so a short Host header ("vm", no port) cut the path and query off (SPEC §16). The service
  // speaks plain http (TLS ends at the proxy), so every URL it sees starts with "http://".
  const app = new Elysia({ handler: { standardHostname: false } })
    .use(metricsRoutes(metrics, { admin_tokens: deps.admin_tokens, access: deps.metrics_access ?? "admin" }))
    .use(limiter ? rateLimitRoutes(limiter) : new Elysia({ name: "rate-limit-off" }))
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
    .use(
      deps.activity
        ? activityRoutes({ ...deps.activity, repos, admin_tokens: deps.admin_tokens, clock, claims: store, claim_policy: policy, limits, limiter: bounds, trusted_proxies })
        : new Elysia({ name: "activity-off" }),
    )
    .use(reservationRoutes({ repos, admin_tokens: deps.admin_tokens, store, clock }))
    .use(lifeRoutes({ repos, admin_tokens: deps.admin_tokens, store, policy, clock, log }))
    .use(deps.activity ? controlRoutes({ ...deps.activity, repos, admin_tokens: deps.admin_tokens, clock, claims: store }) : new Elysia({ name: "controls-off" }))
    .use(dashboardRoutes())
    .get(ROUTES.health.path, () => health(deps))
    .get(ROUTES.openapi.path, () => openApiDocument(deps.version))
    .get(
      ROUTES.claims.path,
      async ({ query, request }) => {
        const { entry } = await checkAccess(repos, deps.admin_tokens, request.headers.get("authorization"), query, "query");
        return (await listClaims(store, entry.name, clock(), policy)) satisfies Answer<"claims">;
      },
      { query: ROUTES.claims.query },
    )
    .post(
      ROUTES.claim.path,
      async ({ body, request, server }) => {
        const repo = await checkRepo(body);
        const admit = admissionFor(bounds, requestClientIp(server, request, trusted_proxies), { listed_ms, claim_ttl_ms: policy.claim_ttl_ms });
        const r = await claimTask(
          store,
          { repo, session_id: body.session_id, task_id: body.task_id, branch: body.branch, plan_file: body.plan_file ?? "" },
          clock,
          policy,
          admit.admission,
        );
        admit.done();
        if (r.created) log.info(`claimed ${repo} ${r.task_id} fence=${r.fence} branch=${body.branch}`);
        const control = deps.activity ? r.control : undefined;
        return { status: r.status, task_id: r.task_id, fence: r.fence, ...(control ? { directive: { action: control.action, message: control.message, at: toRfc3339(control.at_ms) } } : {}) } satisfies Answer<"claim">;
      },
      { body: ROUTES.claim.body, parse: parseJsonObject },
    )
    .post(
      ROUTES.complete.path,
      async ({ body }) => {
        const repo = await checkRepo(body);
        const c = await completeTask(store, { repo, session_id: body.session_id, task_id: body.task_id, pr_url: body.pr_url ?? null }, clock, policy);
        log.info(`completed ${repo} ${c.task_id} fence=${c.fence}`);
        return { status: "completed" as const, task_id: c.task_id, branch: c.branch } satisfies Answer<"complete">;
      },
      { body: ROUTES.complete.body, parse: parseJsonObject },
    )
    .delete(
      ROUTES.expire.path,
      async ({ body, request }) => {
        // SPEC §10: the body is validated (400) before the admin token is checked (401), as §3's order says.
        const target = targetOf(body);
        const entry = whitelisted(repos, body.repo);
        // SPEC §3/§16: always the admin token, never the repo token (any session has that one).
        if (!hasAdminToken(request.headers.get("authorization"), deps.admin_tokens)) {
          throw new CoordError("unauthorized", "Expiring a claim requires an admin token: send 'Authorization: Bearer <admin token>'.");
        }
        const c = await expireClaim(store, entry.name, target, clock, policy);
        log.info(`expired ${entry.name} ${c.task_id} fence=${c.fence}`);
        return { status: "expired" as const, task_id: c.task_id, session: sessionPrefix(c.session_id), branch: c.branch } satisfies Answer<"expire">;
      },
      { body: ROUTES.expire.body, parse: parseJsonObject },
    );
  return (deps.check_contract ?? readEnv().check_contract) ? checkAnswers(app) : app;
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

/**
 * `GET /health`: 200 `{status: "ok", version, backend}`, or 503 `store_unavailable` naming the
 * backend while its database cannot be reached (SPEC §12), so a load balancer takes the replica out.
 */
async function health(deps: AppDeps): Promise<Response | { status: "ok"; version: string; backend?: string }> {
  if (!deps.storage) return { status: "ok", version: deps.version };
  try {
    await deps.storage.ping();
  } catch (e) {
    const err = isCoordError(e, "store_unavailable") ? e : new CoordError("store_unavailable", `The service's database (${deps.storage.backend}) cannot be reached right now.`);
    return errorResponse(new CoordError("store_unavailable", err.message, { ...err.details, backend: deps.storage.backend, version: deps.version }));
  }
  return { status: "ok", version: deps.version, backend: deps.storage.backend };
}
