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
 * `max_keys` buckets are kept: beyond that the least recently used one is dropped (it would start
 * full again, which only ever lets a request through).
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
    const b = this.buckets.get(key);
    const tokens = b === undefined ? this.rate.burst : Math.min(this.rate.burst, b.tokens + ((now_ms - b.at_ms) / 1000) * this.rate.per_second);
    if (b !== undefined) this.buckets.delete(key);
    else if (this.buckets.size >= this.max_keys) this.buckets.delete(this.buckets.keys().next().value as string);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at_ms: now_ms });
      return 0;
    }
    this.buckets.set(key, { tokens, at_ms: now_ms });
    return Math.max(1, Math.ceil((1 - tokens) / this.rate.per_second));
  }

  /** How many keys have a bucket now. */
  get size(): number {
    return this.buckets.size;
  }
}
