// The typed HTTP client of the API: timeouts, GET retries, and error bodies mapped back to domain errors.
import { CoordError } from "../core/errors.ts";
import { type Answer, checker, errorBodyOf, isWireCode, type Route, type RouteName, ROUTES, type WireCode } from "./routes.ts";
import type {
  AckBody,
  AckResponse,
  ClaimBody,
  ClaimResponse,
  ClaimsResponse,
  CompleteBody,
  CompleteResponse,
  ControlBody,
  ControlResponse,
  DirectiveResponse,
  ExpireBody,
  ExpireResponse,
  HandoverBody,
  HandoverResponse,
  HealthResponse,
  HeartbeatBody,
  HeartbeatResponse,
  InboxResponse,
  ReleaseBody,
  ReleaseResponse,
  SendBody,
  SendResponse,
  SessionsResponse,
} from "./schemas.ts";
import type { CheckBody, CheckResponse, ReservationsResponse, ReserveBody, ReserveResponse, UnreserveBody, UnreserveResponse } from "./reservations.ts";

/** Client settings. */
export interface ClientOptions {
  /** Base URL of the service, e.g. `http://127.0.0.1:8787`. */
  service_url: string;
  /** Per-request timeout in milliseconds (SPEC §4: default 10 000). */
  timeout_ms: number;
  /** How many times a GET is retried after a connection error (POSTs are never retried). Default 2. */
  get_retries?: number;
  /** Backoff before the first GET retry in ms, doubled each time. Default 100. */
  retry_backoff_ms?: number;
  /**
   * A 429 `rate_limited` answer with `Retry-After` of at most this many seconds is waited out and
   * the request sent once more (any method: a 429 is answered before the route runs). Default 5 (SPEC §15).
   */
  max_rate_limit_wait_s?: number;
}

/** `Retry-After` in seconds (RFC 9110 §10.2.3: delay-seconds, or an HTTP date), rounded up; undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now_ms: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const t = header.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now_ms) / 1000));
}

/**
 * How a repo-scoped read proves access: the repo token (`token`, `commit_sha`), or the operator's
 * `admin_token`, sent as `Authorization: Bearer` and never in the URL.
 */
export interface ReadAuth {
  repo: string;
  token?: string;
  commit_sha?: string;
  admin_token?: string;
}

/** One server-sent event of `GET /events` (SPEC §7): its id, its type (claimed, completed, expired, heartbeat, message) and its JSON data. */
export interface StreamEvent {
  id: number;
  type: string;
  data: unknown;
}

/** What `events()` reports about its connection: connected, or waiting `retry_in_ms` before attempt `attempt` after `error`. */
export type StreamStatus = { connected: true } | { connected: false; attempt: number; retry_in_ms: number; error: CoordError };

/** Options of `events()`. */
export interface EventsOptions {
  /** Resume after this event id (sent as `Last-Event-ID`); default: only events after the connection. */
  last_event_id?: number;
  /** Aborting it ends the iteration cleanly. */
  signal?: AbortSignal;
  /** The first reconnect delay in ms (the service's `retry:` replaces it), doubled after each failure. Default 250. */
  backoff_ms?: number;
  /** The longest reconnect delay in ms. Default 5000. */
  max_backoff_ms?: number;
  /** Consecutive failed connections after which the iteration throws the last error. Default: never. */
  max_failures?: number;
  /** Without a byte for this long (the service sends a keep-alive every 5 s) the connection counts as lost. Default 20 000. */
  idle_timeout_ms?: number;
  /** Told about every connection and every wait before a reconnect. */
  on_status?: (s: StreamStatus) => void;
}

/** The query string and headers of a read with `auth`: the admin token goes in a header, never in the URL. */
function readRequest(auth: ReadAuth, extra: Record<string, string> = {}): { query: string; headers: Record<string, string> } {
  const q = new URLSearchParams({ repo: auth.repo });
  if (auth.admin_token === undefined) {
    if (auth.token !== undefined) q.set("token", auth.token);
    if (auth.commit_sha !== undefined) q.set("commit_sha", auth.commit_sha);
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return { query: q.toString(), headers: auth.admin_token === undefined ? {} : { authorization: `Bearer ${auth.admin_token}` } };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}

/**
 * Parses `text/event-stream` text incrementally (the WHATWG rules: `field: value` lines, comments
 * starting with `:`, a blank line dispatches). `push` takes decoded text and returns the complete
 * events; `retry_ms` is the last `retry:` the stream sent.
 */
export class SseParser {
  private buf = "";
  private data: string[] = [];
  private type = "";
  private id: string | undefined;
  retry_ms: number | undefined;

  /** Takes the next piece of decoded stream text; returns the events it completed (`type` defaults to `message`). */
  push(text: string): { id: string | undefined; type: string; data: string }[] {
    this.buf += text;
    const out: { id: string | undefined; type: string; data: string }[] = [];
    for (;;) {
      const m = /\r\n|\n|\r/.exec(this.buf);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === "\r" && m.index === this.buf.length - 1)) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      if (line === "") {
        if (this.data.length > 0) out.push({ id: this.id, type: this.type || "message", data: this.data.join("\n") });
        this.data = [];
        this.type = "";
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") this.data.push(value);
      else if (field === "event") this.type = value;
      else if (field === "id" && !value.includes("\0")) this.id = value;
      else if (field === "retry" && /^\d+$/.test(value)) this.retry_ms = Number(value);
    }
    return out;
  }
}

