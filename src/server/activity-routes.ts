// Routes of SPEC §7: heartbeats, sessions, messages, acknowledgements and the live event stream.
import { Elysia } from "elysia";
import { type Answer, ROUTES } from "../api/routes.ts";
import { isIdentifierText, LIMITS, type SendBody } from "../api/schemas.ts";
import { type ClaimPolicy, sessionPrefix } from "../core/claims.ts";
import { CoordError } from "../core/errors.ts";
import type { EventLog, EventRecord } from "../core/events.ts";
import { ackMessages, type MessageStore, type MessageTarget, messageView, sendMessage } from "../core/messages.ts";
import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import { MIN_SESSION_ID_LENGTH } from "../core/session-id.ts";
import { listSessionViews, recordHeartbeat, type SessionPolicy, type SessionStore } from "../core/sessions.ts";
import { type ControlStore, directiveOf } from "../core/controls.ts";
import type { ClaimStore } from "../core/store.ts";
import type { Clock } from "../core/time.ts";
import { checkAccess, parseJsonObject } from "./access.ts";
import type { WhitelistedRepo } from "../sources/source.ts";
import { createEventHub, type EventHub } from "./event-hub.ts";
import { IDENTIFIER_FIX } from "./http-errors.ts";
import type { Limiter } from "./limiter.ts";
import { requestClientIp, type TrustedProxies } from "./client-ip.ts";
import { admissionFor } from "./session-guard.ts";
import { eventStream, resumeAfter, type StreamTiming } from "./event-stream.ts";

/** What the routes of SPEC §7 need. */
export interface ActivityDeps {
  repos: ReadonlyMap<string, WhitelistedRepo>;
  admin_tokens: readonly string[];
  clock: Clock;
  claims: ClaimStore;
  claim_policy: ClaimPolicy;
  sessions: SessionStore;
  /** The human's controls (SPEC §13): a paused session stays paused, and heartbeats answer the directive. */
  controls: ControlStore;
  messages: MessageStore;
  events: EventLog;
  session_policy: SessionPolicy;
  stream: StreamTiming;
  /** The process's one event reader (serve.ts makes it); when absent, these routes make their own over `events`, polling every `stream.poll_ms`. */
  hub?: EventHub;
  /** The bounds of `[limits]` (SPEC §16); default `DEFAULT_LIMITS`. */
  limits?: Limits;
  /** The per-client counters, shared with the claim route. */
  limiter: Limiter;
  /** The proxies whose `X-Forwarded-For` names the client of the per-IP bounds (`[server] trusted_proxies`). */
  trusted_proxies: TrustedProxies;
}

/**
 * What a repo-token subscriber sees of an event: everything but a message's subject and body,
 * which only its recipients (their inbox) and the human (admin token) may read.
 */
export function withoutMessageText(e: EventRecord): unknown {
  if (e.type !== "message") return e.data;
  const { subject: _s, body: _b, ...rest } = e.data as Record<string, unknown>;
  return rest;
}

/** How many messages an inbox or the human's view returns at most (the newest). */
export const INBOX_LIMIT = 200;

/** The `X-Session-Id` header is a session id like the body's `session_id` (SPEC §16: at least 16 characters). */
function checkSessionIdHeader(session_id: string): void {
  if (session_id.length < MIN_SESSION_ID_LENGTH || session_id.length > LIMITS.session_id) {
    throw new CoordError("invalid_request", `Invalid request: header 'X-Session-Id' must be a session id of ${MIN_SESSION_ID_LENGTH} to ${LIMITS.session_id} characters.`, { field: "X-Session-Id" });
  }
  if (!isIdentifierText(session_id)) throw new CoordError("invalid_request", `Invalid request: header 'X-Session-Id' ${IDENTIFIER_FIX}.`, { field: "X-Session-Id" });
}

function targetOf(body: SendBody): MessageTarget {
  const given = [body.broadcast === true, body.to_task !== undefined, body.to_branch !== undefined, body.to_session !== undefined, body.to_human === true].filter(Boolean).length;
  if (given !== 1) {
    throw new CoordError("invalid_request", "Invalid request body: give exactly one of 'broadcast': true, 'to_task', 'to_branch', 'to_session' or 'to_human': true.", { field: "to_session" });
  }
  if (body.broadcast === true) return { broadcast: true };
  if (body.to_human === true) return { to_human: true };
  if (body.to_task !== undefined) return { to_task: body.to_task };
  if (body.to_branch !== undefined) return { to_branch: body.to_branch };
  return { to_session: body.to_session as string };
}

/**
 * The Elysia plugin of SPEC §7: POST /heartbeat, GET /sessions, POST /messages, GET /messages,
 * POST /messages/ack, GET /events. Every route proves repo access like the claim routes (the repo
 * token, or for GETs and the human's messages an admin bearer token); a caller's session id travels
 * in the body or the `X-Session-Id` header, never in a URL. Errors are CoordErrors, mapped by the app.
 */
