// The typed HTTP client of the API: timeouts, GET retries, and error bodies mapped back to domain errors.
import { CoordError, type ErrorCode } from "../core/errors.ts";
import type { ClaimBody, ClaimResponse, ClaimsResponse, CompleteBody, CompleteResponse, ExpireBody, ExpireResponse, HealthResponse } from "./schemas.ts";

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
}

const KNOWN_CODES = new Set<ErrorCode>([
  "invalid_request", "repo_not_allowed", "unauthorized", "stale_token", "not_found", "forbidden", "conflict",
  "session_has_claim", "ambiguous", "payload_too_large", "upstream_unavailable", "internal_error",
]);

/** Maps an error response to the domain error its body names; anything unrecognised by its status. */
function fromResponse(status: number, body: unknown, service_url: string): CoordError {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof b.status === "string" && KNOWN_CODES.has(b.status as ErrorCode) ? (b.status as ErrorCode) : undefined;
  const message = typeof b.message === "string" ? b.message : `The service answered HTTP ${status}.`;
  const { status: _s, message: _m, ...details } = b;
  if (code && code !== "internal_error") return new CoordError(code, message, details);
  if (status >= 500) return new CoordError("service_unavailable", message, { service_url, reason: `HTTP ${status}` });
  return new CoordError("invalid_request", message, details);
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

  private async send<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const retries = method === "GET" ? (this.opts.get_retries ?? 2) : 0;
    let backoff = this.opts.retry_backoff_ms ?? 100;
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
      let parsed: unknown;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (res.ok && parsed !== undefined) return parsed as T;
      throw fromResponse(res.status, parsed, this.opts.service_url);
    }
  }

  /** GET /health. */
  health(): Promise<HealthResponse> {
    return this.send("GET", "/health");
  }

  /** GET /claims for the repo the auth fields name. */
  claims(auth: { repo: string; token: string; commit_sha: string }): Promise<ClaimsResponse> {
    const q = new URLSearchParams(auth);
    return this.send("GET", `/claims?${q}`);
  }

  /** POST /claim. */
  claim(body: ClaimBody): Promise<ClaimResponse> {
    return this.send("POST", "/claim", body);
  }

  /** POST /complete. */
  complete(body: CompleteBody): Promise<CompleteResponse> {
    return this.send("POST", "/complete", body);
  }

  /** DELETE /claim, with `Authorization: Bearer <admin_token>` when one is given. */
  expire(body: ExpireBody, admin_token?: string): Promise<ExpireResponse> {
    return this.send("DELETE", "/claim", body, admin_token ? { authorization: `Bearer ${admin_token}` } : {});
  }
}
