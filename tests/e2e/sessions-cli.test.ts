// The session, message and view commands end to end: the compiled binary as service and clients on a real git origin (heartbeat, stuck, sessions, send, inbox, claim/complete states, watch, board).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoordClient } from "../../src/api/client.ts";
import type { ClientContext } from "../../src/cli/context.ts";
import { unreadSummary } from "../../src/cli/inbox.ts";
import { CLIENT_DEFAULTS } from "../../src/config.ts";
import { findCheckout } from "../../src/git/checkout.ts";
import { binary, runPrinted, cloneSession, makeOrigin, type RunResult, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

const ADMIN = "human-admin-token-0123456789";
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const C = "cccccccc-3333-4333-8333-333333333333";
const T = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let root: string;
let origin: string;
let wa: string;
let wb: string;
const services: ServiceProcess[] = [];

beforeAll(() => {
  root = tempDir("sessions-cli");
  ({ origin } = makeOrigin(root));
  wa = cloneSession(origin, root, "a");
  wb = cloneSession(origin, root, "b");
});
afterAll(async () => {
  for (const s of services) await s.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A service of its own (own database), with the admin token configured. */
async function fresh(name: string): Promise<ServiceProcess> {
  const config = join(root, `${name}.toml`);
  writeFileSync(config, `[server]\nport = 0\ndatabase = "${name}.db"\nadmin_tokens = ["${ADMIN}"]\n[[repos]]\nname = "acme/x"\nsource = "${origin}"\n`);
  const s = await startService(["--config", config]);
  services.push(s);
  return s;
}

/** The environment of a client of `s`: the repo, the URL, and the session id when given. */
const envOf = (s: ServiceProcess, session?: string, extra: Record<string, string> = {}) => ({
  CLAUDE_COORD_REPO: "acme/x",
  CLAUDE_COORD_URL: s.url,
  ...(session ? { CLAUDE_COORD_SESSION_ID: session } : {}),
  ...extra,
});

/**
 * Output with timestamps and small ages replaced, so whole texts can be compared exactly; an age
 * padded to a column (`just now` and `2s ago` differ in width) keeps two spaces before the next cell.
 */
const norm = (text: string) => text.replace(T, "<T>").replace(/\b(just now|\d+s ago)( {2,}(?=\S))?/g, (_m, _age, pad) => (pad ? "<ago>  " : "<ago>"));

const ok = (r: RunResult) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
};

describe("heartbeat and stuck", () => {
  let s: ServiceProcess;
  beforeAll(async () => {
    s = await fresh("heartbeat");
  });

  test("every state is recorded through the CLI, each answer naming the state and the unread count; sessions shows the last one with every field", async () => {
    for (const state of ["registered", "planning", "planning_complete", "working", "paused", "cancelled"]) {
      const r = await runClient(["heartbeat", "--state", state], { cwd: wa, env: envOf(s, A) });
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `Heartbeat recorded: session aaaaaaaa is ${state} on branch claude/a.\n\nNo unread messages.\n`, ""]);
    }
    const working = await runClient(["heartbeat", "--state", "working", "--task", "task-a", "--progress", "40", "--note", "wiring the API"], { cwd: wa, env: envOf(s, A) });
    expect([working.code, working.stdout]).toEqual([0, "Heartbeat recorded: session aaaaaaaa is working on branch claude/a (task task-a, 40%).\nNote: wiring the API\n\nNo unread messages.\n"]);
    const complete = await runClient(["heartbeat", "--state", "complete", "--task", "task-a", "--pr", "https://github.com/acme/x/pull/7"], { cwd: wa, env: envOf(s, A) });
    expect([complete.code, complete.stdout]).toEqual([
      0,
      "Heartbeat recorded: session aaaaaaaa is complete on branch claude/a (task task-a).\nPR: https://github.com/acme/x/pull/7\n\nNo unread messages.\nThis reports the session's state; the task's claim is released by: claude-coord complete --task task-a\n",
    ]);
    const json = await runClient(["heartbeat", "--state", "working", "--branch", "feature/x", "--json"], { cwd: wa, env: envOf(s, A) });
    expect([json.code, JSON.parse(json.stdout)]).toEqual([0, { status: "ok", session: "aaaaaaaa", state: "working", unread: 0 }]);

    const stuck = await runClient(["stuck", "--reason", "Auth decision needed", "--context", "Token refresh: sliding or fixed?", "--option", "sliding", "--option", "fixed window"], {
      cwd: wa,
      env: envOf(s, A),
    });
    expect([stuck.code, stuck.stderr]).toEqual([0, ""]);
    expect(stuck.stdout).toBe(
      [
        "Reported: session aaaaaaaa is STUCK on branch claude/a.",
        "Reason: Auth decision needed",
        "Context: Token refresh: sliding or fixed?",
        "Options:",
        "  1. sliding",
        "  2. fixed window",
        "",
        "The human sees this in 'claude-coord watch' and 'claude-coord board' and answers with a message.",
        "No unread messages.",
        "Check for the answer: claude-coord inbox --unread --ack",
        "When you can go on: claude-coord heartbeat --state working",
        "",
      ].join("\n"),
    );

    const listed = JSON.parse(ok(await runClient(["sessions", "--json"], { cwd: wa, env: envOf(s, A) })).stdout);
    expect(listed.sessions.length).toBe(1);
    const one = listed.sessions[0];
    expect(one.first_seen).toMatch(RFC3339);
    expect(one.last_heartbeat).toMatch(RFC3339);
    expect(one.state_since).toBe(one.last_heartbeat); // the last heartbeat entered stuck
    expect({ ...one, first_seen: "-", last_heartbeat: "-", state_since: "-" }).toEqual({
      session: "aaaaaaaa",
      branch: "claude/a",
      state: "stuck",
      task_id: "task-a",
      progress: 40,
      note: "wiring the API",
      stuck: { reason: "Auth decision needed", context: "Token refresh: sliding or fixed?", options: ["sliding", "fixed window"] },
      pr_url: "https://github.com/acme/x/pull/7",
      worktree: null,
      plan: null,
      first_seen: "-",
      last_heartbeat: "-",
      state_since: "-",
      stale: false,
    });
  });

  test("bad values exit 64 naming the flag or field, before or at the service", async () => {
    const env = envOf(s, A);
    const progress = await runClient(["heartbeat", "--state", "working", "--progress", "101"], { cwd: wa, env });
    expect([progress.code, progress.stdout, progress.stderr]).toEqual([
      64,
      "",
      "ERROR: --progress must be an integer from 0 to 100, got '101'.\n\nACTION REQUIRED: Pass --progress with a whole percentage, for example --progress 40.\n",
    ]);
    const pj = await runClient(["heartbeat", "--state", "working", "--progress", "4.5", "--json"], { cwd: wa, env });
    expect([pj.code, JSON.parse(pj.stdout)]).toEqual([
      64,
      { status: "usage_error", message: "--progress must be an integer from 0 to 100, got '4.5'.", field: "progress", action: "Pass --progress with a whole percentage, for example --progress 40." },
    ]);
    const bogus = await runClient(["heartbeat", "--state", "bogus"], { cwd: wa, env });
    expect([bogus.code, bogus.stderr.split("\n")[0]]).toEqual([64, "ERROR: --state must be one of registered, planning, planning_complete, working, paused, complete, cancelled; got 'bogus'."]);
    const none = await runClient(["heartbeat"], { cwd: wa, env });
    expect([none.code, none.stderr]).toEqual([
      64,
      "ERROR: 'claude-coord heartbeat' needs --state.\n\nACTION REQUIRED: Run 'claude-coord heartbeat --state <state>' with one of: registered, planning, planning_complete, working, paused, complete, cancelled.\n",
    ]);
    const stuckState = await runClient(["heartbeat", "--state", "stuck"], { cwd: wa, env });
    expect([stuckState.code, stuckState.stderr]).toEqual([
      64,
      "ERROR: A stuck session must say why: 'claude-coord heartbeat' does not take --state stuck.\n\nACTION REQUIRED: Run 'claude-coord stuck --reason <what you need> [--context <details>] [--option <choice> ...]'.\n",
    ]);
    const pr = await runClient(["heartbeat", "--state", "complete", "--pr", "ftp://example.com/pr"], { cwd: wa, env });
    expect([pr.code, pr.stderr.split("\n")[0]]).toEqual([64, "ERROR: --pr must be an http(s) URL, got 'ftp://example.com/pr'."]);
    const note = await runClient(["heartbeat", "--state", "working", "--note", "x".repeat(501)], { cwd: wa, env });
    expect([note.code, note.stderr.startsWith("ERROR: Invalid request body: field 'note' ")]).toEqual([64, true]);
    const noReason = await runClient(["stuck", "--option", "a"], { cwd: wa, env });
    expect([noReason.code, noReason.stderr]).toEqual([64, "ERROR: 'claude-coord stuck' needs --reason.\n\nACTION REQUIRED: Run 'claude-coord stuck --reason <value>' (see 'claude-coord stuck --help').\n"]);
    const many = await runClient(["stuck", "--reason", "r", ...Array.from({ length: 11 }, (_, i) => ["--option", `o${i}`]).flat()], { cwd: wa, env });
    expect([many.code, many.stderr.split("\n")[0]]).toEqual([64, "ERROR: Invalid request body: field 'stuck.options' must be at most 10 options."]);
    const typo = await runClient(["heartbeat", "--state", "working", "--progres", "5"], { cwd: wa, env });
    expect([typo.code, typo.stderr.split("\n")[0]]).toEqual([64, "ERROR: Unknown flag '--progres' for 'claude-coord heartbeat'."]);
    // Nothing of the refused heartbeats was recorded.
    expect(JSON.parse(ok(await runClient(["sessions", "--json"], { cwd: wa, env })).stdout).sessions[0].state).toBe("stuck");
  });

  test("no session id exits 78, an unknown repo 5, a service that is down 2", async () => {
    const noSession = await runClient(["heartbeat", "--state", "working"], { cwd: wa, env: envOf(s) });
    expect([noSession.code, noSession.stderr.split("\n")[0]]).toEqual([78, "ERROR: No session id: this command needs to know which session is asking."]);
    const repo = await runClient(["stuck", "--reason", "r", "--repo", "acme/unknown"], { cwd: wa, env: envOf(s, A) });
    expect([repo.code, repo.stderr.split("\n")[0]]).toEqual([5, "ERROR: Repository 'acme/unknown' is not configured for coordination."]);
    const down = await runClient(["heartbeat", "--state", "working"], { cwd: wa, env: { ...envOf(s, A), CLAUDE_COORD_URL: "http://127.0.0.1:1" } });
    expect([down.code, down.stderr.split("\n")[0]]).toEqual([2, "ERROR: Coordination service is unavailable."]);
  });
});

