// The service's Prometheus instruments (SPEC §15), one registry per app instance (prom-client).
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** How a `POST /claim` ended, as `coord_claims_total` counts it. */
export type ClaimOutcome = "granted" | "conflict" | "stale";

/**
 * Every instrument of `GET /metrics`. Names follow Prometheus' conventions (`_total` counters,
 * `_seconds` durations). Route labels are Elysia's route patterns (`/claim`, never a path with ids),
 * `unmatched` for no route, so their number stays bounded.
 */
export interface Metrics {
  registry: Registry;
  /** `coord_http_requests_total{method, route, status}`. */
  requests: Counter<"method" | "route" | "status">;
  /** `coord_http_request_duration_seconds{method, route}`: from the request's arrival to its answer. */
  duration: Histogram<"method" | "route">;
  /** `coord_claims_total{outcome}`: granted (new or idempotent), conflict (another session holds it), stale (stale token). */
  claims: Counter<"outcome">;
  /** `coord_git_host_requests_total{kind}`: HTTP requests to a git host (`api`: GitHub REST/GraphQL; `git`: smart HTTP). */
  git_host_requests: Counter<"kind">;
  /** `coord_event_streams_open`: `GET /events` streams open now. */
  event_streams: Gauge;
  /** `coord_job_runs_total{job}`: scheduled job runs started. */
  job_runs: Counter<"job">;
  /** `coord_job_failures_total{job}`: job runs that threw. */
  job_failures: Counter<"job">;
  /** `coord_notification_deliveries_total{outcome}`: notification deliveries (SPEC §13), by `delivered` / `failed`. */
  notification_deliveries: Counter<"outcome">;
  /** `coord_rate_limited_total{bucket}`: requests answered 429 `rate_limited`, by the bucket that was empty. */
  rate_limited: Counter<"bucket">;
}

/** Request durations: 1 ms to 10 s (token checks of a cold mirror can take seconds). */
const DURATION_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** A fresh registry with every instrument (tests create many apps: nothing is global). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: "coord_http_requests_total", help: "HTTP requests answered, by method, route and status.", labelNames: ["method", "route", "status"], registers }),
    duration: new Histogram({
      name: "coord_http_request_duration_seconds",
      help: "HTTP request duration in seconds, by method and route.",
      labelNames: ["method", "route"],
      buckets: DURATION_BUCKETS_S,
      registers,
    }),
    claims: new Counter({ name: "coord_claims_total", help: "POST /claim outcomes: granted, conflict, stale.", labelNames: ["outcome"], registers }),
    git_host_requests: new Counter({ name: "coord_git_host_requests_total", help: "HTTP requests to git hosts (api: GitHub REST/GraphQL, git: smart HTTP).", labelNames: ["kind"], registers }),
    event_streams: new Gauge({ name: "coord_event_streams_open", help: "GET /events streams open now.", registers }),
    job_runs: new Counter({ name: "coord_job_runs_total", help: "Scheduled job runs started, by job.", labelNames: ["job"], registers }),
    job_failures: new Counter({ name: "coord_job_failures_total", help: "Scheduled job runs that failed, by job.", labelNames: ["job"], registers }),
    notification_deliveries: new Counter({ name: "coord_notification_deliveries_total", help: "Notification deliveries, by outcome (delivered, failed).", labelNames: ["outcome"], registers }),
    rate_limited: new Counter({ name: "coord_rate_limited_total", help: "Requests answered 429 rate_limited, by bucket (session, ip, git_host).", labelNames: ["bucket"], registers }),
  };
}
