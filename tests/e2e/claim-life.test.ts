// A claim's life end to end (SPEC §10): the compiled service on the fake GitHub, clients on clones — outcomes of expire, release, complete --pr and pull requests merged or closed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { cloneSession, commitAll, git, makeOrigin, type RunResult, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

const REPO = "octo-org/life";
const SECRET = "whsec-life-0123456789abcdef";
const ADMIN = "life-admin-token-0123456789abcdef";
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const C = "cccccccc-3333-4333-8333-333333333333";
const D = "dddddddd-4444-4444-8444-444444444444";

const PLAN = {
  plan_name: "life",
  tasks: [
    { id: "t-expire", name: "Expired by the operator", status: "pending", priority: 1, blocked_by: null },
    { id: "t-dep", name: "Waits for t-expire", status: "pending", priority: 2, blocked_by: "t-expire" },
    { id: "t-release", name: "Released by its session", status: "pending", priority: 3, blocked_by: null },
    { id: "t-pr", name: "Completed with a PR", status: "pending", priority: 4, blocked_by: null },
    { id: "t-closed", name: "PR closed unmerged", status: "pending", priority: 5, blocked_by: null },
    { id: "t-merged", name: "PR merged", status: "pending", priority: 6, blocked_by: null },
    { id: "t-done", name: "Marked complete in the plan", status: "complete", priority: 7, blocked_by: null },
  ],
};

