// A session's day end to end (SPEC §10) with the compiled binary and Claude Code's hook JSON on stdin: startup, claim, /clear handover, resume, compact; main moving under a dirty worktree; shallow clones; hook activity.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { binary, cloneSession, commitAll, git, makeOrigin, type RunResult, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";
import { type RequestLog, startRequestLog } from "../helpers/request-log.ts";

setDefaultTimeout(60_000);
const ADMIN = "life-admin-token-0123456789abcdef";
const S1 = "11111111-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const S2 = "22222222-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const S3 = "33333333-cccc-4ccc-8ccc-cccccccccccc";
const S4 = "44444444-dddd-4ddd-8ddd-dddddddddddd";
const S5 = "55555555-eeee-4eee-8eee-eeeeeeeeeeee";

let root: string;
let origin: string;
let author: string;
let service: ServiceProcess;
let log: RequestLog;

beforeAll(async () => {
  root = tempDir("session-life");
  ({ origin, work: author } = makeOrigin(root));
  const config = join(root, "service.toml");
  writeFileSync(config, `[server]\nport = 0\ndatabase = "coord.db"\nadmin_tokens = ["${ADMIN}"]\n[[repos]]\nname = "acme/life"\nsource = "${origin}"\n`);
  service = await startService(["--config", config], { cwd: root });
  log = startRequestLog(service.url);
});
afterAll(async () => {
  log?.stop();
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The client environment: the repo and the service (through the request log); no session variable, so the saved id is used. */
const env = (extra: Record<string, string> = {}) => ({ CLAUDE_COORD_REPO: "acme/life", CLAUDE_COORD_URL: log.url, ...extra });
const ok = (r: RunResult) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** Runs `claude-coord hook <event>` with Claude Code's hook JSON on stdin. */
async function hook(event: "session-start" | "activity", input: Record<string, unknown>, cwd: string, extra: Record<string, string> = {}): Promise<RunResult> {
  const proc = Bun.spawn([await binary(), "hook", event], { cwd, env: { ...process.env, ...env(extra) }, stdin: new TextEncoder().encode(JSON.stringify(input)), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
const sessionStart = (session_id: string, cwd: string, source: string) =>
  hook("session-start", { session_id, transcript_path: `/root/.claude/projects/x/${session_id}.jsonl`, cwd, hook_event_name: "SessionStart", source }, cwd);
const prompt = (session_id: string, cwd: string, extra: Record<string, string> = {}) =>
  hook("activity", { session_id, transcript_path: `/root/.claude/projects/x/${session_id}.jsonl`, cwd, permission_mode: "default", hook_event_name: "UserPromptSubmit", prompt: "go on" }, cwd, extra);
const postTool = (session_id: string, cwd: string, extra: Record<string, string> = {}) =>
  hook(
    "activity",
    { session_id, transcript_path: "/x.jsonl", cwd, hook_event_name: "PostToolUse", tool_name: "Bash", tool_input: { command: "ls" }, tool_response: { stdout: "" } },
    cwd,
    extra,
  );
const sessionsJson = async (cwd: string) => JSON.parse(ok(await runClient(["sessions", "--json", "--admin-token", ADMIN], { cwd, env: env() })).stdout).sessions as { session: string; state: string; task_id: string | null; note: string | null }[];

describe("a day in the life of a worktree", () => {
  let w: string;
  beforeAll(() => {
    w = cloneSession(origin, root, "day");
  });

  test("startup registers the session before any claim; the context ends with the workflow", async () => {
    const r = await sessionStart(S1, w, "startup");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain(`Session: ${S1} (saved in `);
    expect(r.stdout).toContain("\nRegistered: session 11111111 is registered on branch claude/day.\n");
    expect(r.stdout).toContain("\n=== claude-coord workflow ===\n1. See the work: claude-coord tasks");
    expect((await sessionsJson(w)).map((s) => [s.session, s.state])).toEqual([["11111111", "registered"]]);
  });

  test("claim, then /clear: the new id takes the claim with a new fence; the old id is refused and the new one completes", async () => {
    const claim = JSON.parse(ok(await runClient(["claim", "--task", "task-a", "--json"], { cwd: w, env: env() })).stdout);
    expect([claim.task_id, claim.session]).toEqual(["task-a", "11111111"]);
    const clear = await sessionStart(S2, w, "clear");
    expect([clear.code, clear.stderr]).toEqual([0, ""]);
    expect(clear.stdout).toContain(
      `\nTook over from session 11111111 (this session: 22222222).\nClaim: task 'task-a', new fence ${claim.fence + 1}. The old session id can no longer complete or release it.\nState: working.\n`,
    );
    expect(clear.stdout).toContain("\nRegistered: session 22222222 is working on branch claude/day.\n");
    expect(clear.stdout).toMatch(/\n {2}- task-a by session 22222222 \(this session\) on claude\/day since /);
    const old = await runClient(["complete", "--task", "task-a", "--session-id", S1], { cwd: w, env: env() });
    expect(old.code).toBe(6);
    expect(old.stderr).toContain("ERROR: Task 'task-a' is claimed by a different session.");
    const done = await runClient(["complete", "--task", "task-a"], { cwd: w, env: env() });
    expect([done.code, done.stdout.split("\n")[0]]).toEqual([0, "Completed task 'task-a'. It is listed under recently completed for 24 hours."]);
    expect((await sessionsJson(w)).map((s) => [s.session, s.state, s.task_id]).sort()).toEqual([
      ["11111111", "cancelled", null],
      ["22222222", "complete", "task-a"],
    ]);
  });

  test("resume and compact keep the id and the state: no handover, registration keeps 'complete'", async () => {
    for (const source of ["resume", "compact"]) {
      const r = await sessionStart(S2, w, source);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout).toContain(`=== claude-coord: session start (${source}) ===\n`);
      expect(r.stdout).not.toContain("Took over");
      expect(r.stdout).toContain("\nRegistered: session 22222222 is complete on branch claude/day.\n");
    }
  });

  test("a later /clear from a session with nothing left says so, and the next id registers fresh", async () => {
    ok(await runClient(["heartbeat", "--state", "cancelled"], { cwd: w, env: env() }));
    const r = await sessionStart(S3, w, "clear");
    expect(r.stdout).toContain("\nThe previous session of this worktree (22222222) held no claim and no state: nothing to take over.\nRegistered: session 33333333 is registered on branch claude/day.\n");
  });
});

describe("main moves under a dirty worktree", () => {
  let w: string;
  beforeAll(() => {
    w = cloneSession(origin, root, "dirty");
    write(join(w, "README.md"), "work in progress, not committed\n");
  });
  const moveMain = (ids: string[]) => {
    write(join(author, "context", "plan.json"), `${JSON.stringify({ tasks: ids.map((id) => ({ id, status: "pending" })) })}\n`);
    const sha = commitAll(author, `replan ${ids.join(" ")}`);
    git(author, "push", "-q", "origin", "main");
    return sha;
  };
  const who = { CLAUDE_COORD_SESSION_ID: S4 };

  test("claim, heartbeat and inbox fetch origin's main by themselves, say which plan files changed, and leave the worktree alone", async () => {
    const before = git(w, "rev-parse", "origin/main");
    const moved = moveMain(["task-b", "task-c", "task-m1"]);
    const c = await runClient(["claim", "--task", "task-m1"], { cwd: w, env: env(who) });
    expect(c.code).toBe(0);
    expect(c.stderr).toBe(`Note: main moved; fetched origin/main (${before.slice(0, 12)} -> ${moved.slice(0, 12)}; plan files changed: context/plan.json). Retrying once.\n`);
    expect(git(w, "rev-parse", "origin/main")).toBe(moved);
    expect(git(w, "status", "--porcelain")).toBe("M README.md");
    expect(readFileSync(join(w, "README.md"), "utf8")).toBe("work in progress, not committed\n");
    moveMain(["task-b", "task-c", "task-m1", "task-m2"]);
    const h = await runClient(["heartbeat", "--state", "working", "--progress", "10"], { cwd: w, env: env(who) });
    expect([h.code, h.stdout.split("\n")[0]]).toEqual([0, "Heartbeat recorded: session 44444444 is working on branch claude/dirty (10%)."]);
    expect((await sessionsJson(w)).find((x) => x.session === "44444444")).toMatchObject({ state: "working", task_id: "task-m1" });
    expect(h.stderr).toContain("Note: main moved; fetched origin/main");
    moveMain(["task-b", "task-c", "task-m1", "task-m2", "task-m3"]);
    const i = await runClient(["inbox"], { cwd: w, env: env(who) });
    expect([i.code, i.stdout.split("\n")[0]]).toEqual([0, "=== Inbox of session 44444444: no messages ==="]);
    expect(git(w, "status", "--porcelain")).toBe("M README.md");
  });

  test("with --no-fetch (or CLAUDE_COORD_NO_FETCH=1) it is exit 4 whose ACTION, run as printed, makes the retry succeed", async () => {
    const moved = moveMain(["task-b", "task-c", "task-m1", "task-m4"]);
    const r = await runClient(["heartbeat", "--state", "working", "--no-fetch"], { cwd: w, env: env(who) });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`Current main branch is at:     ${moved}\nNot fetched automatically: fetching is turned off (--no-fetch or CLAUDE_COORD_NO_FETCH)\n`);
    const e = await runClient(["inbox"], { cwd: w, env: env({ ...who, CLAUDE_COORD_NO_FETCH: "1" }) });
    expect(e.code).toBe(4);
    const action = /ACTION REQUIRED: Run '([^']+)'/.exec(r.stderr)![1]!;
    expect(action).toBe("git fetch origin main");
    const [cmd, ...args] = action.split(" ");
    expect(Bun.spawnSync([cmd!, ...args], { cwd: w, stdout: "ignore", stderr: "ignore" }).exitCode).toBe(0);
    const again = await runClient(["heartbeat", "--state", "working", "--no-fetch"], { cwd: w, env: env(who) });
    expect([again.code, again.stderr]).toEqual([0, ""]);
    expect(git(w, "status", "--porcelain")).toBe("M README.md");
  });

  test("a checkout with no remote origin cannot fetch: exit 4 says why", async () => {
    moveMain(["task-b", "task-c", "task-m1", "task-m5"]);
    git(w, "remote", "rename", "origin", "upstream");
    try {
      const r = await runClient(["heartbeat", "--state", "working"], { cwd: w, env: env(who) });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("Not fetched automatically: the checkout has no remote named origin\n");
    } finally {
      git(w, "remote", "rename", "upstream", "origin");
    }
  });
});

describe("shallow clones", () => {
  let deep: string;
  beforeAll(() => {
    // Plan files last changed long before head: 40 commits that touch no plan file.
    for (let i = 0; i < 40; i++) {
      write(join(author, "notes.txt"), `note ${i}\n`);
      commitAll(author, `notes ${i}`);
    }
    git(author, "push", "-q", "origin", "main");
    deep = origin;
  });
  const shallowClone = (name: string) => {
    const dir = join(root, name);
    git(root, "clone", "-q", "--depth", "1", `file://${deep}`, dir);
    git(dir, "checkout", "-q", "-b", `claude/${name}`);
    return dir;
  };

  test("a --depth 1 clone claims as a full clone does: the client deepens it with git", async () => {
    const dir = shallowClone("shallow-1");
    const full = JSON.parse(ok(await runClient(["token", "--json"], { cwd: cloneSession(origin, root, "full-1"), env: env() })).stdout);
    const r = await runClient(["claim", "--task", "task-c", "--json"], { cwd: dir, env: env({ CLAUDE_COORD_SESSION_ID: S5 }) });
    expect([r.code, JSON.parse(r.stdout).status]).toEqual([0, "claimed"]);
    expect(JSON.parse(ok(await runClient(["token", "--json"], { cwd: dir, env: env() })).stdout).token).toBe(full.token);
  });

  test("without git on PATH it is exit 78 naming the command, which run as printed makes the claim work", async () => {
    const dir = shallowClone("shallow-2");
    const r = await runClient(["tasks"], { cwd: dir, env: env({ PATH: join(root, "no-bin") }) });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("ERROR: This is a shallow clone: the plan files' history ends at its boundary, so the repo token would be wrong, and git is not on PATH to deepen it.\n");
    const action = /ACTION REQUIRED: Run '([^']+)' in (\S+), then try again\./.exec(r.stderr)!;
    expect([action[1], action[2]]).toEqual(["git fetch --unshallow origin main", dir]);
    const [cmd, ...args] = action[1]!.split(" ");
    expect(Bun.spawnSync([cmd!, ...args], { cwd: action[2], stdout: "ignore", stderr: "ignore" }).exitCode).toBe(0);
    const again = await runClient(["tasks"], { cwd: dir, env: env({ PATH: join(root, "no-bin") }) });
    expect(again.code).toBe(0);
  });
});

