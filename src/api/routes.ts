// The route table: for every route its method, path, request schema and every answer it gives (success and each error code), the one place a route is declared.
import { type Static, type TProperties, type TSchema, Type as T } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { WireCode } from "../core/errors.ts";
import { ControlBody, ControlResponse, DirectiveResponse } from "./schemas.ts";
import { Timestamp } from "../core/views.ts";
import {
  AckBody,
  AckResponse,
  ClaimBody,
  ClaimResponse,
  ClaimsResponse,
  CompleteBody,
  CompleteResponse,
  EventsQuery,
  ExpireBody,
  ExpireResponse,
  HealthResponse,
  HandoverBody,
  HandoverResponse,
  HeartbeatBody,
  HeartbeatResponse,
  InboxQuery,
  InboxResponse,
  ReleaseBody,
  ReleaseResponse,
  RepoQuery,
  SendBody,
  SendResponse,
  SessionsResponse,
} from "./schemas.ts";
import { CheckBody, CheckResponse, ReservationsResponse, ReserveBody, ReserveConflict, ReserveResponse, UnreserveBody, UnreserveResponse } from "./reservations.ts";

/** The HTTP status of every code the service answers with (SPEC §3): exactly the wire codes (core/errors.ts), never a client-only one. */
export const WIRE_STATUS = {
  invalid_request: 400,
  repo_not_allowed: 403,
  unauthorized: 401,
  stale_token: 401,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  session_has_claim: 409,
  ambiguous: 409,
  session_prefix_taken: 409,
  payload_too_large: 413,
  upstream_unavailable: 503,
  store_unavailable: 503,
  rate_limited: 429,
  internal_error: 500,
} as const satisfies Record<WireCode, number>;

export type { WireCode };

/** True when `code` is one the service answers with (the rest exist only in the client). */
export function isWireCode(code: string): code is WireCode {
  return Object.hasOwn(WIRE_STATUS, code);
}

const ClaimedBy = T.Object({ session: T.String(), branch: T.String(), claimed_at: Timestamp });

/** The fields each error code adds to `{status, message}` (SPEC §3). */
const ERROR_FIELDS: { [K in WireCode]?: TProperties } = {
  invalid_request: { field: T.Optional(T.String({ description: "the field (or header) to correct" })) },
  repo_not_allowed: { repo: T.Optional(T.String()) },
  stale_token: { current_commit: T.String({ description: "the service's main" }), your_commit: T.String() },
  not_found: { task_id: T.Optional(T.String()) },
  forbidden: { task_id: T.String(), claimed_by: ClaimedBy },
  conflict: { task_id: T.String(), claimed_by: ClaimedBy },
  session_has_claim: {
    task_id: T.String(),
    current_claim: T.Object({ task_id: T.String(), branch: T.String(), plan_file: T.String(), claimed_at: Timestamp, fence: T.Integer() }),
  },
  ambiguous: { sessions: T.Array(T.String(), { description: "the 8-character prefixes it matches" }) },
  upstream_unavailable: { repo: T.Optional(T.String()) },
  store_unavailable: { backend: T.Optional(T.String({ description: "the storage backend that cannot be reached (postgresql)" })) },
  rate_limited: {
    retry_after_s: T.Integer({ description: "also sent as Retry-After" }),
    bucket: T.Optional(T.String({ description: "the rate limit's token bucket (SPEC §15): ip, session or git_host" })),
    limit: T.Optional(T.String({ description: "the [limits] bound exceeded (SPEC §16), e.g. messages_per_session_per_hour" })),
    max: T.Optional(T.Integer({ description: "that bound's configured value" })),
  },
};

const ERROR_SCHEMAS = new Map<WireCode, TSchema>(
  (Object.keys(WIRE_STATUS) as WireCode[]).map((code) => [
    code,
    T.Object({ status: T.Literal(code), message: T.String(), ...(ERROR_FIELDS[code] ?? {}) }, { additionalProperties: true, title: code }),
  ]),
);

/** The error body of `code`: `{status: code, message, ...its fields}`; other fields may follow. */
export function errorSchema(code: WireCode): TSchema {
  return ERROR_SCHEMAS.get(code)!;
}



/** One route of the service. */
export interface Route {
  method: "GET" | "POST" | "DELETE";
  path: string;
  /** One line for OpenAPI and the README. */
  summary: string;
  /** The SPEC section that defines it. */
  spec: string;
  /** The JSON body it takes. */
  body?: TSchema;
  /** The query string it takes. */
  query?: TSchema;
  /** The success answer (200): a JSON schema, or a string for `text/*` answers. */
  response: TSchema;
  /** The media type of the success answer. */
  content_type: "application/json" | "text/event-stream" | "text/html" | "text/plain";
  /** Every error code it can answer with (each with `WIRE_STATUS[code]`, and `errorSchema(code)` unless `error_bodies` names another body). */
  errors: readonly WireCode[];
  /** Error bodies of this route that differ from `errorSchema(code)` (e.g. a reservation conflict lists `conflicts`). */
  error_bodies?: { readonly [K in WireCode]?: TSchema };
}

