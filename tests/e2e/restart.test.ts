// Restarts of the compiled service: claims and fences survive, and two services racing on one new database both come up.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { cloneSession, makeOrigin, runClient, startService, tempDir } from "../helpers/e2e.ts";
import { MIGRATIONS } from "../../src/storage/migrations.ts";

let root: string;
let origin: string;
let work: string;

beforeAll(() => {
  root = tempDir("restart");
  ({ origin } = makeOrigin(root));
  work = cloneSession(origin, root, "w");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("claims and fences survive stopping and starting the service", async () => {
  const db = join(root, "restart.db");
  const args = ["--port", "0", "--db", db, "--repo", `acme/r=${origin}`];
  let service = await startService(args);
  const env = (s: string) => ({ CLAUDE_COORD_REPO: "acme/r", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: s });
  expect(JSON.parse((await runClient(["claim", "--task", "task-a", "--json"], { cwd: work, env: env("one-session-0001") })).stdout).fence).toBe(1);
  expect(JSON.parse((await runClient(["claim", "--task", "task-b", "--json"], { cwd: work, env: env("two-session-0002") })).stdout).fence).toBe(2);
  expect((await runClient(["complete", "--task", "task-b"], { cwd: work, env: env("two-session-0002") })).code).toBe(0);
  expect(await service.stop()).toBe(0);

  service = await startService(args);
  try {
    const listed = JSON.parse((await runClient(["claims", "--json"], { cwd: work, env: env("one-session-0001") })).stdout);
    expect(listed.active.map((c: { task_id: string; fence: number }) => [c.task_id, c.fence])).toEqual([["task-a", 1]]);
    expect(listed.recently_completed.map((c: { task_id: string; fence: number }) => [c.task_id, c.fence])).toEqual([["task-b", 2]]);
    const again = await runClient(["claim", "--task", "task-c", "--json"], { cwd: work, env: env("three-session-0003") });
    expect(JSON.parse(again.stdout).fence).toBe(3);
    const conflict = await runClient(["claim", "--task", "task-a"], { cwd: work, env: env("four-session-0004") });
    expect(conflict.code).toBe(1);
  } finally {
    await service.stop();
  }
});

test("two services started at the same moment on one new database file both come up, and the migration is applied once", async () => {
  for (let round = 0; round < 3; round++) {
    const db = join(root, `twin-${round}.db`);
    const args = ["--port", "0", "--db", db, "--repo", `acme/r=${origin}`];
    const [s1, s2] = await Promise.all([startService(args), startService(args)]);
    try {
      const h = await Promise.all([fetch(`${s1.url}/health`), fetch(`${s2.url}/health`)]);
      expect(h.map((r) => r.status)).toEqual([200, 200]);
    } finally {
      expect(await s1.stop()).toBe(0);
      expect(await s2.stop()).toBe(0);
    }
    const d = new Database(db, { readonly: true });
    expect(d.query("SELECT name FROM coord_migrations ORDER BY name").all()).toEqual(MIGRATIONS.map((m) => ({ name: m.name })));
    d.close();
  }
});

test("a SIGTERM right after the listening line stops the service with exit 0", async () => {
  for (let i = 0; i < 5; i++) {
    const s = await startService(["--port", "0", "--db", join(root, `quick-${i}.db`), "--repo", `acme/r=${origin}`]);
    expect(await s.stop()).toBe(0);
  }
});
