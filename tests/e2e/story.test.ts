// The seed's whole story end to end: the compiled binary as service and as clients, on a real git origin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cloneSession, commitAll, git, makeOrigin, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
let root: string;
let origin: string;
let author: string;
let service: ServiceProcess;
let sa: string;
let sb: string;
let envA: Record<string, string>;
let envB: Record<string, string>;

beforeAll(async () => {
  root = tempDir("story");
  ({ origin, work: author } = makeOrigin(root));
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/widgets=${origin}`]);
  sa = cloneSession(origin, root, "a");
  sb = cloneSession(origin, root, "b");
  // Session A is configured by the repo's .claude-coord.toml, session B by the environment.
  writeFileSync(join(sa, ".claude-coord.toml"), `repo = "acme/widgets"\nservice_url = "${service.url}"\n`);
  envA = { CLAUDE_COORD_SESSION_ID: A };
  envB = { CLAUDE_COORD_REPO: "acme/widgets", CLAUDE_COORD_URL: service.url, CLAUDE_CODE_SESSION_ID: B };
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("the seed's story", () => {
  test("claims lists nothing at first", async () => {
    const r = await runClient(["claims"], { cwd: sa, env: envA });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("=== Coordination State: acme/widgets (main at ");
    expect(r.stdout).toContain("Active claims:\n  (none)\n\nRecently completed:\n  (none)\n\nTo claim a task: claude-coord claim --task <task-id>");
    const j = await runClient(["claims", "--json"], { cwd: sa, env: envA });
    expect([j.code, JSON.parse(j.stdout)]).toEqual([0, { active: [], recently_completed: [] }]);
  });

  test("session A claims task-a: exit 0 with fence 1 and the plan file found at main", async () => {
    const r = await runClient(["claim", "--task", "task-a", "--json"], { cwd: sa, env: envA });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ status: "claimed", task_id: "task-a", fence: 1, plan_file: "context/plan.json", branch: "claude/a", session: "aaaaaaaa" });
    const again = await runClient(["claim", "--task", "task-a"], { cwd: sa, env: envA });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      "Claimed task 'task-a' (fence 1) for session aaaaaaaa on branch claude/a.\nPlan file: context/plan.json\n\nWhen the work is merged, run: claude-coord complete --task task-a\n",
    );
  });

  test("session B claiming task-a gets exit 1 showing who holds it", async () => {
    const r = await runClient(["claim", "--task", "task-a"], { cwd: sb, env: envB });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^ERROR: Task 'task-a' is already claimed\.\n\nClaimed by:\n  Session: aaaaaaaa\.\.\.\n  Branch: claude\/a\n  Claimed at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n\nACTION REQUIRED: Run 'claude-coord tasks' to see the available tasks, then claim one of them \(or run 'claude-coord claim --next' to take the first available\)\.\n$/,
    );
    expect(r.stderr).not.toContain(A);
    const j = await runClient(["claim", "--task", "task-a", "--json"], { cwd: sb, env: envB });
    expect(j.code).toBe(1);
    const body = JSON.parse(j.stdout);
    expect([body.status, body.claimed_by.session, body.claimed_by.branch]).toEqual(["conflict", "aaaaaaaa", "claude/a"]);
  });

  test("session A claiming another task gets exit 3 naming its current claim", async () => {
    const r = await runClient(["claim", "--task", "task-b"], { cwd: sa, env: envA });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("ERROR: This session already has an active claim.\n\nCurrent claim:\n  Task: task-a\n  Branch: claude/a\n");
    expect(r.stderr).toContain("ACTION REQUIRED: Complete your current task and merge the branch");
  });

  test("session B completing A's task gets exit 6", async () => {
    const r = await runClient(["complete", "--task", "task-a"], { cwd: sb, env: envB });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("ERROR: Task 'task-a' is claimed by a different session.");
    const j = await runClient(["complete", "--task", "task-a", "--json"], { cwd: sb, env: envB });
    expect([j.code, JSON.parse(j.stdout).status]).toEqual([6, "forbidden"]);
  });

  test("the owner completes: exit 0, then listed under recently_completed with client_completed", async () => {
    const r = await runClient(["complete", "--task", "task-a"], { cwd: sa, env: envA });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Completed task 'task-a'.");
    const j = await runClient(["claims", "--json"], { cwd: sb, env: envB });
    const body = JSON.parse(j.stdout);
    expect(body.active).toEqual([]);
    expect(body.recently_completed.map((c: Record<string, unknown>) => [c.task_id, c.session, c.branch, c.completion_reason, c.fence])).toEqual([
      ["task-a", "aaaaaaaa", "claude/a", "client_completed", 1],
    ]);
    const t = await runClient(["claims"], { cwd: sb, env: envB });
    expect(t.stdout).toContain("Recently completed:\n  - task-a (client_completed, done, ");
  });

  test("main moves after B started: with fetching off, exit 4 with both shas; after the printed git fetch the claim works", async () => {
    const before = git(sb, "rev-parse", "origin/main");
    write(join(author, "context", "plan.json"), `${JSON.stringify({ tasks: [{ id: "task-c", status: "pending" }, { id: "task-e", status: "pending" }] })}\n`);
    const moved = commitAll(author, "replan");
    git(author, "push", "-q", "origin", "main");
    const r = await runClient(["claim", "--task", "task-c"], { cwd: sb, env: { ...envB, CLAUDE_COORD_NO_FETCH: "1" } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`ERROR: Repository state has changed since session start.\n\nYour local state is at commit: ${before}\nCurrent main branch is at:     ${moved}\n`);
    expect(r.stderr).toContain("ACTION REQUIRED: Run 'git fetch origin main' (it updates origin/main only; your worktree and uncommitted changes are not touched), then run the same claude-coord command again.");
    const j = await runClient(["claims", "--json", "--no-fetch"], { cwd: sb, env: envB });
    expect(j.code).toBe(4);
    expect(JSON.parse(j.stdout)).toEqual({
      status: "stale_token",
      message: "Repository state has changed since session start.",
      current_commit: moved,
      your_commit: before,
      main_branch: "main",
      not_fetched: "fetching is turned off (--no-fetch or CLAUDE_COORD_NO_FETCH)",
    });
    const action = /ACTION REQUIRED: Run '([^']+)'/.exec(r.stderr)![1]!;
    const [cmd, ...args] = action.split(" ");
    expect(Bun.spawnSync([cmd!, ...args], { cwd: sb }).exitCode).toBe(0);
    const ok = await runClient(["claim", "--task", "task-c", "--json"], { cwd: sb, env: envB });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ status: "claimed", task_id: "task-c", fence: 2, plan_file: "context/plan.json", branch: "claude/b", session: "bbbbbbbb" });
  });

  test("an unknown repo gets exit 5", async () => {
    const r = await runClient(["claims", "--repo", "acme/unknown"], { cwd: sb, env: envB });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("ERROR: Repository 'acme/unknown' is not configured for coordination.");
    expect(r.stderr).toContain("ACTION REQUIRED: Verify you have the correct repository name in your\n.claude-coord.toml file");
    const j = await runClient(["claims", "--repo", "acme/unknown", "--json"], { cwd: sb, env: envB });
    expect([j.code, JSON.parse(j.stdout).status]).toEqual([5, "repo_not_allowed"]);
  });

  test("a task no plan file defines is claimed as ad-hoc work with a warning", async () => {
    const c = cloneSession(origin, root, "c");
    const r = await runClient(["claim", "--task", "hotfix-42"], { cwd: c, env: { ...envB, CLAUDE_CODE_SESSION_ID: "cccccccc-3333-4333-8333-333333333333" } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("WARNING: no plan file under context/ at main defines task 'hotfix-42'; claiming it as ad-hoc work.\n");
    expect(r.stdout).toContain("Plan file: (none: ad-hoc task)");
  });

  test("with the service stopped every command gets exit 2 and the service-unavailable guidance", async () => {
    await service.stop();
    const r = await runClient(["claims"], { cwd: sb, env: { ...envB, CLAUDE_COORD_TIMEOUT: "2" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ERROR: Coordination service is unavailable.\n\nService URL: ${service.url}\nStatus: Connection failed`);
    expect(r.stderr).toContain("1. Wait and retry later\n2. Proceed without coordination (risk of duplicate work)");
    const j = await runClient(["claim", "--task", "task-e", "--json"], { cwd: sb, env: envB });
    expect([j.code, JSON.parse(j.stdout).status]).toEqual([2, "service_unavailable"]);
  });
});
