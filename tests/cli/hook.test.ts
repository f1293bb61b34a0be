// `claude-coord hook session-start` in process: hook input parsing, bounded stdin, session id saving and CLAUDE_ENV_FILE, and the sectioned output that never throws.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportToEnvFile, isSessionId, parseHookInput, readBounded, SESSION_START_SECTIONS, type SessionStartSection, sessionStartText, shellQuote, stateSection, messagesSection, workflowSection, WORKFLOW_STEPS } from "../../src/cli/hook.ts";
import { CoordError } from "../../src/core/errors.ts";
import { git, tempDir } from "../helpers/e2e.ts";
import { requireCommand } from "../../scripts/system-packages.ts";

let root: string;
let repo: string;
beforeAll(() => {
  root = tempDir("hook-unit");
  repo = join(root, "repo");
  mkdirSync(repo);
  git(repo, "init", "-q", "-b", "main");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.CLAUDE_ENV_FILE;
});

const input = (o: Record<string, unknown>) => JSON.stringify({ transcript_path: "/t.jsonl", hook_event_name: "SessionStart", ...o });
const sectionA: SessionStartSection = async () => "A-section";
const sectionB: SessionStartSection = async (s) => `B sees ${s.session_id ?? "no session"} at ${s.source}, repo ${s.ctx.config.repo ?? "none"}`;

describe("parseHookInput", () => {
  test.each([
    [input({ session_id: "s-1", cwd: "/w", source: "resume" }), { input: { session_id: "s-1", cwd: "/w", source: "resume", hook_event_name: "SessionStart" } }],
    ["", { input: {} }],
    ["  \n", { input: {} }],
    ['{"session_id": 42, "cwd": "", "source": null}', { input: { session_id: undefined, cwd: undefined, source: undefined, hook_event_name: undefined } }],
    ["[1]", { input: {}, problem: "the hook input on stdin is not a JSON object" }],
    ["null", { input: {}, problem: "the hook input on stdin is not a JSON object" }],
  ])("%p", (text, expected) => {
    expect(parseHookInput(text)).toEqual(expected as ReturnType<typeof parseHookInput>);
  });

  test("text that is not JSON is a problem named with the parser's message", () => {
    const r = parseHookInput("{session_id");
    expect(r.input).toEqual({});
    expect(r.problem?.startsWith("the hook input on stdin is not JSON (")).toBe(true);
  });
});

test.each([
  ["8db090b6-1b2c-4d5e-9f00-112233445566", true],
  ["a", true],
  ["x".repeat(200), true],
  ["x".repeat(201), false],
  ["", false],
  ["has space", false],
  ["new\nline", false],
  ["tab\t", false],
])("isSessionId(%p) is %p", (id, ok) => {
  expect(isSessionId(id)).toBe(ok);
});

test("shellQuote round-trips any text through dash and bash", () => {
  requireCommand("dash");
  const values = ["abc", "it's", "a b", "$(touch /tmp/pwned)", '"q" `x` \\n', "'", ""];
  const file = join(root, "quoted.sh");
  writeFileSync(file, values.map((v, i) => `export V${i}=${shellQuote(v)}\n`).join(""));
  for (const sh of ["dash", "bash"]) {
    const r = Bun.spawnSync([sh, "-c", `. "${file}"; ${values.map((_, i) => `printf '%s\\0' "$V${i}"`).join("; ")}`], { stdout: "pipe" });
    expect(r.stdout.toString().split("\0").slice(0, -1)).toEqual(values);
  }
});

describe("exportToEnvFile", () => {
  test("appends the export line once, on a line of its own, and a new id gets its own line", () => {
    const env = join(root, "env-1");
    writeFileSync(env, "export OTHER=1");
    exportToEnvFile(env, "s-1");
    exportToEnvFile(env, "s-1");
    expect(readFileSync(env, "utf8")).toBe("export OTHER=1\nexport CLAUDE_COORD_SESSION_ID='s-1'\n");
    exportToEnvFile(env, "s-2");
    expect(readFileSync(env, "utf8")).toBe("export OTHER=1\nexport CLAUDE_COORD_SESSION_ID='s-1'\nexport CLAUDE_COORD_SESSION_ID='s-2'\n");
  });

  test("creates the file when Claude Code has not yet", () => {
    const env = join(root, "env-new");
    exportToEnvFile(env, "s-1");
    expect(readFileSync(env, "utf8")).toBe("export CLAUDE_COORD_SESSION_ID='s-1'\n");
  });
});

describe("readBounded", () => {
  const enc = new TextEncoder();
  test("reads a stream to its end", async () => {
    const s = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode('{"session_'));
        c.enqueue(enc.encode('id":"x"}'));
        c.close();
      },
    });
    expect(await readBounded(s)).toBe('{"session_id":"x"}');
  });

  test("stops at the timeout when the writer never closes, keeping what came", async () => {
    const s = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode("partial"));
      },
    });
    const started = performance.now();
    expect(await readBounded(s, 100)).toBe("partial");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("stops at the byte limit", async () => {
    const s = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(enc.encode("x".repeat(1000)));
      },
    });
    expect((await readBounded(s, 2000, 4096)).length).toBe(4096);
  });
});

