// Token buckets: a full start, refill by elapsed time, the wait in whole seconds, independent keys, a bounded number of keys.
import { expect, test } from "bun:test";
import { TokenBuckets } from "../../src/server/token-bucket.ts";

test("a new key allows a burst, then answers the seconds until the next token", () => {
  const b = new TokenBuckets({ per_second: 2, burst: 3 });
  expect([b.take("k", 0), b.take("k", 0), b.take("k", 0)]).toEqual([0, 0, 0]);
  expect(b.take("k", 0)).toBe(1);
  expect(b.take("k", 499)).toBe(1);
  expect(b.take("k", 500)).toBe(0);
  expect(b.take("k", 500)).toBe(1);
});

test.each([
  [0.1, 10],
  [0.25, 4],
  [1, 1],
  [50, 1],
])("at %p tokens per second an empty bucket says retry after %p s", (per_second, wait) => {
  const b = new TokenBuckets({ per_second, burst: 1 });
  expect(b.take("k", 1000)).toBe(0);
  expect(b.take("k", 1000)).toBe(wait);
});

test("refill stops at the burst; keys do not share tokens", () => {
  const b = new TokenBuckets({ per_second: 1, burst: 2 });
  b.take("a", 0);
  b.take("a", 0);
  expect(b.take("b", 0)).toBe(0);
  // An hour later "a" holds two tokens, not 3600.
  expect([b.take("a", 3_600_000), b.take("a", 3_600_000), b.take("a", 3_600_000)]).toEqual([0, 0, 1]);
});

test("beyond max_keys the oldest key is dropped (it starts full again)", () => {
  const b = new TokenBuckets({ per_second: 0.001, burst: 1 }, 2);
  b.take("a", 0);
  b.take("b", 0);
  b.take("c", 0);
  expect(b.size).toBe(2);
  expect(b.take("b", 0)).toBeGreaterThan(0);
  expect(b.take("c", 0)).toBeGreaterThan(0);
  expect(b.take("a", 0)).toBe(0);
});

test("a clock that steps back never adds tokens", () => {
  const b = new TokenBuckets({ per_second: 1, burst: 1 });
  expect(b.take("k", 10_000)).toBe(0);
  expect(b.take("k", 0)).toBe(1);
});
