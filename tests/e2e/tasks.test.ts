// Task discovery end to end: `tasks` and `claim --next` of the compiled binary racing over real plan files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { cloneSession, commitAll, git, makeOrigin, planJson, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

const TWENTY = Array.from({ length: 20 }, (_, i) => `job-${String(i + 1).padStart(2, "0")}`);
let root: string;
let origin: string;
let author: string;
let work: string;

beforeAll(async () => {
  root = tempDir("tasks");
  ({ origin, work: author } = makeOrigin(root, TWENTY));
  // Only plan.json's 20 tasks: drop the fixture's other plan files.
  rmSync(join(author, "context", "extra.json"));
  rmSync(join(author, "context", "old.json"));
  commitAll(author, "only plan.json");
  git(author, "push", "-q", "origin", "main");
  work = cloneSession(origin, root, "w");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function withService<T>(db: string, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const service = await startService(["--port", "0", "--db", join(root, db), "--repo", `acme/t=${origin}`]);
  try {
    return await fn({ CLAUDE_COORD_REPO: "acme/t", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_TIMEOUT: "30" });
  } finally {
    await service.stop();
  }
}

async function race(n: number, env: Record<string, string>, tag: string) {
  await runClient(["token"], { cwd: work, env });
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      runClient(["claim", "--next", "--json"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: `s${String(i).padStart(2, "0")}-${tag}-session` } }),
    ),
  );
}

describe("claim --next under races", () => {
  test("8 processes over 20 available tasks take 8 distinct tasks, the most urgent ones", async () => {
    await withService("eight.db", async (env) => {
      const rs = await race(8, env, "eight");
      expect(rs.map((r) => r.code)).toEqual(Array(8).fill(0));
      const taken = rs.map((r) => JSON.parse(r.stdout).task_id as string).sort();
      expect(taken).toEqual(TWENTY.slice(0, 8));
    });
  });

  test("30 processes over 20 tasks: every task taken exactly once, 10 exit 1", async () => {
    await withService("thirty.db", async (env) => {
      const rs = await race(30, env, "thirty");
      const codes = rs.map((r) => r.code).sort((a, b) => a - b);
      expect(codes).toEqual([...Array(20).fill(0), ...Array(10).fill(1)]);
      const taken = rs.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout).task_id as string).sort();
      expect(taken).toEqual(TWENTY);
      for (const r of rs.filter((x) => x.code === 1)) expect(JSON.parse(r.stdout).status).toBe("no_task_available");
      const listed = JSON.parse((await runClient(["tasks", "--json"], { cwd: work, env })).stdout);
      expect([listed.available, listed.claimed.length]).toEqual([[], 20]);
    });
  });

  test("claim --next prints the task's name, steps and acceptance criteria; --json carries them; a session holding a claim gets exit 3", async () => {
    await withService("details.db", async (env) => {
      const r = await runClient(["claim", "--next"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: "d1-details-session" } });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        "Claimed task 'job-01' (fence 1) for session d1-detai on branch claude/w.\nPlan file: context/plan.json\n\nTask: Task job-01\nSteps:\n  1. do job-01\nAcceptance criteria:\n  - job-01 works\n\nWhen the work is merged, run: claude-coord complete --task job-01\n",
      );
      const j = await runClient(["claim", "--next", "--json"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: "d2-details-session" } });
      expect(JSON.parse(j.stdout)).toEqual({
        status: "claimed",
        task_id: "job-02",
        fence: 2,
        plan_file: "context/plan.json",
        branch: "claude/w",
        session: "d2-detai",
        task: { name: "Task job-02", steps: ["do job-02"], acceptance_criteria: ["job-02 works"] },
      });
      const again = await runClient(["claim", "--next"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: "d2-details-session" } });
      expect(again.code).toBe(3);
      expect(again.stderr).toContain("ERROR: This session already has an active claim.\n\nCurrent claim:\n  Task: job-02\n");
    });
  });
});

describe("tasks", () => {
  test("a blocked task becomes available once its blocker is complete in the plan file; a broken file is named, exit 0", async () => {
    write(join(author, "context", "flow.json"), `${JSON.stringify({ tasks: [{ id: "base", priority: 1 }, { id: "roof", priority: 1, blocked_by: ["base"] }] })}\n`);
    write(join(author, "context", "broken.json"), '{ "tasks": [ {"id": "lost" ');
    commitAll(author, "flow and a broken file");
    git(author, "push", "-q", "origin", "main");
    git(work, "pull", "-q", "--rebase", "origin", "main");
    await withService("flow.db", async (env) => {
      const r = await runClient(["tasks"], { cwd: work, env });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Blocked (1):\n  - roof waits for base\n");
      expect(r.stdout).toContain("  - context/broken.json is not valid JSON (");
      expect(r.stdout).toContain("  - base: base [priority 1, context/flow.json]\n");
      expect(r.stdout).toContain("Next: claude-coord claim --next   (claims 'base', or the next one if another session wins it)");
      const j = JSON.parse((await runClient(["tasks", "--json"], { cwd: work, env })).stdout);
      expect(j.available.map((t: { id: string }) => t.id)).toContain("job-05");
      expect(j.available.map((t: { id: string }) => t.id)).not.toContain("lost");

      write(join(author, "context", "flow.json"), `${JSON.stringify({ tasks: [{ id: "base", priority: 1, status: "complete" }, { id: "roof", priority: 1, blocked_by: ["base"] }] })}\n`);
      commitAll(author, "base done");
      git(author, "push", "-q", "origin", "main");
      git(work, "pull", "-q", "--rebase", "origin", "main");
      const after = JSON.parse((await runClient(["tasks", "--json"], { cwd: work, env })).stdout);
      expect(after.blocked).toEqual([]);
      expect(after.available.map((t: { id: string }) => t.id).slice(0, 3)).toEqual(["roof", "job-01", "job-02"]);
      expect(after.by_status.complete.map((t: { id: string }) => t.id)).toEqual(["base"]);
    });
  });

  test("with the service down the plan is printed with claims unknown and exit 2", async () => {
    const r = await runClient(["tasks"], { cwd: work, env: { CLAUDE_COORD_REPO: "acme/t", CLAUDE_COORD_URL: "http://127.0.0.1:9", CLAUDE_COORD_TIMEOUT: "2" } });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("Claims: UNKNOWN");
    expect(r.stdout).toContain("  - job-01: Task job-01 [priority 1, context/plan.json]");
    expect(r.stderr).toContain("ERROR: Coordination service is unavailable.");
    const j = await runClient(["tasks", "--json"], { cwd: work, env: { CLAUDE_COORD_REPO: "acme/t", CLAUDE_COORD_URL: "http://127.0.0.1:9", CLAUDE_COORD_TIMEOUT: "2" } });
    expect(j.code).toBe(2);
    const body = JSON.parse(j.stdout);
    expect([body.claims_known, body.error.status, body.available.length > 0]).toEqual([false, "service_unavailable", true]);
  });
});