describe("sessions", () => {
  test("lists every session stuck first, with reason, context, options and stale: false; the human reads it with the admin token; a wrong one exits 77", async () => {
    const s = await fresh("sessions");
    ok(await runClient(["heartbeat", "--state", "working", "--task", "task-b", "--progress", "10"], { cwd: wb, env: envOf(s, B) }));
    ok(await runClient(["stuck", "--reason", "Which DB?", "--option", "sqlite", "--option", "postgres"], { cwd: wa, env: envOf(s, A) }));
    const r = await runClient(["sessions"], { cwd: wb, env: envOf(s, B) });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(norm(r.stdout)).toBe(
      [
        "=== Sessions: acme/x (2 seen in the last 24 hours; 1 stuck, 0 stale) ===",
        "- aaaaaaaa STUCK on claude/a, no task, last heartbeat <T> (<ago>)",
        "    Reason: Which DB?",
        "    Options: 1. sqlite  2. postgres",
        "- bbbbbbbb (this session) working on claude/b, task task-b, 10%, last heartbeat <T> (<ago>)",
        "",
        "To message a session: claude-coord send --to-session <session> --subject <text> --body <text>",
        "",
      ].join("\n"),
    );
    const j = JSON.parse(ok(await runClient(["sessions", "--json"], { cwd: wb, env: envOf(s, B) })).stdout);
    expect(j.sessions.map((x: { session: string; state: string; stale: boolean }) => [x.session, x.state, x.stale])).toEqual([
      ["aaaaaaaa", "stuck", false],
      ["bbbbbbbb", "working", false],
    ]);
    const human = await runClient(["sessions", "--json"], { cwd: wb, env: envOf(s, undefined, { CLAUDE_COORD_ADMIN_TOKEN: ADMIN }) });
    expect([human.code, JSON.parse(human.stdout)]).toEqual([0, j]);
    const wrong = await runClient(["sessions", "--admin-token", "not-the-admin-token-000"], { cwd: wb, env: envOf(s) });
    expect([wrong.code, wrong.stderr]).toEqual([
      77,
      "ERROR: The Authorization header does not carry an admin token of this service.\n\nACTION REQUIRED: Pass --admin-token <token> or set CLAUDE_COORD_ADMIN_TOKEN; the service operator has the token.\n",
    ]);
    const empty = await runClient(["sessions"], { cwd: wb, env: envOf(await fresh("sessions-empty"), B) });
    expect(empty.stdout).toBe(
      "=== Sessions: acme/x (0 seen in the last 24 hours; 0 stuck, 0 stale) ===\n  (none)\n\nTo message a session: claude-coord send --to-session <session> --subject <text> --body <text>\nTo report this session: claude-coord heartbeat --state <state> [--task <id>]\n",
    );
  });
});

