// Reservation patterns (SPEC §11): their grammar, normalisation, matching, and the exact check whether two patterns overlap.
import { CoordError } from "./errors.ts";

/*
 * Grammar of a reservation pattern (a gitignore-like glob, anchored at the repo root):
 *
 *   pattern  = segment *( "/" segment ) [ "/" ]
 *   segment  = "**"                 any number (zero or more) of whole path segments
 *            | 1*token
 *   token    = "*"                  any run of characters within one segment (also empty, also dotfiles)
 *            | "?"                  exactly one character other than "/"
 *            | "[" ["!" | "^"] items "]"   one character in (or, negated, not in) the items;
 *                                   items are characters and ranges "a-z"; a "]" first is literal
 *            | "\" char             that character literally (write "\[" for a literal "[")
 *            | char                 any other character literally
 *
 * A pattern covers every path it matches AND everything below such a path: reserving `src/ui` or
 * `src/ui/` reserves the directory's contents, as in gitignore, so `src/ui` ≡ `src/ui/**`.
 *
 * Normalisation: a leading "./", "." segments and repeated or trailing "/" are dropped.
 * Rejected (CoordError invalid_request naming the pattern and the fix): an empty pattern, an
 * absolute one ("/…", "C:…"), a ".." segment, "**" inside a segment (`a**`), an unclosed or empty
 * class, a trailing "\", braces "{…}" (not supported: list each path), control characters,
 * more than 1024 characters.
 *
 * Two patterns overlap when some path is covered by both. `patternsOverlap` decides this exactly
 * for the grammar above (a product construction over segments, then over characters within a
 * segment), so it never misses an overlap; it is conservative only in that a pattern also covers
 * the contents of what it matches.
 */

/** One character test within a segment. */
type CharToken =
  | { kind: "char"; c: string }
  | { kind: "any" } // "?"
  | { kind: "class"; negated: boolean; ranges: Array<[number, number]> }
  | { kind: "star" }; // "*"

/** One path segment of a parsed pattern. */
type Segment = { kind: "globstar" } | { kind: "segment"; tokens: CharToken[] };

/** A parsed, normalised reservation pattern. `text` is the normalised form stored and shown. */
export interface Pattern {
  readonly text: string;
  readonly segments: readonly Segment[];
}

/** Longest pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function invalid(text: string, problem: string): CoordError {
  return new CoordError("invalid_request", `Invalid reservation path ${JSON.stringify(text)} (field 'paths'): ${problem}.`, { field: "paths" });
}

/**
 * Parses and normalises a reservation pattern (grammar above).
 * @throws CoordError `invalid_request` (details.field = "paths") naming the pattern and the problem.
 */
export function parsePattern(text: string): Pattern {
  if (text.length > MAX_PATTERN_LENGTH) throw invalid(text.slice(0, 40) + "…", `longer than ${MAX_PATTERN_LENGTH} characters`);
  if (CONTROL.test(text)) throw invalid(text, "control or bidirectional characters are not allowed");
  if (text.startsWith("/") || /^[A-Za-z]:/.test(text)) throw invalid(text, "use a path relative to the repo root (src/ui/**), not an absolute one");
  const raw = text.split("/").filter((s) => s !== "" && s !== ".");
  if (raw.length === 0) throw invalid(text, "empty pattern: name a file, a directory or a glob such as src/ui/**");
  const segments: Segment[] = [];
  for (const s of raw) {
    if (s === "..") throw invalid(text, "'..' is not allowed: patterns stay inside the repo");
    if (s === "**") {
      if (segments.at(-1)?.kind !== "globstar") segments.push({ kind: "globstar" });
      continue;
    }
    segments.push({ kind: "segment", tokens: parseSegment(text, s) });
  }
  return { text: normalisedText(raw), segments };
}

function normalisedText(raw: string[]): string {
  const out: string[] = [];
  for (const s of raw) if (!(s === "**" && out.at(-1) === "**")) out.push(s);
  return out.join("/");
}

function parseSegment(text: string, s: string): CharToken[] {
  const tokens: CharToken[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "*") {
      if (s[i + 1] === "*") throw invalid(text, "'**' must be a whole path segment (a/**/b), not part of one");
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
      i++;
    } else if (c === "?") {
      tokens.push({ kind: "any" });
      i++;
    } else if (c === "\\") {
      if (i + 1 >= s.length) throw invalid(text, "a trailing '\\' escapes nothing");
      tokens.push({ kind: "char", c: s[i + 1]! });
      i += 2;
    } else if (c === "[") {
      const [token, next] = parseClass(text, s, i);
      tokens.push(token);
      i = next;
    } else if (c === "{" || c === "}") {
      throw invalid(text, "braces are not supported: list each path separately (or escape a literal one as \\{)");
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      tokens.push({ kind: "char", c: ch });
      i += ch.length;
    }
  }
  return tokens;
}

function parseClass(text: string, s: string, start: number): [CharToken, number] {
  let i = start + 1;
  let negated = false;
  if (s[i] === "!" || s[i] === "^") {
    negated = true;
    i++;
  }
  const ranges: Array<[number, number]> = [];
  let first = true;
  while (i < s.length && (s[i] !== "]" || first)) {
    first = false;
    let lo: number;
    if (s[i] === "\\") {
      if (i + 1 >= s.length) break;
      i++;
    }
    lo = s.codePointAt(i)!;
    i += String.fromCodePoint(lo).length;
    let hi = lo;
    if (s[i] === "-" && i + 1 < s.length && s[i + 1] !== "]") {
      i++;
      if (s[i] === "\\" && i + 1 < s.length) i++;
      hi = s.codePointAt(i)!;
      i += String.fromCodePoint(hi).length;
      if (hi < lo) throw invalid(text, `the range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)} in a [class] is reversed`);
    }
    ranges.push([lo, hi]);
  }
  if (i >= s.length) throw invalid(text, "unclosed '[': close the class with ']' or escape a literal one as \\[");
  if (ranges.length === 0) throw invalid(text, "empty character class '[]'");
  return [{ kind: "class", negated, ranges }, i + 1];
}

