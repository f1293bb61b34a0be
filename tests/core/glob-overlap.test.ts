// Table tests of the reservation pattern grammar and the overlap check, against Bun.Glob as an independent oracle.
import { describe, expect, test } from "bun:test";
import { coverageKey, literalPattern, parsePattern, patternCovers, patternsOverlap } from "../../src/core/glob-overlap.ts";
import { CoordError } from "../../src/core/errors.ts";

const PATTERNS = [
  "src/*.ts",
  "src/foo.*",
  "**/*.md",
  "docs/a.md",
  "docs/b.md",
  "docs/*.md",
  "*.md",
  "?.md",
  "src/**",
  "src",
  "src/ui/**",
  "src/api/**",
  "src/ui/button.tsx",
  "src/api/x.ts",
  "src/*/*.ts",
  "src/\\[id\\].ts",
  "a/**/b",
  "a/b",
  "a/c",
  "a/b/c",
  "a/*/b",
  "a/?",
  "a/[bc]",
  "a/[!bc]",
  "a/[a-c]x",
  "a/b/**/c.ts",
  "[!a]*/b",
  "**/b",
  "x/**/y/**",
  "**",
];

/** Sample strings for one segment of a pattern: wildcards instantiated a few ways. */
function segmentSamples(segment: string): string[] {
  let outs = [""];
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    let options: string[];
    if (c === "*") options = ["", "foo", "ts", "b"];
    else if (c === "?") options = ["a", "b"];
    else if (c === "\\") options = [segment[++i]!];
    else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      const body = segment.slice(i + 1, end);
      options = body.startsWith("!") ? ["z", "a"] : [body[0]!, body.at(-1)!];
      i = end;
    } else options = [c];
    outs = outs.flatMap((o) => options.map((x) => o + x)).slice(0, 8);
  }
  return outs.filter((s) => s !== "");
}

const VOCAB = [...new Set(["a", "b", "z", "foo.ts", ...PATTERNS.flatMap((p) => p.split("/").filter((s) => s !== "**").flatMap(segmentSamples))])];

function* paths(depth: number, prefix: string[] = []): Generator<string> {
  for (const seg of VOCAB) {
    const p = [...prefix, seg];
    yield p.join("/");
    if (depth > 1) yield* paths(depth - 1, p);
  }
}

const ALL_PATHS = [...paths(3)];
const INDEX = new Map(ALL_PATHS.map((p, i) => [p, i]));
const GLOBS = PATTERNS.map((p) => new Bun.Glob(p));
/** MATCHES[k][p]: pattern k matches path p; AS_DIR[k][p]: it matches "p/" (a trailing `**` matching nothing). */
const MATCHES = GLOBS.map((g) => ALL_PATHS.map((path) => g.match(path)));
const AS_DIR = GLOBS.map((g) => ALL_PATHS.map((path) => g.match(path + "/")));
/** ANCESTORS[p]: the indexes of p and of its ancestor directories (all of them are generated paths too). */
const ANCESTORS = ALL_PATHS.map((path) => {
  const parts = path.split("/");
  return parts.map((_, n) => INDEX.get(parts.slice(0, n + 1).join("/"))!);
});

/** The oracle's reading of "covers": the glob matches the path or one of its ancestor directories (as "dir" or "dir/"). */
function oracleCovers(k: number, p: number): boolean {
  return ANCESTORS[p]!.some((q) => MATCHES[k]![q]! || AS_DIR[k]![q]!);
}

/** Concrete paths a pattern matches: wildcards instantiated by segmentSamples, `**` as zero, one or two segments. */
function instances(pattern: string): string[] {
  let outs = [""];
  for (const seg of pattern.split("/")) {
    const options = seg === "**" ? ["", "b", "b/z"] : segmentSamples(seg);
    outs = outs.flatMap((o) => options.map((x) => (o === "" ? x : x === "" ? o : `${o}/${x}`))).slice(0, 24);
  }
  return outs.filter((s) => s !== "");
}

/** Deeper candidates than ALL_PATHS holds for a pair: each one's instances, and one's below the other's. */
function deepCandidates(a: string, b: string): string[] {
  const ia = instances(a);
  const ib = instances(b);
  return [...ia, ...ib, ...ia.flatMap((x) => ib.flatMap((y) => [`${x}/${y}`, `${y}/${x}`]))];
}

function coversPath(glob: InstanceType<typeof Bun.Glob>, path: string): boolean {
  const parts = path.split("/");
  for (let n = 1; n <= parts.length; n++) {
    const q = parts.slice(0, n).join("/");
    if (glob.match(q) || glob.match(q + "/")) return true;
  }
  return false;
}

function witness(i: number, j: number, covers: (k: number, p: number) => boolean): string | undefined {
  for (let p = 0; p < ALL_PATHS.length; p++) if (covers(i, p) && covers(j, p)) return ALL_PATHS[p];
  return undefined;
}

