// Rate limits (SPEC §15): token buckets per client IP, per (repo, session), and per repo on requests that would make the service call its git host.
import { Elysia } from "elysia";
import { CoordError } from "../core/errors.ts";
import type { WhitelistedRepo } from "../sources/source.ts";
import { clientIp, TrustedProxies } from "./client-ip.ts";
import { errorResponse } from "./http-errors.ts";
import type { Metrics } from "./metrics.ts";
import { type BucketRate, TokenBuckets } from "./token-bucket.ts";

/** `[server]` rate limit settings, rates in requests per second. */
export interface RateLimitConfig {
  /** `rate_limit = false` turns every bucket off. */
  enabled: boolean;
  /** Per (repo, session id): tight, one agent's own pace. */
  session: BucketRate;
  /** Per client IP: generous, since many sessions share one address behind a company NAT. */
  ip: BucketRate;
  /** Per repo, only requests presenting a commit the service's copy lacks (each would look main up on the git host). */
  git_host: BucketRate;
  /** Proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges). */
  trusted_proxies: string[];
}

/**
 * The defaults: an agent runs a handful of requests per command (a burst of 100, then 20/s); 100
 * such agents behind one address fit the per-IP bucket (20 000, then 2000/s); a git-host lookup per
 * unknown commit at most 1/s per repo after a burst of 10 (GitHub's REST quota is 5000/h per token).
 */
export const RATE_LIMIT_DEFAULTS: RateLimitConfig = {
  enabled: true,
  session: { per_second: 20, burst: 100 },
  ip: { per_second: 2000, burst: 20_000 },
  git_host: { per_second: 1, burst: 10 },
  trusted_proxies: [],
};

/** Which bucket answered 429. */
export type LimitedBucket = "ip" | "session" | "git_host";

/** The buckets of one app and what they answer. */
export class RateLimiter {
  readonly ip: TokenBuckets;
  readonly session: TokenBuckets;
  readonly git_host: TokenBuckets;
  readonly trusted: TrustedProxies;

  /** Throws an Error for a trusted proxy entry that is no IP address or CIDR range (config.ts checks them first). */
  constructor(
    readonly config: RateLimitConfig,
    private readonly now: () => number,
    private readonly metrics: Metrics | undefined,
  ) {
    this.ip = new TokenBuckets(config.ip);
    this.session = new TokenBuckets(config.session);
    this.git_host = new TokenBuckets(config.git_host);
    this.trusted = new TrustedProxies(config.trusted_proxies);
  }

  /** Takes a token of `bucket` for `key`; returns the CoordError `rate_limited` (details: retry_after_s, bucket) to answer, or undefined. */
  check(bucket: LimitedBucket, key: string): CoordError | undefined {
    const wait_s = this[bucket].take(key, this.now());
    if (wait_s === 0) return undefined;
    this.metrics?.rate_limited.inc({ bucket });
    const what = bucket === "ip" ? "this address" : bucket === "session" ? "this session" : "requests that make the service look the repository up on its git host";
    return new CoordError("rate_limited", `Too many requests from ${what}; retry after ${wait_s} s.`, { retry_after_s: wait_s, bucket });
  }
}

/**
 * An Elysia plugin: the per-IP bucket on every request that came over a socket (before routing),
 * and the per-(repo, session) bucket on every request naming a session (the body's `session_id`
 * or the `X-Session-Id` header) and a repo (body or query), after the request's shape is checked and
 * before its route runs. Either answers 429 `rate_limited` with `Retry-After`.
 */
export function rateLimitRoutes(limiter: RateLimiter) {
  return new Elysia({ name: "rate-limit" })
    .onRequest(({ request, server }) => {
      const peer = server?.requestIP(request)?.address;
      if (peer === undefined) return;
      const limited = limiter.check("ip", clientIp(peer, request.headers.get("x-forwarded-for"), limiter.trusted));
      if (limited) return errorResponse(limited);
    })
    .onBeforeHandle({ as: "global" }, ({ body, query, request }) => {
      const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
      const session = typeof b.session_id === "string" ? b.session_id : request.headers.get("x-session-id");
      const repo = typeof b.repo === "string" ? b.repo : (query as Record<string, unknown> | undefined)?.repo;
      if (typeof session !== "string" || typeof repo !== "string") return;
      const limited = limiter.check("session", `${repo.toLowerCase()}\n${session}`);
      if (limited) return errorResponse(limited);
    });
}

/**
 * The whitelist with each reader gated: a token check presenting a commit the source lacks (which
 * would look main up on the git host, SPEC §2) first takes a token of that repo's git-host bucket,
 * and throws CoordError `rate_limited` when there is none — before any git-host call. Sources that
 * never call a host (local paths) are not gated.
 */
export function gateRepos(repos: ReadonlyMap<string, WhitelistedRepo>, limiter: RateLimiter): ReadonlyMap<string, WhitelistedRepo> {
  const out = new Map<string, WhitelistedRepo>();
  for (const [k, e] of repos) {
    const reader = e.reader;
    if (reader.lacksCommit === undefined) {
      out.set(k, e);
      continue;
    }
    out.set(k, {
      ...e,
      reader: {
        lacksCommit: (c) => reader.lacksCommit!(c),
        current: async (presented_commit) => {
          if (reader.lacksCommit!(presented_commit)) {
            const limited = limiter.check("git_host", k);
            if (limited) throw limited;
          }
          return reader.current(presented_commit);
        },
        listBranches: () => reader.listBranches(),
        ...(reader.refreshNow ? { refreshNow: () => reader.refreshNow!() } : {}),
      },
    });
  }
  return out;
}
