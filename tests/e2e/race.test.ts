// Races between client processes of the compiled binary: first claim wins, every task has at most one holder.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { cloneSession, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

let root: string;
let service: ServiceProcess;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  root = tempDir("race");
  const { origin } = makeOrigin(root);
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/race=${origin}`]);
  work = cloneSession(origin, root, "racer");
  env = { CLAUDE_COORD_REPO: "acme/race", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_TIMEOUT: "30" };
  // Warm the token cache so that the race is about the service, not 50 cold history walks.
  expect((await runClient(["token"], { cwd: work, env })).code).toBe(0);
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("50 client processes claiming the same task at once: exactly one exits 0, the other 49 exit 1", async () => {
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => runClient(["claim", "--task", "hot-task", "--json"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: `racer-${String(i).padStart(2, "0")}-session` } })),
  );
  const codes = results.map((r) => r.code).sort((a, b) => a - b);
  expect(codes).toEqual([0, ...Array(49).fill(1)]);
  const winner = results.find((r) => r.code === 0)!;
  const fence = JSON.parse(winner.stdout).fence as number;
  for (const r of results.filter((x) => x.code === 1)) expect(JSON.parse(r.stdout).claimed_by.session).toBe(JSON.parse(winner.stdout).session);
  const db = new Database(join(root, "coord.db"), { readonly: true });
  expect(db.query("SELECT COUNT(*) AS n, MAX(fence) AS f FROM claims WHERE task_id = 'hot-task'").get()).toEqual({ n: 1, f: fence });
  db.close();
});

test("16 processes each claiming from 8 tasks: never two holders of one task, fences strictly increasing", async () => {
  const tasks = Array.from({ length: 8 }, (_, i) => `pool-${i}`);
  const outcomes = await Promise.all(
    Array.from({ length: 16 }, async (_, s) => {
      const order = tasks.map((_, k) => tasks[(s + k * 3) % tasks.length]!);
      for (const task of order) {
        const r = await runClient(["claim", "--task", task, "--json"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: `pool-${String(s).padStart(2, "0")}-session-id` } });
        if (r.code === 0) return { session: s, task, fence: JSON.parse(r.stdout).fence as number };
        if (r.code !== 1) throw new Error(`unexpected exit ${r.code}: ${r.stderr}${r.stdout}`);
      }
      return undefined;
    }),
  );
  const won = outcomes.filter((o) => o !== undefined);
  expect(won.length).toBe(8);
  expect(new Set(won.map((o) => o!.task)).size).toBe(8);
  const db = new Database(join(root, "coord.db"), { readonly: true });
  const rows = db.query("SELECT task_id, session_id, fence FROM claims WHERE task_id LIKE 'pool-%' ORDER BY id").all() as { task_id: string; fence: number }[];
  db.close();
  expect(rows.length).toBe(8);
  expect(new Set(rows.map((r) => r.task_id)).size).toBe(8);
  for (let i = 1; i < rows.length; i++) expect(rows[i]!.fence).toBeGreaterThan(rows[i - 1]!.fence);
  expect(new Set(won.map((o) => o!.fence))).toEqual(new Set(rows.map((r) => r.fence)));
});
