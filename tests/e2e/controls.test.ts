// The human's controls end to end with the compiled binary (SPEC §13): pause denies every tool through the PreToolUse guard until resume; wait returns 0 on approve, 1 on reject, 2 on timeout.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { binary, cloneSession, makeOrigin, runClient, type RunResult, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

setDefaultTimeout(60_000);
const ADMIN = "controls-admin-token-0123456789";
const REPO = "acme/controls";
const SID = "5e55104a-7a3c-4e1f-9b2d-0123456789ab";
let root: string;
let work: string;
let service: ServiceProcess;

beforeAll(async () => {
  root = tempDir("controls-e2e");
  const { origin } = makeOrigin(root);
  work = cloneSession(origin, root, "controls");
  const config = join(root, "service.toml");
  writeFileSync(config, `[server]\nport = 0\ndatabase = "c.db"\nadmin_tokens = ["${ADMIN}"]\n[[repos]]\nname = "${REPO}"\nsource = "${origin}"\n`);
  service = await startService(["--config", config]);
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: SID, ...extra });
const cli = (args: string[], extra: Record<string, string> = {}) => runClient(args, { cwd: work, env: env(extra) });
const human = (args: string[]) => runClient(args, { cwd: work, env: { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service.url, CLAUDE_COORD_ADMIN_TOKEN: ADMIN } });

/** Runs `claude-coord hook pre-tool-use` with Claude Code's PreToolUse JSON for `tool_name` on stdin (no session id in the environment: the hook JSON names it). */
async function guard(tool_name: string, tool_input: Record<string, unknown>, url: string = service.url): Promise<RunResult> {
  const proc = Bun.spawn([await binary(), "hook", "pre-tool-use"], {
    cwd: work,
    env: { ...process.env, CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: url },
    stdin: new Blob([JSON.stringify({ session_id: SID, transcript_path: "/tmp/t.jsonl", cwd: work, hook_event_name: "PreToolUse", tool_name, tool_input })]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
const EDIT = { file_path: "/x/src/a.ts", old_string: "a", new_string: "b" };
const BASH = { command: "bun test", description: "run the tests" };

describe("pause and resume", () => {
  test("a paused session's next heartbeat shows the human's message; its guard exits 2 for Edit and Bash with ACTION claude-coord wait; resume allows them again", async () => {
    expect((await cli(["heartbeat", "--state", "working", "--task", "task-a"])).code).toBe(0);
    expect(await guard("Edit", EDIT)).toEqual({ code: 0, stdout: "", stderr: "" });

    const p = await human(["pause", SID.slice(0, 8), "--message", "Hold on: main is being rebased"]);
    expect([p.code, p.stdout.split("\n")[0]]).toEqual([0, `Session ${SID.slice(0, 8)} paused: its PreToolUse guard denies every tool and its next heartbeat, claim or hook call shows your message.`]);

    const hb = await cli(["heartbeat", "--state", "working"]);
    expect(hb.code).toBe(0);
    expect(hb.stdout).toContain(`session ${SID.slice(0, 8)} is paused`);
    expect(hb.stdout).toContain('The human wrote: "Hold on: main is being rebased"');

    for (const [tool, input] of [["Edit", EDIT], ["Bash", BASH]] as const) {
      const g = await guard(tool, input);
      expect(g.code).toBe(2);
      expect(g.stdout).toBe("");
      expect(g.stderr).toContain(`ERROR: This session (${SID.slice(0, 8)}) is paused by the human: ${tool} is denied`);
      expect(g.stderr).toContain('The human wrote: "Hold on: main is being rebased"');
      expect(g.stderr.trimEnd().endsWith("ACTION REQUIRED: claude-coord wait")).toBe(true);
    }

    const sessions = JSON.parse((await human(["sessions", "--json"])).stdout) as { sessions: Array<{ session: string; state: string }> };
    expect(sessions.sessions.find((s) => s.session === SID.slice(0, 8))?.state).toBe("paused");

    // The ACTION as printed: wait blocks until the human resumes, then exits 0.
    const waiting = cli(["wait", "--timeout", "20s"]);
    await Bun.sleep(1500);
    expect((await human(["resume", SID.slice(0, 8)])).code).toBe(0);
    // A service the guard cannot reach: the tool is allowed, silently (the pause still reaches the session by its heartbeat).
    const dead = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const deadUrl = `http://127.0.0.1:${dead.port}`;
    dead.stop(true);
    expect(await guard("Bash", BASH, deadUrl)).toEqual({ code: 0, stdout: "", stderr: "" });
    const w = await waiting;
    expect([w.code, w.stdout.split("\n")[0]?.startsWith("Resumed by the human")]).toEqual([0, true]);
    expect(await guard("Edit", EDIT)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await guard("Bash", BASH)).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("the controls need the admin token (exit 77) and a session address of 8 characters or the full id (exit 64)", async () => {
    const none = await cli(["pause", SID.slice(0, 8)]);
    expect([none.code, none.stderr.split("\n")[0]]).toEqual([77, "ERROR: 'claude-coord pause' acts as the human and needs the service's admin token."]);
    const short = await human(["pause", SID.slice(0, 5)]);
    expect(short.code).toBe(64);
    expect(short.stderr).toContain("field 'session'");
    expect((await human(["resume", SID.slice(0, 8)])).code).toBe(64);
  });
});

describe("plan review with wait", () => {
  test("heartbeat --plan attaches the plan; wait exits 0 when the human approves", async () => {
    const hb = await cli(["heartbeat", "--state", "planning_complete", "--plan", "1. add tests\n2. implement"]);
    expect(hb.stdout).toContain("Plan attached (25 characters)");
    const listed = JSON.parse((await human(["sessions", "--json"])).stdout) as { sessions: Array<{ session: string; plan: string; state_since: string }> };
    expect(listed.sessions.find((s) => s.session === SID.slice(0, 8))?.plan).toBe("1. add tests\n2. implement");
    const waiting = cli(["wait", "--timeout", "20s"]);
    await Bun.sleep(1500);
    expect((await human(["approve", SID.slice(0, 8), "--message", "Go"])).code).toBe(0);
    const w = await waiting;
    expect(w.code).toBe(0);
    expect(w.stdout).toContain("Plan APPROVED by the human");
    expect(w.stdout).toContain('The human wrote: "Go"');
  });

  test("wait exits 1 with the human's message on reject", async () => {
    await cli(["heartbeat", "--state", "planning_complete", "--plan", "v2"]);
    expect((await human(["reject", SID.slice(0, 8), "--message", "Split step 2 in two"])).code).toBe(0);
    const w = await cli(["wait", "--timeout", "10s"]);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain("Plan REJECTED by the human");
    expect(w.stderr).toContain('The human wrote: "Split step 2 in two"');
  });

  test("wait exits 2 when the time passes without a decision; a bad --timeout is 64", async () => {
    await cli(["heartbeat", "--state", "planning_complete", "--plan", "v3"]);
    const started = Date.now();
    const w = await cli(["wait", "--timeout", "2s"]);
    expect(w.code).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(w.stderr).toContain("ERROR: No decision from the human within 2s");
    expect(w.stderr.trimEnd().endsWith("ACTION REQUIRED: claude-coord wait")).toBe(true);
    expect((await cli(["wait", "--timeout", "soon"])).code).toBe(64);
    const big = await cli(["heartbeat", "--state", "planning_complete", "--plan", "x".repeat(20_001)]);
    expect([big.code, big.stderr.split("\n")[0]]).toEqual([64, "ERROR: --plan is 20001 characters; the limit is 20000."]);
  });
});
