// Tests of src/cli/board.ts: renderBoard against the checked-in tests/fixtures/board.md, the empty and no-messages boards, ordering, escaping, ages and --now.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type BoardState, orderSessions, parseNow, prFor, renderBoard } from "../../src/cli/board.ts";
import { ago } from "../../src/cli/viewer.ts";
import { CoordError } from "../../src/core/errors.ts";
import { FIXED_NOW, FIXED_STATE } from "../fixtures/board-state.ts";

const EMPTY: BoardState = { repo: "acme/empty", head_sha: null, messages_of: "human", claims: { active: [], recently_completed: [] }, sessions: [], messages: [] };

describe("renderBoard", () => {
  test("the fixed state renders exactly as tests/fixtures/board.md", () => {
    expect(renderBoard(FIXED_STATE, FIXED_NOW)).toBe(readFileSync(join(import.meta.dir, "..", "fixtures", "board.md"), "utf8"));
  });

  test("a spawned session's worktree path follows its branch in the sessions table", () => {
    const state = { ...FIXED_STATE, sessions: FIXED_STATE.sessions.map((s) => (s.session === "aaaaaaaa" ? { ...s, worktree: "/srv/widgets-worktrees/task-a" } : s)) };
    expect(renderBoard(state, FIXED_NOW)).toContain("| `aaaaaaaa` | working | claude/a (worktree `/srv/widgets-worktrees/task-a`) | task-a | 80% |");
  });

  test("it is pure: the same state and time give the same text, and the state is not reordered", () => {
    const before = JSON.stringify(FIXED_STATE);
    expect(renderBoard(FIXED_STATE, FIXED_NOW)).toBe(renderBoard(structuredClone(FIXED_STATE), FIXED_NOW));
    expect(JSON.stringify(FIXED_STATE)).toBe(before);
  });

  test("an empty repository read with the admin token says so in every section", () => {
    expect(renderBoard(EMPTY, FIXED_NOW)).toBe(
      [
        "# Status board: acme/empty",
        "",
        "Generated at 2026-01-05T20:00:00Z with the admin token.",
        "",
        "**0 sessions** (0 stuck, 0 stale) · **0 active claims** · **0 completed** in the last 24 hours",
        "",
        "## Needs attention",
        "",
        "Nothing: no session is stuck, waiting for a plan or PR review, or silent.",
        "",
        "## Sessions",
        "",
        "_None in the last 24 hours._",
        "",
        "## Active claims",
        "",
        "_None._",
        "",
        "## Recently completed",
        "",
        "_None in the last 24 hours._",
        "",
        "## Recent messages",
        "",
        "_None._",
        "",
      ].join("\n"),
    );
  });

  test("the human's view lists the last 10 messages of the repo, oldest first", () => {
    const messages = Array.from({ length: 12 }, (_, i) => ({
      id: i + 1,
      from: "aaaaaaaa",
      to: "broadcast",
      subject: `s${i + 1}`,
      body: "b",
      sent_at: "2026-01-05T19:00:00Z",
      read: false,
    }));
    const text = renderBoard({ ...EMPTY, messages }, FIXED_NOW);
    const items = text.split("\n").filter((l) => l.startsWith("- **#"));
    expect(items.length).toBe(10);
    expect(items[0]).toBe("- **#3** `aaaaaaaa` → everyone, 2026-01-05T19:00:00Z (1h ago): **s3**. b");
    expect(items[9]).toBe("- **#12** `aaaaaaaa` → everyone, 2026-01-05T19:00:00Z (1h ago): **s12**. b");
  });

  test("without a session id or the admin token the messages section says why it is empty", () => {
    expect(renderBoard({ ...EMPTY, head_sha: "f".repeat(40), messages_of: null }, FIXED_NOW)).toEndWith(
      "## Messages\n\n_Not shown: reading messages needs a session id or the admin token._\n",
    );
    expect(renderBoard({ ...EMPTY, head_sha: "f".repeat(40), messages_of: null }, FIXED_NOW)).toContain("Generated at 2026-01-05T20:00:00Z from main at `ffffffffffff`.");
  });

  test("table cells escape pipes and line breaks; a stuck reason with a quote stays a valid shell command", () => {
    const s = FIXED_STATE.sessions.find((x) => x.session === "bbbbbbbb")!;
    const state: BoardState = {
      ...EMPTY,
      sessions: [{ ...s, note: "a|b\nc", stuck: { reason: "can't push", context: null, options: [] } }],
    };
    const text = renderBoard(state, FIXED_NOW);
    expect(text).toContain("| `bbbbbbbb` | **stuck** | claude/b | task-b | 45% | 2026-01-05T19:48:00Z (12m ago) | a\\|b c |");
    expect(text).toContain("- **Answer:** `claude-coord send --to-session bbbbbbbb --subject 'Re: can'\\''t push' --body '<your decision>'`");
  });
});