export function activityRoutes(deps: ActivityDeps) {
  const { clock, sessions, messages, events } = deps;
  const hub = deps.hub ?? createEventHub(events, deps.stream.poll_ms);
  const limits = deps.limits ?? DEFAULT_LIMITS;
  /** SPEC §16, checked by the use case in its transaction: the session's prefix is its own, new sessions are bounded per client IP. */
  const admission = (server: Parameters<typeof requestClientIp>[0], request: Request) =>
    admissionFor(deps.limiter, requestClientIp(server, request, deps.trusted_proxies), { listed_ms: deps.session_policy.listed_ms, claim_ttl_ms: deps.claim_policy.claim_ttl_ms });
  /** What the human (admin token) sees of an event: message events get their subject and body back from the message store. */
  const withMessageText = async (e: EventRecord): Promise<unknown> => {
    if (e.type !== "message") return e.data;
    const id = (e.data as { id?: unknown }).id;
    const text = typeof id === "number" ? await messages.messageText(e.repo, id) : undefined;
    return text ? { ...(e.data as object), ...text } : e.data;
  };
  const access = (request: Request, q: { repo: string; token?: string; commit_sha?: string }, where: "body" | "query", allowAdmin: boolean) =>
    checkAccess(deps.repos, deps.admin_tokens, allowAdmin ? request.headers.get("authorization") : null, q, where);

  return new Elysia({ name: "activity" })
    .post(
      ROUTES.heartbeat.path,
      async ({ body, request, server }) => {
        const { entry } = await access(request, body, "body", false);
        const admit = admission(server, request);
        const r = await recordHeartbeat(deps.claims, { ...body, repo: entry.name }, clock, admit.admission);
        admit.done();
        return {
          status: "ok" as const,
          session: sessionPrefix(r.session.session_id),
          state: r.session.state,
          unread: r.unread,
          ...(r.control ? { directive: directiveOf(r.control) } : {}),
        } satisfies Answer<"heartbeat">;
      },
      { body: ROUTES.heartbeat.body, parse: parseJsonObject },
    )
    .get(
      ROUTES.sessions.path,
      async ({ query, request }) => {
        const { entry } = await access(request, query, "query", true);
        const now = clock();
        return { sessions: listSessionViews(await sessions.listSessions(entry.name, now - deps.session_policy.listed_ms), now, deps.session_policy) } satisfies Answer<"sessions">;
      },
      { query: ROUTES.sessions.query },
    )
    .post(
      ROUTES.send.path,
      async ({ body, request, server }) => {
        const { entry, admin } = await access(request, body, "body", true);
        if (!admin && body.session_id === undefined) {
          throw new CoordError("invalid_request", "Invalid request body: field 'session_id' is required (the sender).", { field: "session_id" });
        }
        const admit = admin ? undefined : admission(server, request);
        const { stored, recipients } = await sendMessage(
          deps.claims,
          { repo: entry.name, from_session: admin ? null : (body.session_id as string), target: targetOf(body), subject: body.subject, body: body.body },
          clock,
          { claims: deps.claim_policy, sessions: deps.session_policy },
          limits,
          admit?.admission,
        );
        admit?.done();
        return { status: "sent" as const, ids: stored.map((m) => m.id), to: recipients === "broadcast" ? ["broadcast"] : recipients.map(sessionPrefix) } satisfies Answer<"send">;
      },
      { body: ROUTES.send.body, parse: parseJsonObject },
    )
    .get(
      ROUTES.inbox.path,
      async ({ query, request }) => {
        const { entry, admin } = await access(request, query, "query", true);
        const session_id = request.headers.get("x-session-id");
        const unread_only = query.unread === "true" || query.unread === "1";
        if (session_id === null || session_id === "") {
          if (!admin) throw new CoordError("invalid_request", "Invalid request: header 'X-Session-Id' is required (your session id; it never goes in the URL).", { field: "X-Session-Id" });
          return { messages: (await messages.recentMessages(entry.name, INBOX_LIMIT)).map((m) => messageView(m, false)) } satisfies Answer<"inbox">;
        }
        checkSessionIdHeader(session_id);
        return { messages: (await messages.inbox(entry.name, session_id, { unread_only, limit: INBOX_LIMIT })).map((e) => messageView(e.message, e.read)) } satisfies Answer<"inbox">;
      },
      { query: ROUTES.inbox.query },
    )
    .post(
      ROUTES.ack.path,
      async ({ body, request }) => {
        const { entry } = await access(request, body, "body", false);
        return { status: "acked" as const, acked: await ackMessages(deps.claims, { repo: entry.name, session_id: body.session_id, ids: body.ids }, clock) } satisfies Answer<"ack">;
      },
      { body: ROUTES.ack.body, parse: parseJsonObject },
    )
    .get(
      ROUTES.events.path,
      async ({ query, request, server }) => {
        const { entry, admin } = await access(request, query, "query", true);
        const session = request.headers.get("x-session-id");
        if (session !== null && session !== "") checkSessionIdHeader(session);
        const after = await resumeAfter(request.headers.get("last-event-id"), query.last_event_id, events);
        const release = deps.limiter.openStream(requestClientIp(server, request, deps.trusted_proxies), session === null || session === "" ? undefined : `${entry.name}\n${session}`);
        return eventStream(hub, entry.name, after, request.signal, deps.stream, admin ? withMessageText : withoutMessageText, release);
      },
      { query: ROUTES.events.query },
    );
}