/**
 * Maps an error answer to the domain error its body names (a body in the route table's error
 * schemas); a 5xx without one is `service_unavailable` (a proxy's error page while the service
 * restarts), any other answer `not_a_service`: what answered is not a claude-coord service.
 */
function fromResponse(status: number, body: unknown, service_url: string, route: Route): CoordError {
  const named = (body as { status?: unknown } | null)?.status;
  if (typeof named === "string" && isWireCode(named) && checker(errorBodyOf(route, named)).Check(body)) {
    const { status: code, message, ...details } = body as { status: WireCode; message: string };
    // The service's own advice names the URL for what the user must look at: its limits, its git
    // host or its database.
    if (code === "rate_limited" || code === "upstream_unavailable" || code === "store_unavailable") return new CoordError(code, message, { ...details, service_url });
    if (code !== "internal_error") return new CoordError(code, message, details);
    return new CoordError("service_unavailable", message, { service_url, reason: `HTTP ${status}` });
  }
  if (status >= 500) return new CoordError("service_unavailable", `The service answered HTTP ${status}.`, { service_url, reason: `HTTP ${status}` });
  return notAService(service_url, `${route.method} ${route.path} answered HTTP ${status} without a claude-coord error body`);
}

function notAService(service_url: string, reason: string): CoordError {
  return new CoordError("not_a_service", `Not a claude-coord service at ${service_url}.`, { service_url, reason });
}

/** The certificate errors of Bun's TLS (OpenSSL's verify codes, as Node names them) that mean "this CA is not trusted here". */
const TLS_TRUST_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_UNTRUSTED", "CERT_REJECTED", "CERT_SIGNATURE_FAILURE", "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH",
]);