/** The body `route` answers with for error `code`: its own when it declares one, else the code's. */
export function errorBodyOf(route: Route, code: WireCode): TSchema {
  return route.error_bodies?.[code] ?? errorSchema(code);
}

/** What every route can answer whatever it does: a malformed request, an oversized body, too many requests (SPEC §15), a bug. */
const ALWAYS = ["invalid_request", "payload_too_large", "rate_limited", "store_unavailable", "internal_error"] as const satisfies readonly WireCode[];
/** A repo-token check (SPEC §3 order: whitelist → admin token → repo token). */
const REPO_ACCESS = [...ALWAYS, "repo_not_allowed", "unauthorized", "stale_token", "upstream_unavailable"] as const satisfies readonly WireCode[];

/** The OpenAPI document itself (any JSON object). */
const OpenApiDocument = T.Object({ openapi: T.String(), info: T.Object({ title: T.String(), version: T.String() }), paths: T.Record(T.String(), T.Unknown()) }, { additionalProperties: true });

/** The answer of the GitHub webhook route (when `[github] webhook_secret` is configured). */
export const WebhookResponse = T.Object({
  status: T.Union([T.Literal("ok"), T.Literal("duplicate"), T.Literal("ignored")]),
  event: T.String(),
  delivery: T.String(),
  completed: T.Array(T.String(), { description: "task ids completed as branch_removed" }),
  refresh: T.Optional(T.Union([T.Literal("refreshed"), T.Literal("failed"), T.Literal("pending")])),
  reason: T.Optional(T.String()),
});

/**
 * Every route of the service, by the name the client calls it with. Adding a route means adding it
 * here: the server serves paths and validates requests from this table, the client derives its paths
 * from it and decodes answers with it, and `GET /openapi.json` lists it (README: "Adding a route").
 */
export const ROUTES = {
  health: { method: "GET", path: "/health", summary: "Liveness, version and storage backend (503 store_unavailable while its database is down)", spec: "§3, §12", response: HealthResponse, content_type: "application/json", errors: ["rate_limited", "store_unavailable", "internal_error"] },
  metrics: {
    method: "GET",
    path: "/metrics",
    summary: "Prometheus metrics (admin token unless [server] metrics = \"public\")",
    spec: "§15",
    response: T.String(),
    content_type: "text/plain",
    errors: ["unauthorized", "rate_limited", "internal_error"],
  },
  claims: { method: "GET", path: "/claims", summary: "Active and recently completed claims of a repo", spec: "§3", query: RepoQuery, response: ClaimsResponse, content_type: "application/json", errors: REPO_ACCESS },
  claim: {
    method: "POST",
    path: "/claim",
    summary: "Claim a task for a session (first claim wins; sets the session working)",
    spec: "§3",
    body: ClaimBody,
    response: ClaimResponse,
    content_type: "application/json",
    errors: [...REPO_ACCESS, "conflict", "session_has_claim", "session_prefix_taken"],
  },
  complete: {
    method: "POST",
    path: "/complete",
    summary: "Complete the session's claim (sets the session complete)",
    spec: "§3",
    body: CompleteBody,
    response: CompleteResponse,
    content_type: "application/json",
    errors: [...REPO_ACCESS, "not_found", "forbidden"],
  },
  release: {
    method: "POST",
    path: "/release",
    summary: "Give the session's claim back: the task is available again at once (outcome freed)",
    spec: "§10",
    body: ReleaseBody,
    response: ReleaseResponse,
    content_type: "application/json",
    errors: [...REPO_ACCESS, "not_found", "forbidden"],
  },
  handover: {
    method: "POST",
    path: "/handover",
    summary: "Take over another session's claim (new fence), state and unread messages",
    spec: "§10",
    body: HandoverBody,
    response: HandoverResponse,
    content_type: "application/json",
    errors: [...REPO_ACCESS, "not_found", "session_has_claim"],
  },
  expire: {
    method: "DELETE",
    path: "/claim",
    summary: "Expire a claim by task or session (operators: admin token)",
    spec: "§3",
    body: ExpireBody,
    response: ExpireResponse,
    content_type: "application/json",
    errors: [...REPO_ACCESS, "not_found", "ambiguous"],
  },
  heartbeat: { method: "POST", path: "/heartbeat", summary: "Report a session's state; answers its unread count", spec: "§7", body: HeartbeatBody, response: HeartbeatResponse, content_type: "application/json", errors: [...REPO_ACCESS, "session_prefix_taken"] },
  control: {
    method: "POST",
    path: "/sessions/control",
    summary: "The human pauses, resumes, approves or rejects a session (admin token)",
    spec: "§13",
    body: ControlBody,
    response: ControlResponse,
    content_type: "application/json",
    errors: [...REPO_ACCESS, "not_found", "ambiguous"],
  },
  directive: { method: "GET", path: "/sessions/directive", summary: "The calling session's state and the human's latest directive (X-Session-Id)", spec: "§13", query: RepoQuery, response: DirectiveResponse, content_type: "application/json", errors: REPO_ACCESS },
  sessions: { method: "GET", path: "/sessions", summary: "Sessions of a repo seen in the last 24 hours, stuck first", spec: "§7", query: RepoQuery, response: SessionsResponse, content_type: "application/json", errors: REPO_ACCESS },
  send: {
    method: "POST",
    path: "/messages",
    summary: "Send a message to a task's holder, a branch, a session prefix or everyone",
    spec: "§7",
    body: SendBody,
    response: SendResponse,
    content_type: "application/json",
    errors: [...REPO_ACCESS, "not_found", "ambiguous", "session_prefix_taken"],
  },
  inbox: { method: "GET", path: "/messages", summary: "A session's inbox (X-Session-Id header), or the repo's messages for the human", spec: "§7", query: InboxQuery, response: InboxResponse, content_type: "application/json", errors: REPO_ACCESS },
  ack: { method: "POST", path: "/messages/ack", summary: "Mark messages read", spec: "§7", body: AckBody, response: AckResponse, content_type: "application/json", errors: REPO_ACCESS },
  reserve: {
    method: "POST",
    path: "/reservations",
    summary: "Reserve paths for a session, all or nothing (409 conflict lists what others hold)",
    spec: "§11",
    body: ReserveBody,
    response: ReserveResponse,
    content_type: "application/json",
    errors: [...REPO_ACCESS, "conflict"],
    error_bodies: { conflict: ReserveConflict },
  },
  reservations: { method: "GET", path: "/reservations", summary: "Every live reservation of a repo", spec: "§11", query: RepoQuery, response: ReservationsResponse, content_type: "application/json", errors: REPO_ACCESS },
  check_paths: { method: "POST", path: "/reservations/check", summary: "Which of the paths other sessions hold", spec: "§11", body: CheckBody, response: CheckResponse, content_type: "application/json", errors: REPO_ACCESS },
  unreserve: { method: "DELETE", path: "/reservations", summary: "Release the caller's own reservations by ids, paths or all", spec: "§11", body: UnreserveBody, response: UnreserveResponse, content_type: "application/json", errors: REPO_ACCESS },
  events: { method: "GET", path: "/events", summary: "Server-sent events of every change (claimed, completed, expired, heartbeat, message)", spec: "§7", query: EventsQuery, response: T.String(), content_type: "text/event-stream", errors: REPO_ACCESS },
  dashboard: { method: "GET", path: "/", summary: "The live dashboard page for the human", spec: "§7", response: T.String(), content_type: "text/html", errors: ["rate_limited", "internal_error"] },
  openapi: { method: "GET", path: "/openapi.json", summary: "This API as an OpenAPI 3.1 document", spec: "§15", response: OpenApiDocument, content_type: "application/json", errors: ["rate_limited", "internal_error"] },
  github_webhook: {
    method: "POST",
    path: "/webhooks/github",
    summary: "GitHub webhook deliveries (push, delete, pull_request), when [github] webhook_secret is set (else 404 not_found)",
    spec: "§5",
    response: WebhookResponse,
    content_type: "application/json",
    errors: ["invalid_request", "unauthorized", "not_found", "payload_too_large", "rate_limited", "internal_error"],
  },
} as const satisfies Record<string, Route>;

