// `claude-coord expire` end to end: always the admin token (configured or generated at first start), 77 without it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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

test("without admin tokens: the service generates one in its data dir (0600, path logged, token not), the repo token is refused, the generated token expires by task, prefix and full id", async () => {
  const db = join(root, "open.db");
  const service = await startService(["--port", "0", "--db", db, "--repo", `acme/x=${origin}`]);
  try {
    const path = join(`${db}.data`, "admin-token");
    const generated = readFileSync(path, "utf8").trim();
    expect(generated).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(service.output()).toContain(`generated the admin token in ${path}`);
    expect(service.output()).not.toContain(generated);
    const env = (s?: string) => ({ CLAUDE_COORD_REPO: "acme/x", CLAUDE_COORD_URL: service.url, ...(s ? { CLAUDE_COORD_SESSION_ID: s } : {}) });
    const admin = { ...env(), CLAUDE_COORD_ADMIN_TOKEN: generated };
    expect((await runClient(["claim", "--task", "task-a"], { cwd: work, env: env("abcdefgh-0001-session") })).code).toBe(0);
    expect((await runClient(["claim", "--task", "task-b"], { cwd: work, env: env("bcdefghi-0002-session") })).code).toBe(0);
    expect((await runClient(["claim", "--task", "task-c"], { cwd: work, env: env("cdefghij-0003-session") })).code).toBe(0);
    const refused = await runClient(["expire", "--task", "task-a"], { cwd: work, env: env() });
    expect([refused.code, refused.stderr.split("\n")[0]]).toEqual([77, "ERROR: Expiring a claim requires an admin token: send 'Authorization: Bearer <admin token>'."]);
    const r = await runClient(["expire", "--task", "task-a"], { cwd: work, env: admin });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Expired the claim on task 'task-a' (session abcdefgh, branch claude/w).\n\nThe task is open again (its dependents stay blocked): claude-coord tasks\n");
    const listed = JSON.parse((await runClient(["claims", "--json"], { cwd: work, env: env() })).stdout);
    expect(listed.recently_completed.map((c: { task_id: string; completion_reason: string }) => [c.task_id, c.completion_reason])).toEqual([["task-a", "admin_expired"]]);
    const byPrefix = await runClient(["expire", "--session", "bcdefghi", "--json"], { cwd: work, env: admin });
    expect([byPrefix.code, JSON.parse(byPrefix.stdout)]).toEqual([0, { status: "expired", task_id: "task-b", session: "bcdefghi", branch: "claude/w" }]);
    const partial = await runClient(["expire", "--session", "cdefghij-0003", "--json"], { cwd: work, env: admin });
    expect([partial.code, JSON.parse(partial.stdout).field]).toEqual([64, "session"]);
    const byId = await runClient(["expire", "--session", "cdefghij-0003-session", "--json"], { cwd: work, env: admin });
    expect([byId.code, JSON.parse(byId.stdout).task_id]).toEqual([0, "task-c"]);
    const none = await runClient(["expire", "--task", "task-a"], { cwd: work, env: admin });
    expect(none.code).toBe(6);
    expect(none.stderr).toContain("ERROR: No active claim for task 'task-a'.");
  } finally {
    await service.stop();
  }
  const again = await startService(["--port", "0", "--db", db, "--repo", `acme/x=${origin}`]);
  try {
    expect(again.output()).toContain(`using the admin token in ${join(`${db}.data`, "admin-token")}`);
  } finally {
    await again.stop();
  }
});

test("with admin tokens: no or a wrong admin token exits 77 and changes nothing; the right one expires", async () => {
  const config = join(root, "service.toml");
  writeFileSync(config, `[server]\nport = 0\ndatabase = "admin.db"\nadmin_tokens = ["${ADMIN}"]\n[[repos]]\nname = "acme/x"\nsource = "${origin}"\n`);
  const service = await startService(["--config", config]);
  try {
    expect(service.output()).not.toContain("No [server] admin_tokens configured");
    const env = { CLAUDE_COORD_REPO: "acme/x", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: "holder-session-0001" };
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