/**
 * The pattern that covers exactly the literal path `path` (and what lies below it): every
 * glob character is taken literally, so `src/app/[id]/page.tsx` names that one file.
 * @throws CoordError `invalid_request` for an empty, absolute or `..` path, or control characters.
 */
export function literalPattern(path: string): Pattern {
  return parsePattern(escapeGlob(path));
}

/**
 * The key under which two normalised patterns cover the same paths: a trailing `/**` dropped,
 * since a pattern covers what lies below its matches (`src/ui/**` ≡ `src/ui` ≡ `src/ui/`).
 */
export function coverageKey(normalised: string): string {
  return normalised.endsWith("/**") ? normalised.slice(0, -3) : normalised;
}

/** `path` with every glob character (`* ? [ ] { } \`) escaped, so as a pattern it names just that path. */
export function escapeGlob(path: string): string {
  return path.replace(/[*?[\]{}\\]/g, (c) => "\\" + c);
}

/** True when `path` (a repo-relative file path, taken literally) is covered by `pattern`. */
export function patternCovers(pattern: Pattern, path: string): boolean {
  return sequencesOverlap(withTail(pattern), literalPattern(path).segments);
}

/**
 * True when some file path is covered by both patterns (each also covering what lies below the
 * paths it matches). Exact for the grammar above; never misses an overlap. Pure, no clock.
 * Cost: O(|a|·|b|) segment pairs, each O(|sa|·|sb|) characters, memoised.
 */
export function patternsOverlap(a: Pattern, b: Pattern): boolean {
  return sequencesOverlap(withTail(a), withTail(b));
}

function sequencesOverlap(as: readonly Segment[], bs: readonly Segment[]): boolean {
  return sequencesMeet(as, bs, (s) => s.kind === "globstar", (x, y) => x.kind === "segment" && y.kind === "segment" && segmentsOverlap(x.tokens, y.tokens));
}

/**
 * True when two token sequences can spell one common string: a star token spells any run of items
 * (also none), any other two must `meet` on one item. A product construction, memoised: O(|a|·|b|)
 * calls of `meet`. Used twice: segments of a path (star: `**`), characters of a segment (star: `*`).
 */
function sequencesMeet<T>(a: readonly T[], b: readonly T[], isStar: (t: T) => boolean, meet: (x: T, y: T) => boolean): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    const x = a[i];
    const y = b[j];
    if (x === undefined && y === undefined) r = true;
    else if (x !== undefined && isStar(x)) r = go(i + 1, j) || (y !== undefined && go(i, j + 1));
    else if (y !== undefined && isStar(y)) r = go(i, j + 1) || (x !== undefined && go(i + 1, j));
    else if (x === undefined || y === undefined) r = false;
    else r = meet(x, y) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/** A pattern covers what lies below its matches: append "**" unless it already ends so. */
function withTail(p: Pattern): readonly Segment[] {
  if (p.segments.at(-1)?.kind === "globstar") return p.segments;
  return [...p.segments, { kind: "globstar" }];
}

/**
 * True when some non-empty segment (no "/") matches both token lists. A segment is never empty, but
 * two lists sharing only "" are both stars-only and so share every one-character segment too.
 */
function segmentsOverlap(a: CharToken[], b: CharToken[]): boolean {
  return sequencesMeet(a, b, (t) => t.kind === "star", (x, y) => charsOverlap(x as Single, y as Single));
}

type Single = Exclude<CharToken, { kind: "star" }>;

/** True when some character other than "/" satisfies both single-character tokens. */
function charsOverlap(x: Single, y: Single): boolean {
  const sx = toSet(x);
  const sy = toSet(y);
  if (sx.negated && sy.negated) return true; // two co-finite sets of the whole code space always meet
  if (sx.negated) return !covered(sy.ranges, sx.ranges);
  if (sy.negated) return !covered(sx.ranges, sy.ranges);
  return sx.ranges.some(([a, b]) => sy.ranges.some(([c, d]) => a <= d && c <= b));
}

const SLASH = "/".codePointAt(0)!;

/** Every single-character token as a set of code points: ranges, or their complement. "/" is in no segment. */
function toSet(t: Single): { negated: boolean; ranges: Array<[number, number]> } {
  if (t.kind === "any") return { negated: true, ranges: [[SLASH, SLASH]] };
  if (t.kind === "char") return { negated: false, ranges: [[t.c.codePointAt(0)!, t.c.codePointAt(0)!]] };
  return t.negated ? { negated: true, ranges: [...t.ranges, [SLASH, SLASH]] } : { negated: false, ranges: t.ranges.flatMap((r) => minusSlash(r)) };
}

function minusSlash([lo, hi]: [number, number]): Array<[number, number]> {
  if (SLASH < lo || SLASH > hi) return [[lo, hi]];
  const out: Array<[number, number]> = [];
  if (lo < SLASH) out.push([lo, SLASH - 1]);
  if (SLASH < hi) out.push([SLASH + 1, hi]);
  return out;
}

/** True when every code point of `inner` lies in the union of `outer`. */
function covered(inner: Array<[number, number]>, outer: Array<[number, number]>): boolean {
  const merged = [...outer].sort((p, q) => p[0] - q[0]);
  return inner.every(([lo, hi]) => {
    let next = lo;
    for (const [a, b] of merged) {
      if (a > next) break;
      if (b >= next) next = b + 1;
      if (next > hi) return true;
    }
    return next > hi;
  });
}