describe("patternsOverlap against Bun.Glob on generated paths", () => {
  test(`the vocabulary yields enough paths to be meaningful (${ALL_PATHS.length})`, () => {
    expect(ALL_PATHS.length).toBeGreaterThan(10_000);
  });

  test("whenever some generated path matches both patterns, the check says conflict (never a missed overlap)", () => {
    const missed: string[] = [];
    for (let i = 0; i < PATTERNS.length; i++) {
      for (let j = 0; j < PATTERNS.length; j++) {
        const w = witness(i, j, (k, p) => MATCHES[k]![p]!);
        if (w !== undefined && !patternsOverlap(parsePattern(PATTERNS[i]!), parsePattern(PATTERNS[j]!))) missed.push(`${PATTERNS[i]} × ${PATTERNS[j]} (both match ${w})`);
      }
    }
    expect(missed).toEqual([]);
  }, 60_000);

  test("whenever the check says conflict, some generated path is covered by both (directories cover their contents)", () => {
    const spurious: string[] = [];
    for (let i = 0; i < PATTERNS.length; i++) {
      for (let j = 0; j < PATTERNS.length; j++) {
        if (!patternsOverlap(parsePattern(PATTERNS[i]!), parsePattern(PATTERNS[j]!))) continue;
        if (witness(i, j, oracleCovers) !== undefined) continue;
        if (deepCandidates(PATTERNS[i]!, PATTERNS[j]!).some((path) => coversPath(GLOBS[i]!, path) && coversPath(GLOBS[j]!, path))) continue;
        spurious.push(`${PATTERNS[i]} × ${PATTERNS[j]}`);
      }
    }
    expect(spurious).toEqual([]);
  }, 60_000);

  test("the check is symmetric", () => {
    for (const a of PATTERNS) for (const b of PATTERNS) expect(patternsOverlap(parsePattern(a), parsePattern(b))).toBe(patternsOverlap(parsePattern(b), parsePattern(a)));
  });
});

describe("named pairs", () => {
  const cases: Array<[string, string, boolean]> = [
    ["src/*.ts", "src/foo.*", true], // src/foo.ts: the case a peer's check misses
    ["**/*.md", "docs/a.md", true],
    ["src/**", "src", true],
    ["a/**/b", "a/b", true], // ** matches zero segments
    ["src/ui/**", "src/ui/button.tsx", true],
    ["src/ui", "src/ui/button.tsx", true], // a directory covers its contents
    ["*", "src/ui/button.tsx", true], // `*` matches the directory src
    ["a/[bc]", "a/[!bc]", false],
    ["a/?", "a/bb", false],
    ["docs/a.md", "docs/b.md", false], // literal paths
    ["src/api/x.ts", "src/ui/button.tsx", false],
    ["src/ui/**", "src/api/**", false], // disjoint literal prefixes
    ["src/ui/**", "src/api", false],
    ["src/*.ts", "docs/*.md", false],
    ["src/*.ts", "src/*.md", false],
    ["src/\\[id\\].ts", "src/i.ts", false], // escaped brackets are literal
    ["src/[id].ts", "src/i.ts", true],
  ];
  for (const [a, b, want] of cases) {
    test(`${a} × ${b} ${want ? "conflict" : "do not conflict"}`, () => {
      expect(patternsOverlap(parsePattern(a), parsePattern(b))).toBe(want);
      expect(patternsOverlap(parsePattern(b), parsePattern(a))).toBe(want);
    });
  }

  test("many disjoint literal paths never conflict with each other", () => {
    const lits = ["a.ts", "b.ts", "src/a.ts", "src/b.ts", "src/ui/a.tsx", "docs/x.md", "docs/y.md", "README.md", "package.json"];
    for (const a of lits) for (const b of lits) expect(patternsOverlap(literalPattern(a), literalPattern(b))).toBe(a === b);
  });
});

describe("patternCovers", () => {
  test("a file path is covered by a glob matching it or one of its directories, taken literally", () => {
    expect(patternCovers(parsePattern("src/ui/**"), "src/ui/button.tsx")).toBe(true);
    expect(patternCovers(parsePattern("src/ui"), "src/ui/deep/x.ts")).toBe(true);
    expect(patternCovers(parsePattern("src/ui/**"), "src/api/x.ts")).toBe(false);
    expect(patternCovers(parsePattern("src/*.ts"), "src/a/b.ts")).toBe(false);
    expect(patternCovers(parsePattern("src/[id].ts"), "src/[id].ts")).toBe(false);
    expect(patternCovers(parsePattern("src/\\[id\\].ts"), "src/[id].ts")).toBe(true);
    expect(patternCovers(parsePattern("src/*"), "src")).toBe(false);
  });
});

describe("coverageKey", () => {
  test("patterns covering the same paths share a key: a trailing /** adds nothing", () => {
    expect([coverageKey("src/ui/**"), coverageKey(parsePattern("./src/ui/").text), coverageKey("**"), coverageKey("a/**/b")]).toEqual(["src/ui", "src/ui", "**", "a/**/b"]);
  });
});

describe("parsePattern", () => {
  test("normalises a leading ./, '.' segments, repeated and trailing slashes and repeated **", () => {
    expect(parsePattern("./src//ui/").text).toBe("src/ui");
    expect(parsePattern("a/./**/**/b").text).toBe("a/**/b");
    expect(parsePattern("src/ui/**").text).toBe("src/ui/**");
  });

  const bad: Array<[string, string]> = [
    ["", "empty pattern"],
    ["./", "empty pattern"],
    ["/src/a.ts", "relative to the repo root"],
    ["C:/src", "relative to the repo root"],
    ["src/../x", "'..' is not allowed"],
    ["src/a**", "'**' must be a whole path segment"],
    ["src/[ab", "unclosed '['"],
    ["src/a\\", "trailing '\\'"],
    ["src/{a,b}.ts", "braces are not supported"],
    ["src/a\u0000b", "control or bidirectional"],
    ["src/\u202eb", "control or bidirectional"],
    ["src/[z-a]", "reversed"],
    ["x".repeat(1025), "longer than 1024"],
  ];
  for (const [text, problem] of bad) {
    test(`rejects ${JSON.stringify(text.slice(0, 20))} with invalid_request naming the problem`, () => {
      let error: unknown;
      try {
        parsePattern(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CoordError);
      expect((error as CoordError).code).toBe("invalid_request");
      expect((error as CoordError).message).toContain(problem);
      expect((error as CoordError).details).toEqual({ field: "paths" });
    });
  }
});