describe("sessionStartText", () => {
  test("saves the session id for the worktree, exports it to CLAUDE_ENV_FILE, and prints the header then each section", async () => {
    const env = join(root, "env-start");
    process.env.CLAUDE_ENV_FILE = env;
    const text = await sessionStartText(input({ session_id: "sess-1", cwd: repo, source: "startup" }), { repo: "acme/widgets" }, { cwd: root, sections: [sectionA, sectionB] });
    const saved = join(repo, ".git", "claude-coord-session-id");
    expect(text).toBe(
      [
        "=== claude-coord: session start (startup) ===",
        `Session: sess-1 (saved in ${saved}: claude-coord claim and complete use it in this worktree)`,
        "",
        "A-section",
        "",
        "B sees sess-1 at startup, repo acme/widgets",
      ].join("\n"),
    );
    expect(readFileSync(saved, "utf8")).toBe("sess-1\n");
    expect(readFileSync(env, "utf8")).toBe("export CLAUDE_COORD_SESSION_ID='sess-1'\n");
  });

  test("the hook input's session id wins over --session-id, which is used when the input has none", async () => {
    const a = await sessionStartText(input({ session_id: "from-input", cwd: repo }), { "session-id": "from-flag" }, { sections: [sectionB] });
    expect(a.split("\n").at(-1)).toBe("B sees from-input at unknown, repo none");
    const b = await sessionStartText("", { "session-id": "from-flag" }, { cwd: repo, sections: [sectionB] });
    expect(b.split("\n").at(-1)).toBe("B sees from-flag at unknown, repo none");
    expect(readFileSync(join(repo, ".git", "claude-coord-session-id"), "utf8")).toBe("from-flag\n");
  });

  test("no session id, a malformed one, and input that is not JSON are each said, and the sections still run", async () => {
    expect(await sessionStartText("", {}, { cwd: repo, sections: [sectionA] })).toBe(
      "=== claude-coord: session start (unknown) ===\nSession: unknown (no session_id in the hook input). claim and complete need CLAUDE_COORD_SESSION_ID or --session-id.\n\nA-section",
    );
    expect(await sessionStartText(input({ session_id: "has space" }), {}, { cwd: repo, sections: [sectionB] })).toBe(
      '=== claude-coord: session start (unknown) ===\nSession: the id "has space" has whitespace or is over 200 characters, so it was not saved. claim and complete need --session-id.\n\nB sees no session at unknown, repo none',
    );
    const bad = await sessionStartText("{oops", {}, { cwd: repo, sections: [sectionA] });
    expect(bad.split("\n")[1]?.startsWith("Note: the hook input on stdin is not JSON (")).toBe(true);
    expect(bad.endsWith("; continuing without it.\nSession: unknown (no session_id in the hook input). claim and complete need CLAUDE_COORD_SESSION_ID or --session-id.\n\nA-section")).toBe(true);
  });

  test("a session file that cannot be written and an env file that cannot be appended are reported, not thrown", async () => {
    const dir = join(root, "blocked");
    mkdirSync(dir);
    git(dir, "init", "-q", "-b", "main");
    mkdirSync(join(dir, ".git", "claude-coord-session-id"));
    process.env.CLAUDE_ENV_FILE = join(root, "no-such-dir", "env");
    const text = await sessionStartText(input({ session_id: "s-9", cwd: dir }), {}, { sections: [] });
    const lines = text.split("\n");
    expect(lines[1]?.startsWith("Session: s-9 (could not be saved: ")).toBe(true);
    expect(lines[1]?.endsWith("; pass --session-id s-9 to claim and complete)")).toBe(true);
    expect(lines[2]?.startsWith(`Note: could not write CLAUDE_COORD_SESSION_ID to CLAUDE_ENV_FILE ${join(root, "no-such-dir", "env")}: `)).toBe(true);
  });

  test("outside a git checkout it prints the configuration error under the header", async () => {
    const outside = join(root, "outside");
    mkdirSync(outside);
    expect(await sessionStartText(input({ session_id: "s", cwd: outside }), {})).toBe(
      `=== claude-coord: session start (unknown) ===\n\nERROR: ${outside} is not inside a git checkout.\n\nACTION REQUIRED: Run claude-coord from inside a clone or worktree of the repository.`,
    );
  });

  test("a section that throws becomes an ERROR block; the others still print", async () => {
    const boom: SessionStartSection = async () => {
      throw new Error("kaboom");
    };
    const coord: SessionStartSection = async () => {
      throw new CoordError("config_error", "Broken thing.", { action: "Fix it." });
    };
    expect(await sessionStartText("", {}, { cwd: repo, sections: [boom, coord, sectionA] })).toBe(
      [
        "=== claude-coord: session start (unknown) ===",
        "Session: unknown (no session_id in the hook input). claim and complete need CLAUDE_COORD_SESSION_ID or --session-id.",
        "",
        "ERROR: claude-coord could not finish the session-start report: kaboom",
        "",
        "ACTION REQUIRED: Run 'claude-coord claims' to see the coordination state.",
        "",
        "ERROR: Broken thing.",
        "",
        "ACTION REQUIRED: Fix it.",
        "",
        "A-section",
      ].join("\n"),
    );
  });

  test("the default sections are the tasks and claims view, unread messages, then the workflow; with no repo configured it says how to configure one", async () => {
    expect(SESSION_START_SECTIONS).toEqual([stateSection, messagesSection, workflowSection]);
    const text = await sessionStartText("", {}, { cwd: repo });
    expect(text.endsWith(`ERROR: No repository is configured.\n\nACTION REQUIRED: Add repo = "owner/name" to ${join(repo, ".claude-coord.toml")}, or export CLAUDE_COORD_REPO=owner/name, or pass --repo owner/name.\n\nMessages: unknown (no session id, so no inbox to read).\n\n${["=== claude-coord workflow ===", ...WORKFLOW_STEPS].join("\n")}`)).toBe(true);
  });
});
