// Token buckets keyed by a string (per session, per client IP, per repo), with a bounded number of keys and the clock passed in.

/** One bucket's shape: it holds at most `burst` tokens and gains `per_second` tokens each second. */
export interface BucketRate {
  per_second: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at_ms: number;
}

/**
 * Token buckets by key (Wikipedia, "Token bucket"; a full bucket allows a burst of `burst`
 * requests, then `per_second` on average). A key seen for the first time starts full. At most
 * `max_keys` buckets are kept: a new key beyond that drops the oldest one (it would start full
 * again, which only ever lets a request through). A take updates its bucket in place, with no
 * allocation (a few hundred ns; `scripts/bench.ts` measures it).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly rate: BucketRate,
    private readonly max_keys = 100_000,
  ) {}

  /**
   * Takes one token from `key`'s bucket at `now_ms` (epoch milliseconds). Returns 0 when it was
   * granted, else the whole seconds (at least 1) until a token is there.
   */
  take(key: string, now_ms: number): number {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.max_keys) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: this.rate.burst, at_ms: now_ms };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.rate.burst, b.tokens + (Math.max(0, now_ms - b.at_ms) / 1000) * this.rate.per_second);
      b.at_ms = now_ms;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate.per_second));
  }

  /** How many keys have a bucket now. */
  get size(): number {
    return this.buckets.size;
  }
}
