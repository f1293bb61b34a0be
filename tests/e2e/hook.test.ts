// `claude-coord hook session-start` with the compiled binary, fed the JSON Claude Code sends: output, saved session id, CLAUDE_ENV_FILE, exit 0 with the service up and down; and the init-written hook script installing the CLI from a local release.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { assetName, hostTarget, targetId } from "../../scripts/targets.ts";
import { WORKFLOW_STEPS } from "../../src/cli/hook.ts";
import { binary, cloneSession, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";
import { FIXTURE_TIMEOUT_MS, type HostReleases, hostReleases } from "../scripts/fixtures.ts";
import { type ReleaseServer, startReleaseServer } from "../scripts/release-server.ts";

setDefaultTimeout(60_000);
const SID = "8db090b6-1b2c-4d5e-9f00-112233445566";
const OTHER = "c0ffee00-0000-4000-8000-000000000001";
let root: string;
let origin: string;
let service: ServiceProcess;
let work: string;
let head: string;

beforeAll(async () => {
  root = tempDir("hook-e2e");
  ({ origin } = makeOrigin(root));
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/widgets=${origin}`]);
  work = cloneSession(origin, root, "web-session");
  const init = await runClient(["init", "--repo", "acme/widgets", "--service-url", service.url], { cwd: work });
  expect(init.code).toBe(0);
  head = Bun.spawnSync(["git", "rev-parse", "origin/main"], { cwd: work }).stdout.toString().trim();
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The plan tasks makeOrigin commits, as the tasks view lists them when none is claimed. */
const AVAILABLE = [
  "  - extra-1: Task extra-1 [priority 1, context/extra.json]",
  "  - old-1: Task old-1 [priority 1, context/old.json]",
  "  - task-a: Task task-a [priority 1, context/plan.json]",
  "  - extra-2: Task extra-2 [priority 2, context/extra.json]",
  "  - task-b: Task task-b [priority 2, context/plan.json]",
  "  - task-c: Task task-c [priority 3, context/plan.json]",
  "  - task-d: Task task-d [priority 4, context/plan.json]",
];

/** The workflow block every session start ends with. */
const WORKFLOW = ["=== claude-coord workflow ===", ...WORKFLOW_STEPS].join("\n");

/** What Claude Code writes on a SessionStart hook's stdin. */
const hookJson = (session_id: string, cwd: string, source = "startup") =>
  JSON.stringify({ session_id, transcript_path: `/root/.claude/projects/x/${session_id}.jsonl`, cwd, hook_event_name: "SessionStart", source });

async function run(cmd: string[], opts: { cwd: string; stdin?: string; env?: Record<string, string>; cleanEnv?: boolean }): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: opts.cleanEnv ? opts.env : { ...process.env, ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

const hook = async (stdin: string | undefined, cwd: string, env: Record<string, string> = {}) => run([await binary(), "hook", "session-start"], { cwd, stdin, env });
const savedFile = () => join(work, ".git", "claude-coord-session-id");

describe("hook session-start", () => {
  test("on startup: the header with the saved session id, then the tasks and claims; exit 0 and nothing on stderr", async () => {
    const envFile = join(root, "claude-env-1");
    const r = await hook(hookJson(SID, work), work, { CLAUDE_ENV_FILE: envFile });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(
      [
        "=== claude-coord: session start (startup) ===",
        `Session: ${SID} (saved in ${savedFile()}: claude-coord claim and complete use it in this worktree)`,
        "Registered: session 8db090b6 is registered on branch claude/web-session.",
        "",
        `=== Tasks: acme/widgets (main at ${head.slice(0, 12)}) ===`,
        "Available (7), by priority:",
        ...AVAILABLE,
        "Claimed (0):",
        "  (none)",
        "",
        "Next: claude-coord claim --next   (claims 'extra-1', or the next one if another session wins it)",
        "",
        "Messages: no unread messages.",
        "",
        WORKFLOW,
        "",
      ].join("\n"),
    );
    expect(readFileSync(savedFile(), "utf8")).toBe(`${SID}\n`);
    expect(readFileSync(envFile, "utf8")).toBe(`export CLAUDE_COORD_SESSION_ID='${SID}'\n`);
  });

  test("claim then uses the saved id with no session variable set, and a resumed session sees its own claim", async () => {
    const claim = await runClient(["claim", "--task", "task-a", "--json"], { cwd: work });
    expect([claim.code, JSON.parse(claim.stdout).session]).toEqual([0, SID.slice(0, 8)]);
    const r = await hook(hookJson(SID, join(work, "context"), "resume"), join(work, "context"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`=== claude-coord: session start (resume) ===\nSession: ${SID} (saved in ${savedFile()}`);
    expect(r.stdout).toMatch(/\nClaimed \(1\):\n {2}- task-a by session 8db090b6 \(this session\) on claude\/web-session since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/);
    expect(r.stdout).toContain(`\nAvailable (6), by priority:\n${AVAILABLE.filter((l) => !l.includes("task-a:")).join("\n")}\n`);
    expect(r.stdout).toContain("\nRegistered: session 8db090b6 is working on branch claude/web-session.\n");
    expect(r.stdout.endsWith(`\n\nNext: this session holds 'task-a'. When it is merged, run: claude-coord complete --task task-a\n\nMessages: no unread messages.\n\n${WORKFLOW}\n`)).toBe(true);
  });

  test("unread messages for this session are shown after the tasks, and stay unread", async () => {
    const sent = await runClient(["send", "--to-session", SID.slice(0, 8), "--subject", "API changed", "--body", "use v2 of the client"], {
      cwd: work,
      env: { CLAUDE_COORD_SESSION_ID: "sender-session-0001" },
    });
    expect(sent.code).toBe(0);
    const r = await hook(hookJson(SID, work, "resume"), work);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`\n\n=== Unread messages for session ${SID.slice(0, 8)}: 1 ===\n`);
    expect(r.stdout).toContain("API changed");
    expect(r.stdout).toContain("use v2 of the client");
    expect(r.stdout.endsWith(`\n\nAfter reading, mark them read: claude-coord inbox --ack\n\n${WORKFLOW}\n`)).toBe(true);
    const again = await hook(hookJson(SID, work, "resume"), work);
    expect(again.stdout).toContain("=== Unread messages for session");
    expect((await runClient(["inbox", "--ack"], { cwd: work })).code).toBe(0);
    expect((await hook(hookJson(SID, work, "resume"), work)).stdout.endsWith(`\n\nMessages: no unread messages.\n\n${WORKFLOW}\n`)).toBe(true);
  });

  test("with the service down: the plan's tasks with claims unknown, then the service-unavailable guidance; exit 0, the session id still saved", async () => {
    const r = await hook(hookJson(OTHER, work, "clear"), work, { CLAUDE_COORD_URL: "http://127.0.0.1:9" });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const tasks = [
      `=== Tasks: acme/widgets (main at ${head.slice(0, 12)}) ===`,
      "Claims: UNKNOWN (the coordination service could not be asked; 'available' may include claimed tasks)",
      "Available (7), by priority:",
      ...AVAILABLE,
      "Claimed (0):",
      "  (none)",
      "",
      "Next: claude-coord claim --next   (claims 'extra-1', or the next one if another session wins it)",
    ].join("\n");
    expect(r.stdout).toMatch(
      new RegExp(
        `^=== claude-coord: session start \\(clear\\) ===\nSession: ${OTHER} \\(saved in .+\\)\nCould not take over from the previous session 8db090b6: Coordination service is unavailable\\. To try again: claude-coord handover --from ${SID}\n\n${RegExp.escape(tasks)}\n\nERROR: Coordination service is unavailable\\.\n\nService URL: http://127\\.0\\.0\\.1:9\nStatus: Connection failed \\(.+\\)\n\nACTION REQUIRED: The coordination service is down\\. Please ask the user whether to:\n1\\. Wait and retry later\n2\\. Proceed without coordination \\(risk of duplicate work\\)\n\nMessages: unknown \\(the coordination service is unavailable\\)\\.\n\n${RegExp.escape(WORKFLOW)}\n$`,
      ),
    );
    expect(readFileSync(savedFile(), "utf8")).toBe(`${OTHER}\n`);
  });

  test("with no stdin, outside any checkout, a repo the service does not whitelist, or a broken config it still exits 0 with the error as context", async () => {
    const none = await hook(undefined, work);
    expect(none.code).toBe(0);
    expect(none.stdout.split("\n").slice(0, 2)).toEqual(["=== claude-coord: session start (unknown) ===", "Session: unknown (no session_id in the hook input). claim and complete need CLAUDE_COORD_SESSION_ID or --session-id."]);
    const outside = join(root, "not-a-repo");
    mkdirSync(outside);
    const o = await hook(hookJson(SID, outside), outside);
    expect([o.code, o.stdout]).toEqual([0, `=== claude-coord: session start (startup) ===\n\nERROR: ${outside} is not inside a git checkout.\n\nACTION REQUIRED: Run claude-coord from inside a clone or worktree of the repository.\n`]);
    const w = await hook(hookJson(SID, work), work, { CLAUDE_COORD_REPO: "acme/unknown" });
    expect([w.code, w.stderr]).toEqual([0, ""]);
    expect(w.stdout).toContain(`\nAvailable (7), by priority:\n`);
    expect(w.stdout.endsWith(`\n\nERROR: Repository 'acme/unknown' is not configured for coordination.\n\nThis coordination service only handles whitelisted repositories.\nContact the service administrator to add this repository.\n\nACTION REQUIRED: Verify you have the correct repository name in your\n.claude-coord.toml file, or proceed without coordination for this project.\n\nMessages: unknown (Repository 'acme/unknown' is not configured for coordination.)\n\n${WORKFLOW}\n`)).toBe(true);
    const t = await hook(hookJson(SID, work), work, { CLAUDE_COORD_TIMEOUT: "soon" });
    expect([t.code, t.stdout]).toEqual([0, "=== claude-coord: session start (startup) ===\n\nERROR: CLAUDE_COORD_TIMEOUT must be a positive number of seconds (decimals allowed), got 'soon'.\n\nACTION REQUIRED: Fix the configuration named above, then run the command again.\n"]);
  });

  test("an unknown hook event is a usage error (exit 64)", async () => {
    const r = await run([await binary(), "hook", "no-such-event"], { cwd: work });
    expect([r.code, r.stdout, r.stderr]).toEqual([64, "", "ERROR: Unknown hook event 'no-such-event'; the events are: session-start, activity, pre-tool-use.\n\nACTION REQUIRED: Use 'claude-coord hook session-start' as the command of a SessionStart hook.\n"]);
    const missing = await run([await binary(), "hook"], { cwd: work });
    expect(missing.code).toBe(64);
  });
});