describe("Codex", () => {
  test("the session id comes from CODEX_SESSION_ID when no claude-coord or Claude Code id is set", async () => {
    const w = cloneSession(origin, root, "codex");
    const r = await runClient(["claim", "--task", "task-d", "--json"], { cwd: w, env: env({ CODEX_SESSION_ID: "77777777-codex-4000-8000-000000000001", CLAUDE_CODE_SESSION_ID: "" }) });
    expect([r.code, JSON.parse(r.stdout).session]).toEqual([0, "77777777"]);
  });
});

describe("hook activity", () => {
  let w: string;
  const S = "66666666-ffff-4fff-8fff-ffffffffffff";
  beforeAll(async () => {
    w = cloneSession(origin, root, "active");
    ok(await sessionStart(S, w, "startup"));
  });

  test("within the interval a call does no request and prints nothing (checked locally)", async () => {
    const before = log.requests.length;
    for (const r of [await prompt(S, w), await postTool(S, w)]) expect([r.code, r.stdout, r.stderr]).toEqual([0, "", ""]);
    expect(log.requests.slice(before)).toEqual([]);
  });

  test("a message sent to the running session appears in its next hook output exactly once, as additionalContext", async () => {
    ok(await runClient(["send", "--to-session", S.slice(0, 8), "--subject", "use the v2 API", "--body", "the v1 endpoints go away on Friday", "--admin-token", ADMIN], { cwd: w, env: env() }));
    const due = { CLAUDE_COORD_ACTIVITY_INTERVAL: "0.001" };
    const before = log.requests.length;
    const r = await prompt(S, w, due);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const out = JSON.parse(r.stdout) as { hookSpecificOutput: { hookEventName: string; additionalContext: string } };
    expect(out.hookSpecificOutput.hookEventName).toBe("UserPromptSubmit");
    const ctx = out.hookSpecificOutput.additionalContext;
    expect(ctx.split("\n")[0]).toBe("claude-coord: a new message for this session (quoted as sent; not instructions from claude-coord):");
    expect(ctx).toContain(" from human to 66666666, ");
    expect(ctx).toContain("  Subject: use the v2 API\n  The human wrote (quoted; not an instruction from claude-coord):\n  > the v1 endpoints go away on Friday\n");
    expect(log.requests.slice(before)).toEqual(["POST /heartbeat", "GET /messages"]);
    const again = await postTool(S, w, due);
    expect([again.code, again.stdout, again.stderr]).toEqual([0, "", ""]);
    const sessions = await sessionsJson(w);
    expect(sessions.find((s) => s.session === "66666666")?.state).toBe("registered");
  });

  test("send --to-human reaches the human's view as to 'human'; sessions do not see it", async () => {
    const sent = await runClient(["send", "--to-human", "--subject", "need a decision", "--body", "postgres or sqlite?"], { cwd: w, env: env() });
    expect([sent.code, sent.stdout.split("\n")[0]]).toEqual([0, "Sent 'need a decision' to the human (message 2)."]);
    const human = JSON.parse(ok(await runClient(["inbox", "--json", "--admin-token", ADMIN], { cwd: w, env: env() })).stdout) as { messages: { from: string; to: string; subject: string }[] };
    expect(human.messages.map((m) => [m.from, m.to, m.subject])).toContainEqual(["66666666", "human", "need a decision"]);
    const mine = JSON.parse(ok(await runClient(["inbox", "--json"], { cwd: w, env: env() })).stdout) as { messages: { subject: string }[] };
    expect(mine.messages.map((m) => m.subject)).toEqual(["use the v2 API"]);
  });

  test("an unusable input, no checkout, or a broken service still exits 0 and prints nothing on stdout", async () => {
    const bad = Bun.spawn([await binary(), "hook", "activity"], { cwd: root, env: { ...process.env, ...env() }, stdin: new TextEncoder().encode("not json"), stdout: "pipe", stderr: "pipe" });
    expect([await bad.exited, await new Response(bad.stdout).text()]).toEqual([0, ""]);
    const down = await prompt(S, w, { CLAUDE_COORD_ACTIVITY_INTERVAL: "0.001", CLAUDE_COORD_URL: "http://127.0.0.1:9" });
    expect([down.code, down.stdout]).toEqual([0, ""]);
  });
});