/** A route's name in the table. */
export type RouteName = keyof typeof ROUTES;

/** The success answer of route `N`, as its schema types it (handlers `satisfies` it, so a field the schema lacks fails the typecheck). */
export type Answer<N extends RouteName> = Static<(typeof ROUTES)[N]["response"]>;

/** The route serving `method` + `pathname`, if any. */
export function findRoute(method: string, pathname: string): Route | undefined {
  return (Object.values(ROUTES) as Route[]).find((r) => r.method === method && r.path === pathname);
}

const compiled = new Map<TSchema, TypeCheck<TSchema>>();

/** A compiled checker of `schema` (compiled once: TypeBox's compiler is much faster than Value.Check). */
export function checker(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

/**
 * Checks one answer of `route` against the table: a 200 against its response schema, an error
 * status against the schema of the code the body names, which must be one the route declares with
 * that status. Returns what does not match (empty when the answer is in the contract).
 */
export function contractViolations(route: Route, status: number, body: unknown): string[] {
  if (status === 200) {
    if (route.content_type !== "application/json") return [];
    const c = checker(route.response);
    return c.Check(body) ? [] : [...c.Errors(body)].slice(0, 3).map((e) => `${route.method} ${route.path} 200: ${e.path || "/"} ${e.message}`);
  }
  const code = (body as { status?: unknown } | null)?.status;
  if (typeof code !== "string" || !isWireCode(code)) return [`${route.method} ${route.path} ${status}: the body names no error code of the service`];
  if (!(route.errors as readonly string[]).includes(code)) return [`${route.method} ${route.path} ${status}: '${code}' is not an error this route declares`];
  if (WIRE_STATUS[code] !== status) return [`${route.method} ${route.path} ${status}: '${code}' is answered with ${WIRE_STATUS[code]}`];
  const c = checker(errorBodyOf(route, code));
  return c.Check(body) ? [] : [...c.Errors(body)].slice(0, 3).map((e) => `${route.method} ${route.path} ${status} ${code}: ${e.path || "/"} ${e.message}`);
}