describe("the hook script init writes", () => {
  let releases: HostReleases;
  let server: ReleaseServer;
  beforeAll(async () => {
    releases = await hostReleases();
    server = startReleaseServer({ releases: [{ version: releases.version, dir: releases.latest.out_dir }], latest: releases.version, packages: releases.packages });
  }, FIXTURE_TIMEOUT_MS);
  afterAll(() => server?.stop());

  test("with claude-coord on PATH it runs the hook command directly", async () => {
    const r = await run([join(work, ".claude", "hooks", "session-start-coord.sh")], {
      cwd: work,
      stdin: hookJson(SID, work),
      cleanEnv: true,
      env: { PATH: `${dirname(await binary())}:/usr/bin:/bin`, HOME: join(root, "home-path") },
    });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.startsWith(`=== claude-coord: session start (startup) ===\nSession: ${SID} (saved in ${savedFile()}`)).toBe(true);
    expect(r.stdout).toContain("\n\n=== Tasks: acme/widgets (main at ");
  });

  test("without it, the script installs the CLI through install.sh (local release), puts it on the session's PATH and prints the state", async () => {
    const home = join(root, "home-fresh");
    mkdirSync(home);
    const envFile = join(root, "claude-env-fresh");
    const r = await run([join(work, ".claude", "hooks", "session-start-coord.sh")], {
      cwd: work,
      stdin: hookJson(SID, work),
      cleanEnv: true,
      env: {
        PATH: "/usr/bin:/bin",
        HOME: home,
        CLAUDE_ENV_FILE: envFile,
        CLAUDE_COORD_INSTALL_URL: `${server.url}/install.sh`,
        CLAUDE_COORD_RELEASE_URL: server.releases,
        CLAUDE_COORD_NPM_REGISTRY: server.registry,
      },
    });
    const bin = join(home, ".local", "bin");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [
        `claude-coord: installing into ${bin} from ${server.url}/install.sh`,
        `Downloading ${assetName(hostTarget())} (claude-coord ${releases.version}) from ${server.releases}/download/v${releases.version} ...`,
        `Installed claude-coord ${releases.version} (${targetId(hostTarget())}, from the GitHub release v${releases.version}) at ${bin}/claude-coord`,
        "",
        `${bin} is not on your PATH. Add it (and put the same line in ~/.profile, ~/.bashrc or ~/.zshrc):`,
        `  export PATH="${bin}:$PATH"`,
        "",
      ].join("\n"),
    );
    expect(r.stdout.startsWith(`=== claude-coord: session start (startup) ===\nSession: ${SID} (saved in ${savedFile()}`)).toBe(true);
    expect(r.stdout).toContain("\n\n=== Tasks: acme/widgets (main at ");
    expect(existsSync(join(bin, "claude-coord"))).toBe(true);
    expect(readFileSync(envFile, "utf8")).toBe(`export PATH="${bin}:$PATH"\nexport CLAUDE_COORD_SESSION_ID='${SID}'\n`);
  });
});