describe("messages", () => {
  let s: ServiceProcess;
  const send = (cwd: string, session: string | undefined, args: string[], extra: Record<string, string> = {}) => runClient(["send", ...args], { cwd, env: envOf(s, session, extra) });
  const sent = (what: string) => `Sent ${what}.\n\nRecipients see it in 'claude-coord inbox' and at their next session start.\n`;

  beforeAll(async () => {
    s = await fresh("messages");
    ok(await runClient(["claim", "--task", "task-a"], { cwd: wa, env: envOf(s, A) }));
    ok(await runClient(["heartbeat", "--state", "working"], { cwd: wb, env: envOf(s, B) }));
  });

  test("each address form reaches its session: to-task, to-branch, to-session, broadcast (text and --json)", async () => {
    expect(await send(wb, B, ["--to-task", "task-a", "--subject", "Templates?", "--body", "Do you need the email templates?"])).toEqual({
      code: 0,
      stdout: sent("'Templates?' to session aaaaaaaa (message 1)"),
      stderr: "",
    });
    expect((await send(wb, B, ["--to-branch", "claude/a", "--subject", "Branch", "--body", "hello branch"])).stdout).toBe(sent("'Branch' to session aaaaaaaa (message 2)"));
    expect((await send(wa, A, ["--to-session", "bbbbbbbb", "--subject", "Yes", "--body", "Great timing"])).stdout).toBe(sent("'Yes' to session bbbbbbbb (message 3)"));
    expect((await send(wa, A, ["--broadcast", "--subject", "SPECS complete", "--body", "ready for BUILD"])).stdout).toBe(sent("'SPECS complete' to every session (broadcast) (message 4)"));
    const j = await send(wa, A, ["--to-session", B, "--subject", "full id", "--body", "works too", "--json"]);
    expect([j.code, JSON.parse(j.stdout)]).toEqual([0, { status: "sent", ids: [5], to: ["bbbbbbbb"] }]);
    ok(await runClient(["heartbeat", "--state", "planning", "--branch", "claude/s"], { cwd: wb, env: envOf(s, "samepfx1-one-session") }));
    const other = await runClient(["heartbeat", "--state", "planning", "--branch", "claude/s"], { cwd: wb, env: envOf(s, "samepfx1-two-session") });
    ok(await runClient(["heartbeat", "--state", "planning", "--branch", "claude/s"], { cwd: wb, env: envOf(s, "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f") }));
    const both = await send(wa, A, ["--to-branch", "claude/s", "--subject", "both", "--body", "of you", "--json"]);
    expect([both.code, JSON.parse(both.stdout).ids, JSON.parse(both.stdout).to.sort()]).toEqual([0, [6, 7], ["0f1e2d3c", "samepfx1"]]);
    // A second id with a live session's prefix was refused, and the printed command registers a new one.
    const lines = other.stderr.split("\n");
    expect([other.code, lines[0], lines[2]]).toEqual([
      78,
      "ERROR: Another live session already uses the prefix 'samepfx1'; a session id's first 8 characters must be its own in this repository. Start a new session (a new session id).",
      "This session's id cannot be used with this service: tell the user to start a new session (in Claude Code: /clear or a new conversation gives a new session id).",
    ]);
    const action = /^ACTION REQUIRED: Outside Claude Code, register a new id: (CLAUDE_COORD_SESSION_ID=([0-9a-f-]{36}) claude-coord heartbeat --state registered)$/.exec(lines[4]!);
    expect(action).not.toBeNull();
    const fixed = await runPrinted(action![1]!, { cwd: wb, env: envOf(s) });
    expect([fixed.code, fixed.stdout.split("\n")[0]]).toEqual([0, `Heartbeat recorded: session ${action![2]!.slice(0, 8)} is registered on branch claude/b.`]);
  });

  test("a short or partial prefix and a missing or double address exit 64; nobody at the address exits 6; nothing is sent", async () => {
    const partial = await send(wa, A, ["--to-session", "samepfx1-one", "--subject", "s", "--body", "b", "--json"]);
    expect([partial.code, JSON.parse(partial.stdout).field]).toEqual([64, "to-session"]);
    const short = await send(wa, A, ["--to-session", "bbbb", "--subject", "s", "--body", "b"]);
    expect([short.code, short.stderr.split("\n")[0]]).toEqual([64, 'ERROR: --to-session "bbbb": must be a session\'s 8-character prefix, as listings show it, or its full id (at least 16 characters).']);
    const noAddress = await send(wa, A, ["--subject", "s", "--body", "b"]);
    expect([noAddress.code, noAddress.stderr]).toEqual([
      64,
      "ERROR: 'claude-coord send' needs exactly one address: --broadcast, --to-task, --to-branch, --to-session or --to-human (got 0).\n\nACTION REQUIRED: Run 'claude-coord send --to-session <8-character prefix> --subject <text> --body <text>' (see 'claude-coord sessions' for who is there).\n",
    ]);
    expect((await send(wa, A, ["--broadcast", "--to-task", "task-a", "--subject", "s", "--body", "b"])).stderr.split("\n")[0]).toBe(
      "ERROR: 'claude-coord send' needs exactly one address: --broadcast, --to-task, --to-branch, --to-session or --to-human (got 2).",
    );
    expect((await send(wa, A, ["--broadcast", "--body", "b"])).code).toBe(64);
    const task = await send(wa, A, ["--to-task", "task-z", "--subject", "s", "--body", "b"]);
    expect([task.code, task.stderr]).toEqual([6, "ERROR: No session holds task 'task-z'.\n\nACTION REQUIRED: Run 'claude-coord sessions' to see which sessions there are, then send to one of them (or --broadcast).\n"]);
    const branch = await send(wa, A, ["--to-branch", "nowhere", "--subject", "s", "--body", "b", "--json"]);
    expect([branch.code, JSON.parse(branch.stdout)]).toEqual([
      6,
      { status: "not_found", message: "No session works on branch 'nowhere'.", branch: "nowhere", action: "Run 'claude-coord sessions' to see which sessions there are, then send to one of them (or --broadcast)." },
    ]);
    const session = await send(wa, A, ["--to-session", "zzzzzzzz", "--subject", "s", "--body", "b"]);
    expect([session.code, session.stderr.split("\n")[0]]).toEqual([6, "ERROR: No session 'zzzzzzzz' in this repository."]);
    // The next message still gets id 8: none of the refused ones was stored.
    expect((await send(wa, A, ["--to-session", "bbbbbbbb", "--subject", "after", "--body", "errors"])).stdout).toBe(sent("'after' to session bbbbbbbb (message 8)"));
  });

  test("the human's guidance: with the admin token (no session) a message reaches the stuck session; without it 77; a wrong one 77", async () => {
    ok(await runClient(["stuck", "--reason", "Auth decision needed", "--option", "sliding", "--option", "fixed"], { cwd: wa, env: envOf(s, A) }));
    const human = await send(wa, undefined, ["--to-session", "aaaaaaaa", "--subject", "Use sliding", "--body", "Use sliding expiration\nwith a 15-minute window."], { CLAUDE_COORD_ADMIN_TOKEN: ADMIN });
    expect([human.code, human.stdout, human.stderr]).toEqual([0, sent("'Use sliding' as the human to session aaaaaaaa (message 9)"), ""]);
    const flag = await send(wa, undefined, ["--broadcast", "--subject", "Freeze", "--body", "no merges today", "--admin-token", ADMIN, "--json"]);
    expect([flag.code, JSON.parse(flag.stdout)]).toEqual([0, { status: "sent", ids: [10], to: ["broadcast"] }]);
    const without = await send(wa, undefined, ["--to-session", "aaaaaaaa", "--subject", "s", "--body", "b"]);
    expect([without.code, without.stdout, without.stderr]).toEqual([
      77,
      "",
      "ERROR: No session id and no admin token: a session sends with its id (CLAUDE_COORD_SESSION_ID or --session-id); the human sends with the service's admin token.\n\nACTION REQUIRED: Pass --admin-token <token> or set CLAUDE_COORD_ADMIN_TOKEN; the service operator has the token.\n",
    ]);
    const wrong = await send(wa, undefined, ["--to-session", "aaaaaaaa", "--subject", "s", "--body", "b", "--admin-token", "not-the-admin-token-000", "--json"]);
    expect([wrong.code, JSON.parse(wrong.stdout)]).toEqual([77, { status: "unauthorized", message: "The Authorization header does not carry an admin token of this service." }]);
  });

  test("inbox: --unread lists the unread messages oldest first; --ack marks them read; the heartbeat counts them; the human reads every message", async () => {
    const beat = await runClient(["heartbeat", "--state", "working"], { cwd: wa, env: envOf(s, A) });
    expect(beat.stdout).toBe("Heartbeat recorded: session aaaaaaaa is working on branch claude/a.\n\nUnread messages: 4. Read them: claude-coord inbox --unread --ack\n");
    const unread = await runClient(["inbox", "--unread"], { cwd: wa, env: envOf(s, A) });
    expect([unread.code, unread.stderr]).toEqual([0, ""]);
    expect(norm(unread.stdout)).toBe(
      [
        "=== Inbox of session aaaaaaaa: 4 unread messages ===",
        "",
        "#1 UNREAD from bbbbbbbb to aaaaaaaa, <T> (<ago>)",
        "  Subject: Templates?",
        "  Session bbbbbbbb wrote (quoted; not an instruction from claude-coord):",
        "  > Do you need the email templates?",
        "",
        "#2 UNREAD from bbbbbbbb to aaaaaaaa, <T> (<ago>)",
        "  Subject: Branch",
        "  Session bbbbbbbb wrote (quoted; not an instruction from claude-coord):",
        "  > hello branch",
        "",
        "#9 UNREAD from human to aaaaaaaa, <T> (<ago>)",
        "  Subject: Use sliding",
        "  The human wrote (quoted; not an instruction from claude-coord):",
        "  > Use sliding expiration",
        "  > with a 15-minute window.",
        "",
        "#10 UNREAD from human to broadcast, <T> (<ago>)",
        "  Subject: Freeze",
        "  The human wrote (quoted; not an instruction from claude-coord):",
        "  > no merges today",
        "",
        "After reading, mark them read: claude-coord inbox --ack",
        "To reply to a session: claude-coord send --to-session <from> --subject <text> --body <text>",
        "",
      ].join("\n"),
    );
    const acked = await runClient(["inbox", "--unread", "--ack", "--json"], { cwd: wa, env: envOf(s, A) });
    const aj = JSON.parse(acked.stdout);
    expect([acked.code, aj.messages.map((m: { id: number; read: boolean }) => [m.id, m.read]), aj.acked]).toEqual([
      0,
      [
        [1, false],
        [2, false],
        [9, false],
        [10, false],
      ],
      4,
    ]);
    expect((await runClient(["inbox", "--unread"], { cwd: wa, env: envOf(s, A) })).stdout).toBe(
      "=== Inbox of session aaaaaaaa: no unread messages ===\n\nTo reply to a session: claude-coord send --to-session <from> --subject <text> --body <text>\n",
    );
    const all = await runClient(["inbox", "--ack"], { cwd: wa, env: envOf(s, A) });
    expect(norm(all.stdout).split("\n").filter((l) => l.startsWith("=== ") || l.startsWith("#") || l.startsWith("Marked"))).toEqual([
      "=== Inbox of session aaaaaaaa: 4 messages, 0 unread ===",
      "#1 from bbbbbbbb to aaaaaaaa, <T> (<ago>)",
      "#2 from bbbbbbbb to aaaaaaaa, <T> (<ago>)",
      "#9 from human to aaaaaaaa, <T> (<ago>)",
      "#10 from human to broadcast, <T> (<ago>)",
      "Marked 0 messages read.",
    ]);
    expect((await runClient(["heartbeat", "--state", "working"], { cwd: wa, env: envOf(s, A) })).stdout).toEndWith("\nNo unread messages.\n");
    // B's inbox: A's direct messages and the broadcasts (its own broadcast is not in it).
    const b = JSON.parse((await runClient(["inbox", "--json"], { cwd: wb, env: envOf(s, B) })).stdout);
    expect(b.messages.map((m: { id: number; from: string; to: string }) => [m.id, m.from, m.to])).toEqual([
      [3, "aaaaaaaa", "bbbbbbbb"],
      [4, "aaaaaaaa", "broadcast"],
      [5, "aaaaaaaa", "bbbbbbbb"],
      [8, "aaaaaaaa", "bbbbbbbb"],
      [10, "human", "broadcast"],
    ]);
    const human = await runClient(["inbox"], { cwd: wa, env: envOf(s, undefined, { CLAUDE_COORD_ADMIN_TOKEN: ADMIN }) });
    expect([human.code, human.stdout.split("\n")[0]]).toEqual([0, "=== Messages of acme/x (the human's view): 10 recent messages ==="]);
    const humanAck = await runClient(["inbox", "--ack", "--admin-token", ADMIN], { cwd: wa, env: envOf(s) });
    expect([humanAck.code, humanAck.stderr.split("\n")[0]]).toEqual([
      64,
      "ERROR: With the admin token, 'claude-coord inbox' shows the human's view of recent messages, which has no read marks: --unread and --ack need a session.",
    ]);
    const noSession = await runClient(["inbox"], { cwd: wa, env: envOf(s) });
    expect([noSession.code, noSession.stderr.split("\n")[0]]).toEqual([78, "ERROR: No session id: this command needs to know which session is asking."]);
  });
});

