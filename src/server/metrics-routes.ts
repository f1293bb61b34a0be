// GET /metrics (Prometheus text, SPEC §15) and the hooks that count every answered request, claim outcome and event stream.
import { Elysia } from "elysia";
import { ROUTES } from "../api/routes.ts";
import { CoordError, isCoordError } from "../core/errors.ts";
import { hasAdminToken } from "./access.ts";
import { errorResponse } from "./http-errors.ts";
import type { ClaimOutcome, Metrics } from "./metrics.ts";

/** Who may read `/metrics`: `admin` (the admin token, the default) or `public` (`[server] metrics = "public"`). */
export type MetricsAccess = "admin" | "public";

const CLAIM_OUTCOMES: Readonly<Record<string, ClaimOutcome>> = { conflict: "conflict", stale_token: "stale" };

/**
 * An Elysia plugin (use it first, so that its hooks see every route): counts each answered request
 * by method, route pattern and status with its duration, `POST /claim` outcomes (granted,
 * conflict, stale), and open `GET /events` streams (until the client leaves); serves `GET /metrics`
 * in Prometheus' text format, with `Authorization: Bearer <admin token>` unless `access` is
 * `public` (401 `unauthorized` otherwise). Answers given before routing (413 on Content-Length,
 * 429 from the rate limiter, which counts its own) are not in `coord_http_requests_total`.
 */
export function metricsRoutes(m: Metrics, opts: { admin_tokens: readonly string[]; access: MetricsAccess }) {
  const started = new WeakMap<Request, number>();
  const codes = new WeakMap<Request, string>();
  /** Counts one answered request; `route` is Elysia's pattern, or null when no route matched. */
  const record = (request: Request, route: string | null, status: number) => {
    const labels = { method: request.method, route: route ?? "unmatched" };
    m.requests.inc({ ...labels, status: String(status) });
    const t0 = started.get(request);
    if (t0 !== undefined) m.duration.observe(labels, (performance.now() - t0) / 1000);
    if (route === "/claim" && request.method === "POST") {
      const outcome = status === 200 ? "granted" : CLAIM_OUTCOMES[codes.get(request) ?? ""];
      if (outcome) m.claims.inc({ outcome });
    }
    if (route === "/events" && request.method === "GET" && status === 200 && !request.signal.aborted) {
      m.event_streams.inc();
      request.signal.addEventListener("abort", () => m.event_streams.dec(), { once: true });
    }
  };
  // mapResponse runs before the answer leaves (onAfterResponse runs later, and misses error statuses), also for errors a route threw.
  return new Elysia({ name: "metrics" })
    .onRequest(({ request }) => {
      started.set(request, performance.now());
    })
    .onError({ as: "global" }, ({ code, error, request }) => {
      if (isCoordError(error)) codes.set(request, error.code);
      if (code === "NOT_FOUND") record(request, null, 404);
    })
    .mapResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
      // A route that threw passes here twice: first with nothing to map, then with the error's answer.
      if (responseValue === undefined) return;
      record(request, route, responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200);
    })
    .get(ROUTES.metrics.path, async ({ request }) => {
      if (opts.access !== "public" && !hasAdminToken(request.headers.get("authorization"), opts.admin_tokens)) {
        return errorResponse(new CoordError("unauthorized", "GET /metrics requires an admin token: send 'Authorization: Bearer <admin token>' (or set [server] metrics = \"public\")."));
      }
      return new Response(await m.registry.metrics(), { headers: { "content-type": m.registry.contentType } });
    });
}
