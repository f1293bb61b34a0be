// `claude-coord expire` end to end: repo token without admin tokens; 77 without the admin token when the service has them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cloneSession, makeOrigin, runClient, startService, tempDir } from "../helpers/e2e.ts";

const ADMIN = "operator-token-0123456789";
let root: string;
let origin: string;
let work: string;

beforeAll(() => {
  root = tempDir("expire");
  ({ origin } = makeOrigin(root));
  work = cloneSession(origin, root, "w");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("without admin tokens: expire by task and by session prefix with the repo token; ambiguous and unknown prefixes", async () => {
  const service = await startService(["--port", "0", "--db", join(root, "open.db"), "--repo", `acme/x=${origin}`]);
  try {
    const env = (s?: string) => ({ CLAUDE_COORD_REPO: "acme/x", CLAUDE_COORD_URL: service.url, ...(s ? { CLAUDE_COORD_SESSION_ID: s } : {}) });
    expect((await runClient(["claim", "--task", "task-a"], { cwd: work, env: env("abcdefgh-0001") })).code).toBe(0);
    expect((await runClient(["claim", "--task", "task-b"], { cwd: work, env: env("abcdefgh-0002") })).code).toBe(0);
    const r = await runClient(["expire", "--task", "task-a"], { cwd: work, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Expired the claim on task 'task-a' (session abcdefgh, branch claude/w).\n\nThe task is open again (its dependents stay blocked): claude-coord tasks\n");
    const listed = JSON.parse((await runClient(["claims", "--json"], { cwd: work, env: env() })).stdout);
    expect(listed.recently_completed.map((c: { task_id: string; completion_reason: string }) => [c.task_id, c.completion_reason])).toEqual([["task-a", "admin_expired"]]);
    expect((await runClient(["claim", "--task", "task-c"], { cwd: work, env: env("abcdefgh-0003") })).code).toBe(0);
    const amb = await runClient(["expire", "--session", "abcdefgh", "--json"], { cwd: work, env: env() });
    expect([amb.code, JSON.parse(amb.stdout).status, JSON.parse(amb.stdout).sessions]).toEqual([64, "ambiguous", ["abcdefgh", "abcdefgh"]]);
    const bySession = await runClient(["expire", "--session", "abcdefgh-0002", "--json"], { cwd: work, env: env() });
    expect([bySession.code, JSON.parse(bySession.stdout)]).toEqual([0, { status: "expired", task_id: "task-b", session: "abcdefgh", branch: "claude/w" }]);
    const none = await runClient(["expire", "--task", "task-a"], { cwd: work, env: env() });
    expect(none.code).toBe(6);
    expect(none.stderr).toContain("ERROR: No active claim for task 'task-a'.");
  } finally {
    await service.stop();
  }
});

test("with admin tokens: no or a wrong admin token exits 77 and changes nothing; the right one expires", async () => {
  const config = join(root, "service.toml");
  writeFileSync(config, `[server]\nport = 0\ndatabase = "admin.db"\nadmin_tokens = ["${ADMIN}"]\n[[repos]]\nname = "acme/x"\nsource = "${origin}"\n`);
  const service = await startService(["--config", config]);
  try {
    expect(service.output()).not.toContain("No [server] admin_tokens configured");
    const env = { CLAUDE_COORD_REPO: "acme/x", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: "holder-session" };
    expect((await runClient(["claim", "--task", "task-a"], { cwd: work, env })).code).toBe(0);
    const none = await runClient(["expire", "--task", "task-a"], { cwd: work, env });
    expect(none.code).toBe(77);
    expect(none.stderr).toContain("ERROR: Expiring a claim requires an admin token");
    expect((await runClient(["expire", "--task", "task-a", "--admin-token", "wrong-token-000000000"], { cwd: work, env })).code).toBe(77);
    expect(JSON.parse((await runClient(["claims", "--json"], { cwd: work, env })).stdout).active.length).toBe(1);
    const ok = await runClient(["expire", "--task", "task-a", "--json"], { cwd: work, env: { ...env, CLAUDE_COORD_ADMIN_TOKEN: ADMIN } });
    expect([ok.code, JSON.parse(ok.stdout).status]).toEqual([0, "expired"]);
  } finally {
    await service.stop();
  }
});