describe("unread messages for hook session-start", () => {
  /** The context a client command in clone `cwd` would build, pointed at `url`. */
  async function contextAt(cwd: string, url: string): Promise<ClientContext> {
    const checkout = await findCheckout(cwd);
    if (!checkout) throw new Error(`no checkout at ${cwd}`);
    const config = { ...CLIENT_DEFAULTS, repo: "acme/x", service_url: url, session_id: undefined, file: undefined };
    return { checkout, config, client: new CoordClient({ service_url: url, timeout_ms: 2000, get_retries: 0 }) };
  }

  test("unreadSummary lists the unread messages and marks nothing read; says so when there are none, no session or no service", async () => {
    const s = await fresh("summary");
    ok(await runClient(["heartbeat", "--state", "registered"], { cwd: wa, env: envOf(s, A) }));
    ok(await runClient(["send", "--to-session", "aaaaaaaa", "--subject", "Welcome", "--body", "take task-b\nnot task-a"], { cwd: wb, env: envOf(s, B) }));
    const ctx = await contextAt(wa, s.url);
    const expected = [
      "=== Unread messages for session aaaaaaaa: 1 ===",
      "",
      "#1 UNREAD from bbbbbbbb to aaaaaaaa, <T> (<ago>)",
      "  Subject: Welcome",
      "  Session bbbbbbbb wrote (quoted; not an instruction from claude-coord):",
      "  > take task-b",
      "  > not task-a",
      "",
      "After reading, mark them read: claude-coord inbox --ack",
    ].join("\n");
    expect(norm(await unreadSummary(ctx, A))).toBe(expected);
    expect(norm(await unreadSummary(ctx, A))).toBe(expected);
    expect(await unreadSummary(ctx, B)).toBe("Messages: no unread messages.");
    expect(await unreadSummary(ctx, undefined)).toBe("Messages: unknown (no session id, so no inbox to read).");
    expect(await unreadSummary(await contextAt(wa, "http://127.0.0.1:1"), A)).toBe("Messages: unknown (the coordination service is unavailable).");
    const other = await unreadSummary({ ...ctx, config: { ...ctx.config, repo: "acme/unknown" } }, A);
    expect(other).toBe("Messages: unknown (Repository 'acme/unknown' is not configured for coordination.)");
  });
});

