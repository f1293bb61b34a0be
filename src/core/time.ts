// Time values of the domain: an injected clock, RFC 3339 formatting and duration parsing.

/** A clock returning milliseconds since the Unix epoch. Core never reads the real clock itself. */
export type Clock = () => number;

/** The real clock (`Date.now`), for wiring in `serve` and the CLI; tests pass their own. */
export const systemClock: Clock = () => Date.now();

/**
 * Formats epoch milliseconds as an RFC 3339 UTC timestamp with second precision,
 * as the API uses (`2026-01-05T20:00:00Z`, SPEC §3).
 */
export function toRfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses a duration such as `10d`, `24h`, `90m`, `10s`, `500ms` or `1h30m` into milliseconds.
 * A bare number is taken as seconds. Returns `undefined` when the text is not a duration
 * (the caller names the key and what was expected).
 */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * UNIT_MS[m[2] as string]!;
    matched += m[0].length;
  }
  if (matched === 0 || matched !== t.length) return undefined;
  return total;
}