let root: string;
let fake: FakeGitHub;
let service: ServiceProcess;
const clones: Record<string, string> = {};
const env = (session: string) => ({ CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: session, CLAUDE_COORD_ADMIN_TOKEN: "" });
const ok = (r: RunResult) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
};
const run = (args: string[], who: string, session: string, extra: Record<string, string> = {}) => runClient(args, { cwd: clones[who]!, env: { ...env(session), ...extra } });
/** `tasks --json`, limited to this plan's tasks (makeOrigin's other plan files have their own). */
async function tasks(): Promise<{ available: { id: string }[]; blocked: { id: string; blocked_by: string[] }[]; by_status: Record<string, { id: string }[]>; recently_completed: { task_id: string; completion_reason: string; outcome: string; pr_url: string | null }[] }> {
  const d = JSON.parse(ok(await run(["tasks", "--json"], "a", A)).stdout);
  return { ...d, available: d.available.filter((t: { id: string }) => t.id.startsWith("t-")) };
}
async function webhook(event: string, id: string, payload: unknown): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${service.url}/webhooks/github`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": id, "x-hub-signature-256": await sign(SECRET, body) },
    body,
  });
  return { status: res.status, body: await res.json() };
}
const closedPr = (branch: string, merged: boolean) => ({
  action: "closed",
  repository: { full_name: REPO },
  pull_request: { merged, head: { ref: branch, repo: { full_name: REPO } } },
});

beforeAll(async () => {
  root = tempDir("claim-life");
  fake = startFakeGitHub();
  const bare = fake.createRepo(REPO);
  const { origin, work } = makeOrigin(root);
  write(join(work, "context", "plan.json"), `${JSON.stringify(PLAN, null, 2)}\n`);
  commitAll(work, "life plan");
  git(work, "push", "-q", "origin", "main");
  git(origin, "push", "-q", "--mirror", bare);
  const config = join(root, "service.toml");
  writeFileSync(
    config,
    `[server]\nport = 0\ndatabase = "coord.db"\nadmin_tokens = ["${ADMIN}"]\n[github]\ntoken = "${fake.pat}"\napi_url = "${fake.api_url}"\nwebhook_secret = "${SECRET}"\n[[repos]]\nname = "${REPO}"\nhead_ttl = "1h"\n`,
  );
  service = await startService(["--config", config], { cwd: root });
  for (const who of ["a", "b", "c", "d"]) clones[who] = cloneSession(bare, root, who);
});
afterAll(async () => {
  await service?.stop();
  fake?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("outcomes: what frees a task and what finishes it", () => {
  test("an operator's expire frees the task: available again at once, and its dependent stays blocked", async () => {
    ok(await run(["claim", "--task", "t-expire"], "a", A));
    const x = await run(["expire", "--task", "t-expire", "--admin-token", ADMIN], "a", A);
    expect([x.code, x.stdout]).toEqual([0, "Expired the claim on task 't-expire' (session aaaaaaaa, branch claude/a).\n\nThe task is open again (its dependents stay blocked): claude-coord tasks\n"]);
    const t = await tasks();
    expect(t.available.map((x) => x.id)).toContain("t-expire");
    expect(t.blocked).toEqual([expect.objectContaining({ id: "t-dep", blocked_by: ["t-expire"] })]);
    expect(t.recently_completed.map((c) => [c.task_id, c.completion_reason, c.outcome])).toEqual([["t-expire", "admin_expired", "freed"]]);
    const s = JSON.parse(ok(await run(["sessions", "--json"], "a", A)).stdout) as { sessions: { session: string; task_id: string | null; state: string }[] };
    expect(s.sessions.find((x) => x.session === "aaaaaaaa")).toMatchObject({ task_id: null, state: "registered" });
  });

  test("a released task is available again at once; the old owner's release again is exit 6", async () => {
    ok(await run(["claim", "--task", "t-release"], "a", A));
    const r = await run(["release", "--task", "t-release"], "a", A);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      0,
      "Released task 't-release'. It is open again: any session can claim it now (its dependents stay blocked).\n\nThis session holds no claim now. To take another task: claude-coord tasks\n",
      "",
    ]);
    expect((await tasks()).available.map((x) => x.id)).toEqual(["t-expire", "t-release", "t-pr", "t-closed", "t-merged"]);
    const again = await run(["release", "--task", "t-release"], "a", A);
    expect(again.code).toBe(6);
    expect(again.stderr).toContain("ERROR: No active claim for task 't-release'.");
  });

  test("complete --pr keeps the PR link: claims, tasks and board show it, and the task counts as done", async () => {
    ok(await run(["claim", "--task", "t-pr"], "b", B));
    const c = await run(["complete", "--task", "t-pr", "--pr", "https://github.com/octo-org/life/pull/7"], "b", B);
    expect([c.code, c.stdout.split("\n")[0]]).toEqual([0, "Completed task 't-pr' with PR https://github.com/octo-org/life/pull/7. It is listed under recently completed for 24 hours."]);
    ok(await run(["claim", "--task", "t-closed"], "b", B));
    const listing = ok(await run(["claims"], "a", A)).stdout;
    expect(listing).toMatch(/ {2}- t-pr \(client_completed, done, \S+, branch claude\/b, PR https:\/\/github\.com\/octo-org\/life\/pull\/7\)/);
    expect(ok(await run(["board"], "a", A)).stdout).toContain("[PR](https://github.com/octo-org/life/pull/7)");
    const t = await tasks();
    expect(t.recently_completed.find((x) => x.task_id === "t-pr")).toMatchObject({ outcome: "done", pr_url: "https://github.com/octo-org/life/pull/7" });
    expect(t.available.map((x) => x.id)).not.toContain("t-pr");
    const bad = await run(["complete", "--task", "t-closed", "--pr", "not-a-url"], "b", B);
    expect([bad.code, bad.stderr.split("\n")[0]]).toEqual([64, "ERROR: --pr must be an http(s) URL, got 'not-a-url'."]);
  });

  test("a pull request closed without merging frees its branch's task; a merged one finishes it", async () => {
    const closed = await webhook("pull_request", "life-pr-closed", closedPr("claude/b", false));
    expect(closed).toEqual({ status: 200, body: { status: "ok", event: "pull_request", delivery: "life-pr-closed", completed: ["t-closed"] } });
    ok(await run(["claim", "--task", "t-merged"], "c", C));
    const merged = await webhook("pull_request", "life-pr-merged", closedPr("claude/c", true));
    expect(merged).toEqual({ status: 200, body: { status: "ok", event: "pull_request", delivery: "life-pr-merged", completed: ["t-merged"] } });
    const t = await tasks();
    expect(t.recently_completed.filter((x) => x.task_id === "t-closed" || x.task_id === "t-merged").map((c) => [c.task_id, c.completion_reason, c.outcome])).toEqual([
      ["t-closed", "branch_removed", "freed"],
      ["t-merged", "branch_removed", "done"],
    ]);
    expect(t.available.map((x) => x.id)).toEqual(["t-expire", "t-release", "t-closed"]);
    const again = JSON.parse(ok(await run(["claim", "--task", "t-closed", "--json"], "d", D)).stdout);
    expect([again.status, again.task_id]).toEqual(["claimed", "t-closed"]);
  });
});

describe("the errors of SPEC §10", () => {
  const E = "eeeeeeee-5555-4555-8555-555555555555";
  const F = "ffffffff-6666-4666-8666-666666666666";

  test("exit 1 of claim --task points at 'claude-coord tasks', which run as printed lists what is free", async () => {
    const r = await run(["claim", "--task", "t-closed"], "a", E);
    expect(r.code).toBe(1);
    const action = /ACTION REQUIRED: Run '([^']+)'/.exec(r.stderr)![1]!;
    expect(action).toBe("claude-coord tasks");
    const listed = await run(action.split(" ").slice(1), "a", E);
    expect([listed.code, listed.stdout]).toEqual([0, expect.stringContaining("t-closed by session dddddddd")]);
  });

  test("claiming a task the plan marks complete, or a blocked one, warns on stderr and still claims", async () => {
    const done = await run(["claim", "--task", "t-done"], "a", E);
    expect([done.code, done.stderr]).toEqual([0, "WARNING: the plan marks task 't-done' complete (context/plan.json); claimed it anyway. If it is really done, run: claude-coord release --task t-done\n"]);
    ok(await run(["release", "--task", "t-done"], "a", E));
    const blocked = await run(["claim", "--task", "t-dep"], "a", E);
    expect([blocked.code, blocked.stderr]).toEqual([0, "WARNING: task 't-dep' is blocked by t-expire, which is not finished; claimed it anyway.\n"]);
  });

  test("claim --next while holding a claim is exit 3 (not 1), naming the held task", async () => {
    const r = await run(["claim", "--next"], "a", E);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Current claim:\n  Task: t-dep\n");
  });

  test("a cancelled session still holding a claim is told to release it, and the printed command frees the task", async () => {
    const r = await run(["heartbeat", "--state", "cancelled"], "a", E);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("WARNING: this session still holds the claim on task 't-dep', so no other session can take it. To give it back: claude-coord release --task t-dep\n");
    const action = /To give it back: (claude-coord .+)$/m.exec(r.stderr)![1]!;
    const released = await run(action.split(" ").slice(1), "a", E);
    expect([released.code, released.stdout.split("\n")[0]]).toEqual([0, "Released task 't-dep'. It is open again: any session can claim it now (its dependents stay blocked)."]);
  });

  test("exit 5 says where the repo name came from: the flag, the environment, or the config file", async () => {
    const flag = await run(["claims", "--repo", "acme/nope"], "a", F);
    expect([flag.code, flag.stderr.split("\n").slice(0, 2)]).toEqual([5, ["ERROR: Repository 'acme/nope' is not configured for coordination.", "The name 'acme/nope' came from the --repo flag."]]);
    const envr = await run(["claims"], "a", F, { CLAUDE_COORD_REPO: "acme/nope" });
    expect(envr.stderr.split("\n")[1]).toBe("The name 'acme/nope' came from the environment variable CLAUDE_COORD_REPO.");
    writeFileSync(join(clones.a!, ".claude-coord.toml"), 'repo = "acme/from-file"\n');
    try {
      const file = await run(["claims"], "a", F, { CLAUDE_COORD_REPO: "" });
      expect([file.code, file.stderr.split("\n")[1]]).toEqual([5, `The name 'acme/from-file' came from ${join(clones.a!, ".claude-coord.toml")}.`]);
    } finally {
      rmSync(join(clones.a!, ".claude-coord.toml"));
    }
  });

  test("a --to-session error names the flag, not the body field", async () => {
    const r = await run(["send", "--to-session", "short", "--subject", "s", "--body", "b"], "a", E);
    expect(r.code).toBe(64);
    expect(r.stderr.split("\n")[0]).toBe('ERROR: --to-session "short": must be a session\'s 8-character prefix, as listings show it, or its full id (at least 16 characters).');
  });
});