/** `"<CODE>: <message>"` when a failed fetch failed on certificate verification (not retried: it fails the same way again), else undefined. */
function tlsFailure(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !TLS_TRUST_CODES.has(code)) return undefined;
  return `${code}: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * A client for one service. Every method resolves to the success body of its route or throws a
 * CoordError: the code from the error body (SPEC §3), or `service_unavailable` (details:
 * service_url, reason) when the service is refused, times out or answers 5xx without a known code.
 */
export class CoordClient {
  private readonly base: string;
  constructor(private readonly opts: ClientOptions) {
    this.base = opts.service_url.replace(/\/+$/, "");
  }

  /**
   * Calls route `name` of the route table (its method and path; `query` appended, `body` as JSON)
   * and decodes the answer with the table: a 200 must match the route's response schema, an error
   * an error body of the table (`fromResponse`); anything else throws `not_a_service`.
   */
  private async request<N extends RouteName>(name: N, opts: { query?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer<N>> {
    const route: Route = ROUTES[name];
    const { body, headers = {} } = opts;
    const path = opts.query === undefined ? route.path : `${route.path}?${opts.query}`;
    const method = route.method;
    const retries = method === "GET" ? (this.opts.get_retries ?? 2) : 0;
    let backoff = this.opts.retry_backoff_ms ?? 100;
    let waited = false;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(this.base + path, {
          method,
          headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.opts.timeout_ms),
        });
      } catch (e) {
        const tls = tlsFailure(e);
        if (tls) throw new CoordError("tls_untrusted", "The coordination service's TLS certificate could not be verified.", { service_url: this.opts.service_url, reason: tls });
        const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
        if (!timedOut && attempt < retries) {
          await Bun.sleep(backoff);
          backoff *= 2;
          continue;
        }
        const reason = timedOut ? `Timeout after ${this.opts.timeout_ms / 1000} s` : `Connection failed (${e instanceof Error ? e.message : String(e)})`;
        throw new CoordError("service_unavailable", "Coordination service is unavailable.", { service_url: this.opts.service_url, reason });
      }
      const text = await res.text();
      if (res.status === 429) {
        const wait_s = retryAfterSeconds(res.headers.get("retry-after"));
        if (!waited && wait_s !== undefined && wait_s <= (this.opts.max_rate_limit_wait_s ?? 5)) {
          waited = true;
          await Bun.sleep(wait_s * 1000);
          attempt--;
          continue;
        }
      }
      let parsed: unknown;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!res.ok) throw fromResponse(res.status, parsed, this.opts.service_url, route);
      const check = checker(route.response);
      if (res.status === 200 && check.Check(parsed)) return parsed as Answer<N>;
      const why = parsed === undefined ? "not JSON" : [...check.Errors(parsed)].slice(0, 1).map((e) => `${e.path || "/"} ${e.message}`).join("");
      throw notAService(this.opts.service_url, `${method} ${route.path} answered HTTP ${res.status} with a body outside the contract (${why})`);
    }
  }

  /** GET /health. */
  health(): Promise<HealthResponse> {
    return this.request("health");
  }

  /** GET /claims for the repo `auth` names (the repo token, or the admin token in a header). */
  claims(auth: ReadAuth): Promise<ClaimsResponse> {
    const r = readRequest(auth);
    return this.request("claims", { query: r.query, headers: r.headers });
  }

  /** POST /claim. */
  claim(body: ClaimBody): Promise<ClaimResponse> {
    return this.request("claim", { body });
  }

  /** POST /complete. */
  complete(body: CompleteBody): Promise<CompleteResponse> {
    return this.request("complete", { body });
  }

  /** POST /release (SPEC §10): gives this session's claim back; the task is available again at once. */
  release(body: ReleaseBody): Promise<ReleaseResponse> {
    return this.request("release", { body });
  }

  /** POST /handover (SPEC §10): this session takes over `from_session_id`'s claim (new fence), state and unread messages. */
  handover(body: HandoverBody): Promise<HandoverResponse> {
    return this.request("handover", { body });
  }

  /** DELETE /claim, with `Authorization: Bearer <admin_token>` when one is given. */
  expire(body: ExpireBody, admin_token?: string): Promise<ExpireResponse> {
    return this.request("expire", { body, headers: admin_token ? { authorization: `Bearer ${admin_token}` } : {} });
  }

  /** POST /reservations (SPEC §11): all or nothing; 409 `conflict` carries `conflicts`. */
  reserve(body: ReserveBody): Promise<ReserveResponse> {
    return this.request("reserve", { body });
  }

  /** GET /reservations: every live reservation of the repo. */
  reservations(auth: ReadAuth): Promise<ReservationsResponse> {
    const r = readRequest(auth);
    return this.request("reservations", { query: r.query, headers: r.headers });
  }

  /** POST /reservations/check: which of the paths other sessions hold. */
  checkReservations(body: CheckBody): Promise<CheckResponse> {
    return this.request("check_paths", { body });
  }

  /** DELETE /reservations: releases the caller's own, by ids, paths or all. */
  unreserve(body: UnreserveBody): Promise<UnreserveResponse> {
    return this.request("unreserve", { body });
  }

  /** POST /heartbeat: this session's state (SPEC §7); the answer counts its unread messages. */
  heartbeat(body: HeartbeatBody): Promise<HeartbeatResponse> {
    return this.request("heartbeat", { body });
  }

  /** GET /sessions: the repo's sessions of the last 24 hours, stuck first. */
  sessions(auth: ReadAuth): Promise<SessionsResponse> {
    const r = readRequest(auth);
    return this.request("sessions", { query: r.query, headers: r.headers });
  }

  /**
   * POST /messages. With `admin_token` the human sends (`Authorization: Bearer`; `session_id`,
   * `token` and `commit_sha` may be left out); otherwise `body.session_id` is the sender.
   */
  send(body: SendBody, admin_token?: string): Promise<SendResponse> {
    return this.request("send", { body, headers: admin_token ? { authorization: `Bearer ${admin_token}` } : {} });
  }

  /**
   * GET /messages: `session_id`'s inbox (sent in the `X-Session-Id` header, never in the URL), only
   * unread messages with `unread`. Without a session id (the human, with `auth.admin_token`): the
   * repo's recent messages.
   */
  inbox(auth: ReadAuth, session_id: string | undefined, opts: { unread?: boolean } = {}): Promise<InboxResponse> {
    const r = readRequest(auth, opts.unread ? { unread: "true" } : {});
    return this.request("inbox", { query: r.query, headers: session_id === undefined ? r.headers : { ...r.headers, "x-session-id": session_id } });
  }

  /** POST /sessions/control (SPEC §13): the human pauses, resumes, approves or rejects a session; needs the admin token. */
  control(body: ControlBody, admin_token: string): Promise<ControlResponse> {
    return this.request("control", { body, headers: { authorization: `Bearer ${admin_token}` } });
  }

  /** GET /sessions/directive (SPEC §13): `session_id`'s state and the human's latest directive (the id in `X-Session-Id`, never the URL). */
  directive(auth: ReadAuth, session_id: string): Promise<DirectiveResponse> {
    const r = readRequest(auth);
    return this.request("directive", { query: r.query, headers: { ...r.headers, "x-session-id": session_id } });
  }

  /** POST /messages/ack: marks message ids read for `body.session_id`; answers how many were newly marked. */
  ack(body: AckBody): Promise<AckResponse> {
    return this.request("ack", { body });
  }

  /**
   * GET /events as an async iterator of the repo's changes (SPEC §7). A lost connection (refused,
   * closed, 5xx, silent for `idle_timeout_ms`) is reopened after a delay that starts at
   * `backoff_ms` (or the service's `retry:`), doubles per failure and is capped at
   * `max_backoff_ms`, with `Last-Event-ID` set to the last event seen, so nothing is missed while
   * the service keeps it. `auth` may be a function, called before every connection (a watcher
   * recomputes its repo token). An error answer other than 5xx (stale token, unauthorized, not
   * whitelisted) throws its CoordError; so does the last failure after `max_failures`. Aborting
   * `opts.signal` or leaving the loop ends the iteration and closes the connection.
   */
  async *events(auth: ReadAuth | (() => Promise<ReadAuth>), opts: EventsOptions = {}): AsyncGenerator<StreamEvent, void, undefined> {
    const signal = opts.signal;
    const max_backoff = opts.max_backoff_ms ?? 5000;
    const idle_ms = opts.idle_timeout_ms ?? 20_000;
    let last_id = opts.last_event_id;
    let base_ms = opts.backoff_ms ?? 250;
    let failures = 0;
    while (!signal?.aborted) {
      const a = typeof auth === "function" ? await auth() : auth;
      const r = readRequest(a);
      const ctl = new AbortController();
      const abort = () => ctl.abort();
      signal?.addEventListener("abort", abort);
      let idle: ReturnType<typeof setTimeout> | undefined;
      const arm = (ms: number) => {
        clearTimeout(idle);
        idle = setTimeout(abort, ms);
      };
      const parser = new SseParser();
      let connected = false;
      let failure: CoordError | undefined;
      try {
        arm(this.opts.timeout_ms);
        const res = await fetch(`${this.base}${ROUTES.events.path}?${r.query}`, {
          headers: { accept: "text/event-stream", ...r.headers, ...(last_id === undefined ? {} : { "last-event-id": String(last_id) }) },
          signal: ctl.signal,
        });
        if (!res.ok || res.body === null) {
          const text = await res.text();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const e = fromResponse(res.status, parsed, this.opts.service_url, ROUTES.events);
          if (e.code !== "service_unavailable" && e.code !== "upstream_unavailable" && e.code !== "store_unavailable") throw e;
          failure = e;
        } else {
          if (!(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
            throw notAService(this.opts.service_url, `GET ${ROUTES.events.path} answered HTTP ${res.status} without an event stream`);
          }
          failures = 0;
          connected = true;
          opts.on_status?.({ connected: true });
          const dec = new TextDecoder();
          arm(idle_ms);
          for await (const chunk of res.body) {
            arm(idle_ms);
            for (const ev of parser.push(dec.decode(chunk, { stream: true }))) {
              const id = ev.id !== undefined && /^\d+$/.test(ev.id) ? Number(ev.id) : undefined;
              if (id !== undefined) last_id = id;
              let data: unknown = ev.data;
              try {
                data = JSON.parse(ev.data);
              } catch {
                // Not JSON: hand the text over as it came.
              }
              yield { id: id ?? last_id ?? 0, type: ev.type, data };
            }
          }
          failure = new CoordError("service_unavailable", "The event stream ended.", { service_url: this.opts.service_url, reason: "The service closed the event stream" });
        }
      } catch (e) {
        if (signal?.aborted) return;
        if (e instanceof CoordError) throw e;
        failure = new CoordError("service_unavailable", "Coordination service is unavailable.", {
          service_url: this.opts.service_url,
          reason: !ctl.signal.aborted
            ? `Connection failed (${e instanceof Error ? e.message : String(e)})`
            : connected
              ? `No data for ${idle_ms / 1000} s`
              : `Timeout after ${this.opts.timeout_ms / 1000} s`,
        });
      } finally {
        clearTimeout(idle);
        signal?.removeEventListener("abort", abort);
        ctl.abort();
      }
      // The service's `retry:` sets the base delay unless the caller chose one.
      if (opts.backoff_ms === undefined && parser.retry_ms !== undefined) base_ms = parser.retry_ms;
      failures++;
      if (opts.max_failures !== undefined && failures >= opts.max_failures) throw failure;
      const wait = Math.min(base_ms * 2 ** (failures - 1), max_backoff);
      opts.on_status?.({ connected: false, attempt: failures, retry_in_ms: wait, error: failure });
      await pause(wait, signal);
    }
  }
}