test("sessions are ordered stuck first, then live before stale, then the latest heartbeat first", () => {
  expect(orderSessions(FIXED_STATE.sessions).map((s) => s.session)).toEqual(["bbbbbbbb", "eeeeeeee", "aaaaaaaa", "cccccccc", "dddddddd"]);
});

test("a completion's PR is the same session's pr_url for that task or branch, else none", () => {
  expect(prFor({ session: "cccccccc", task_id: "task-c", branch: "claude/c" }, FIXED_STATE.sessions)).toBe("https://github.com/acme/widgets/pull/42");
  expect(prFor({ session: "cccccccc", task_id: "other", branch: "claude/other" }, FIXED_STATE.sessions)).toBeNull();
  expect(prFor({ session: "aaaaaaaa", task_id: "task-a", branch: "claude/a" }, FIXED_STATE.sessions)).toBeNull();
});

test("ages: seconds, minutes, hours with minutes, days with hours; the future is just now", () => {
  const rows: [number, string][] = [
    [-5_000, "just now"],
    [0, "just now"],
    [59_000, "59s ago"],
    [60_000, "1m ago"],
    [3_599_000, "59m ago"],
    [3_600_000, "1h ago"],
    [7_500_000, "2h 5m ago"],
    [86_400_000, "1d ago"],
    [90_000_000, "1d 1h ago"],
  ];
  for (const [d, text] of rows) expect([d, ago(FIXED_NOW - d, FIXED_NOW)]).toEqual([d, text]);
});

test("--now takes an RFC 3339 time and refuses anything else with a usage error naming the flag", () => {
  expect(parseNow("2026-01-05T20:00:00Z")).toBe(FIXED_NOW);
  expect(parseNow("2026-01-05T21:00:00+01:00")).toBe(FIXED_NOW);
  for (const bad of ["yesterday", "2026-01-05", "1767643200000"]) {
    let err: unknown;
    try {
      parseNow(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CoordError);
    expect([(err as CoordError).code, (err as CoordError).message]).toEqual(["usage_error", `--now must be an RFC 3339 time such as 2026-01-05T20:00:00Z, got '${bad}'.`]);
  }
});

describe("reservations on the board", () => {
  test("a Reservations table lists each live reservation with holder, kind, expiry and reason; none, no section", () => {
    const reservations = [
      { id: 3, session: "aaaaaaaa", path: "src/ui/**", exclusive: true, reason: "frontend", keep: false, created_at: "2026-01-05T19:00:00Z", expires_at: "2026-01-05T23:00:00Z" },
      { id: 4, session: "bbbbbbbb", path: "docs/*.md", exclusive: false, reason: null, keep: true, created_at: "2026-01-05T19:00:00Z", expires_at: "2026-01-05T21:00:00Z" },
    ];
    const text = renderBoard({ ...EMPTY, reservations }, FIXED_NOW);
    expect(text).toContain(
      [
        "## Reservations",
        "",
        "| Path | Session | Kind | Until | Reason |",
        "|---|---|---|---|---|",
        "| `src/ui/**` | `aaaaaaaa` | exclusive | 2026-01-05T23:00:00Z | frontend |",
        "| `docs/*.md` | `bbbbbbbb` | shared | 2026-01-05T21:00:00Z | — |",
      ].join("\n"),
    );
    expect(renderBoard({ ...EMPTY, reservations: [] }, FIXED_NOW)).not.toContain("## Reservations");
  });
});