describe("claim and complete record the session's state", () => {
  test("claim reports working on the task (clearing the old progress and PR), complete reports complete keeping the PR", async () => {
    const s = await fresh("states");
    const env = envOf(s, C);
    ok(await runClient(["heartbeat", "--state", "complete", "--task", "old", "--progress", "100", "--pr", "https://github.com/acme/x/pull/1"], { cwd: wb, env }));
    const claimed = await runClient(["claim", "--task", "task-c"], { cwd: wb, env });
    expect([claimed.code, claimed.stdout, claimed.stderr]).toEqual([
      0,
      "Claimed task 'task-c' (fence 1) for session cccccccc on branch claude/b.\nPlan file: context/plan.json\n\nWhen the work is merged, run: claude-coord complete --task task-c\n",
      "",
    ]);
    const view = async () => {
      const one = JSON.parse((await runClient(["sessions", "--json"], { cwd: wb, env })).stdout).sessions[0];
      return [one.state, one.task_id, one.progress, one.pr_url, one.branch];
    };
    expect(await view()).toEqual(["working", "task-c", null, null, "claude/b"]);
    ok(await runClient(["heartbeat", "--state", "working", "--progress", "90", "--pr", "https://github.com/acme/x/pull/9"], { cwd: wb, env }));
    const done = await runClient(["complete", "--task", "task-c", "--json"], { cwd: wb, env });
    expect([done.code, JSON.parse(done.stdout)]).toEqual([0, { status: "completed", task_id: "task-c", branch: "claude/b" }]);
    expect(await view()).toEqual(["complete", "task-c", 90, "https://github.com/acme/x/pull/9", "claude/b"]);
    const next = JSON.parse((await runClient(["claim", "--next", "--json"], { cwd: wb, env })).stdout);
    expect(next.task_id).toBe("extra-1");
    expect(await view()).toEqual(["working", "extra-1", null, null, "claude/b"]);
  });

  test("claim and complete are one HTTP request each: the service records the session's state in the same transaction (request log)", async () => {
    const s = await fresh("states-log");
    // A proxy in front of the real service that logs every request it forwards.
    const log: string[] = [];
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const u = new URL(req.url);
        log.push(`${req.method} ${u.pathname}`);
        return fetch(s.url + u.pathname + u.search, { method: req.method, headers: req.headers, body: req.method === "GET" ? undefined : await req.arrayBuffer() });
      },
    });
    try {
      const env = { ...envOf(s, C), CLAUDE_COORD_URL: `http://127.0.0.1:${proxy.port}` };
      const claimed = await runClient(["claim", "--task", "task-b"], { cwd: wb, env });
      expect([claimed.code, claimed.stdout, claimed.stderr]).toEqual([
        0,
        "Claimed task 'task-b' (fence 1) for session cccccccc on branch claude/b.\nPlan file: context/plan.json\n\nWhen the work is merged, run: claude-coord complete --task task-b\n",
        "",
      ]);
      expect(log.splice(0)).toEqual(["POST /claim"]);
      const state = async () => {
        const one = JSON.parse((await runClient(["sessions", "--json"], { cwd: wb, env: envOf(s, C) })).stdout).sessions[0];
        return [one.state, one.task_id, one.branch];
      };
      expect(await state()).toEqual(["working", "task-b", "claude/b"]);
      const done = await runClient(["complete", "--task", "task-b"], { cwd: wb, env });
      expect([done.code, done.stdout, done.stderr]).toEqual([
        0,
        "Completed task 'task-b'. It is listed under recently completed for 24 hours.\n\nThis session holds no claim now. To take another task: claude-coord claims\n",
        "",
      ]);
      expect(log.splice(0)).toEqual(["POST /complete"]);
      expect(await state()).toEqual(["complete", "task-b", "claude/b"]);
    } finally {
      proxy.stop(true);
    }
  });
});

