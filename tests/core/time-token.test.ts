// Tests of src/core/time.ts and src/core/token.ts: durations, timestamps and the token formula.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { parseDurationMs, toRfc3339 } from "../../src/core/time.ts";
import { computeToken, TOKEN_PATTERN } from "../../src/core/token.ts";

describe("parseDurationMs", () => {
  const rows: [string, number | undefined][] = [
    ["10d", 864_000_000],
    ["24h", 86_400_000],
    ["90m", 5_400_000],
    ["10s", 10_000],
    ["500ms", 500],
    ["1h30m", 5_400_000],
    ["2.5s", 2500],
    ["30", 30_000],
    ["", undefined],
    ["10 days", undefined],
    ["h", undefined],
    ["-5s", undefined],
    ["5x", undefined],
  ];
  for (const [text, ms] of rows) test(`'${text}' is ${ms}`, () => expect(parseDurationMs(text)).toBe(ms));
});

test("toRfc3339 prints UTC with second precision", () => {
  expect(toRfc3339(Date.parse("2026-01-05T20:00:00.789Z"))).toBe("2026-01-05T20:00:00Z");
});

describe("computeToken", () => {
  const head = "a".repeat(40);
  test("with no plan files it is sha256 of the head sha", () => {
    const expected = `sha256:${createHash("sha256").update(head).digest("hex")}`;
    expect(computeToken({ head_sha: head, plan_files: [] })).toBe(expected);
  });
  test("plan file shas are concatenated in byte order of their paths, whatever the input order", () => {
    const files = [
      { path: "context/b.json", sha: "2".repeat(40) },
      { path: "context/B.json", sha: "1".repeat(40) },
      { path: "context/a.json", sha: "3".repeat(40) },
    ];
    const expected = `sha256:${createHash("sha256").update(head + "1".repeat(40) + "3".repeat(40) + "2".repeat(40)).digest("hex")}`;
    expect(computeToken({ head_sha: head, plan_files: files })).toBe(expected);
    expect(computeToken({ head_sha: head, plan_files: [...files].reverse() })).toBe(expected);
    expect(expected).toMatch(TOKEN_PATTERN);
  });
});