describe("watch and board", () => {
  let s: ServiceProcess;
  beforeAll(async () => {
    s = await fresh("views");
    ok(await runClient(["claim", "--task", "task-a"], { cwd: wa, env: envOf(s, A) }));
    ok(await runClient(["heartbeat", "--state", "working", "--progress", "30", "--note", "wiring"], { cwd: wa, env: envOf(s, A) }));
    ok(await runClient(["stuck", "--reason", "Which DB?", "--context", "both work", "--option", "sqlite", "--option", "postgres"], { cwd: wb, env: envOf(s, B) }));
    ok(await runClient(["send", "--to-session", "aaaaaaaa", "--subject", "hi", "--body", "from b"], { cwd: wb, env: envOf(s, B) }));
  });

  test("watch --once prints one frame: sessions stuck first with the reason and options, the claims; with the admin token also the messages", async () => {
    const r = await runClient(["watch", "--once"], { cwd: wa, env: envOf(s) });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(norm(r.stdout).replace(/for \d+ s /, "for <N> s ")).toBe(
      [
        "claude-coord watch: acme/x at <T> (one frame: --once)",
        "",
        "NEEDS YOU: 1",
        " !! STUCK  bbbbbbbb  -  for <N> s  claude-coord send --to-session bbbbbbbb --subject <text> --body <decision>",
        "",
        "SESSIONS: 2 (1 stuck, 0 stale)",
        " !! STUCK    bbbbbbbb  claude/b  -       -    <ago>",
        "        reason: Which DB?",
        "        context: both work",
        "        options: 1. sqlite  2. postgres",
        "        answer: claude-coord send --to-session bbbbbbbb --subject <text> --body <decision>",
        "    working  aaaaaaaa  claude/a  task-a  30%  <ago>  wiring",
        "",
        "ACTIVE CLAIMS: 1",
        "  task-a  aaaaaaaa  claude/a  since <ago>  fence 1",
        "",
        "RECENTLY COMPLETED: 0",
        "  (none)",
        "",
        "Last event: (none yet)",
        "",
      ].join("\n"),
    );
    const admin = await runClient(["watch", "--once", "--admin-token", ADMIN], { cwd: wa, env: envOf(s) });
    expect([admin.code, norm(admin.stdout).split("\n").slice(-5)]).toEqual([0, ["RECENT MESSAGES: 1", "  #1  bbbbbbbb -> aaaaaaaa  <ago>  hi", "", "Last event: (none yet)", ""]]);
    const j = await runClient(["watch", "--once", "--json"], { cwd: wa, env: envOf(s) });
    const doc = JSON.parse(j.stdout);
    expect([j.code, doc.status, doc.repo, doc.claims.active.length, doc.sessions.length, doc.messages_of]).toEqual([0, "one frame: --once", "acme/x", 1, 2, null]);
    const wrong = await runClient(["watch", "--once", "--repo", "acme/nope"], { cwd: wa, env: envOf(s) });
    expect(wrong.code).toBe(5);
  });

  test("board prints the state as Markdown: summary, the stuck session with its options, sessions, claims, completions, this session's messages", async () => {
    // --now long before the service's clock: every age reads "just now", whatever the date of the run.
    const r = await runClient(["board", "--now", "2000-01-01T00:00:00Z"], { cwd: wa, env: envOf(s, A) });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const md = r.stdout.replace(T, "<T>");
    expect(md).toStartWith("# Status board: acme/x\n\nGenerated at <T> from main at `");
    expect(md.split("\n").filter((l) => l.startsWith("#"))).toEqual([
      "# Status board: acme/x",
      "## Needs attention",
      "### Stuck: `bbbbbbbb` on `claude/b`",
      "## Sessions",
      "## Active claims",
      "## Recently completed",
      "## Messages for `aaaaaaaa`",
    ]);
    expect(md).toContain("**2 sessions** (1 stuck, 0 stale) · **1 active claim** · **0 completed** in the last 24 hours · **1 unread message**");
    expect(md).toContain(
      [
        "- **Reason:** Which DB?",
        "- **Context:** both work",
        "- **Options:**",
        "  1. sqlite",
        "  2. postgres",
        "- **Last heartbeat:** <T> (just now)",
        "- **Answer:** `claude-coord send --to-session bbbbbbbb --subject 'Re: Which DB?' --body '<your decision>'`",
      ].join("\n"),
    );
    expect(md).toContain("| `bbbbbbbb` | **stuck** | claude/b | — | — | <T> (just now) | — |\n| `aaaaaaaa` | working | claude/a | task-a | 30% | <T> (just now) | wiring |");
    expect(md).toContain("| task-a | `aaaaaaaa` | claude/a | context/plan.json | <T> (just now) | 1 |");
    expect(md).toContain("**Unread (1)**\n\n- **#1** `bbbbbbbb` → `aaaaaaaa`, <T> (just now): **hi**. from b\n");
    const j = await runClient(["board", "--json", "--now", "2000-01-01T00:00:00Z", "--admin-token", ADMIN], { cwd: wa, env: envOf(s) });
    const doc = JSON.parse(j.stdout);
    expect([j.code, doc.generated_at, doc.head_sha, doc.messages_of, doc.messages.length, Object.keys(doc)]).toEqual([
      0,
      "2000-01-01T00:00:00Z",
      null,
      "human",
      1,
      ["generated_at", "repo", "head_sha", "messages_of", "claims", "sessions", "messages", "reservations"],
    ]);
    const bad = await runClient(["board", "--now", "yesterday"], { cwd: wa, env: envOf(s, A) });
    expect([bad.code, bad.stderr.split("\n")[0]]).toEqual([64, "ERROR: --now must be an RFC 3339 time such as 2026-01-05T20:00:00Z, got 'yesterday'."]);
  });

  test("watch redraws when another process claims, and exits 0 on SIGINT", async () => {
    const proc = Bun.spawn([await binary(), "watch"], { cwd: wb, env: { ...process.env, ...envOf(s) }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    let out = "";
    const until = async (pred: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!pred() && Date.now() < deadline) {
        const r = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - Date.now())).then(() => undefined)]);
        if (!r || r.done) break;
        out += dec.decode(r.value);
      }
      return pred();
    };
    try {
      expect(await until(() => out.includes("(live; Ctrl-C to quit)"), 5000)).toBe(true);
      ok(await runClient(["claim", "--task", "task-d"], { cwd: wb, env: envOf(s, "dddddddd-watch-session") }));
      expect(await until(() => /ACTIVE CLAIMS: 2\n.*\n  task-d  dddddddd  claude\/b  since /.test(out), 5000)).toBe(true);
      expect(out).toMatch(/Last event: #\d+ dddddddd (claimed task-d|is working)/);
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
      expect(await new Response(proc.stderr as ReadableStream<Uint8Array>).text()).toBe("");
    } finally {
      proc.kill("SIGKILL");
    }
  });
});
