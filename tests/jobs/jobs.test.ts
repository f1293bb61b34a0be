// Tests of src/jobs: a failing job is logged and keeps its schedule; the sweep deletes what the TTLs say, with a fake clock; the service's job table.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { claimTask, completeTask, DEFAULT_POLICY } from "../../src/core/claims.ts";
import { serviceJobs, startJobs } from "../../src/jobs/index.ts";
import { openStorage } from "../../src/storage/storage.ts";
import { tempDir } from "../helpers/e2e.ts";
import { runSweep } from "../../src/jobs/sweep.ts";
import { clockAt } from "../helpers/clock.ts";
import { MemoryStore } from "../helpers/memory-store.ts";

test("an exception in a job, thrown or rejected, is logged with its name and never stops the schedule", async () => {
  const errors: string[] = [];
  let runs = 0;
  const jobs = startJobs(
    [
      { name: "throws", schedule: "0 0 1 1 *", run: () => { runs++; throw new Error("boom"); } },
      { name: "rejects", schedule: "0 0 1 1 *", run: async () => { runs++; throw new Error("async boom"); } },
    ],
    { info: () => {}, error: (m, c) => errors.push(`${m}: ${(c as Error).message}`) },
  );
  try {
    for (const c of jobs.crons.values()) c.trigger();
    await Bun.sleep(20);
    expect(runs).toBe(2);
    expect(errors.sort()).toEqual(["job rejects failed: async boom", "job throws failed: boom"]);
    for (const c of jobs.crons.values()) expect(c.nextRun()).not.toBeNull();
    for (const c of jobs.crons.values()) c.trigger();
    await Bun.sleep(20);
    expect(runs).toBe(4);
  } finally {
    jobs.stop();
  }
  for (const c of jobs.crons.values()) expect(c.nextRun()).toBeNull();
});

test("the sweep job deletes claims past the claim TTL and completions past the completed TTL", async () => {
  const store = new MemoryStore();
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  await claimTask(store, { repo: "o/r", session_id: "s1", task_id: "old", branch: "b", plan_file: "" }, clockAt(t0), DEFAULT_POLICY);
  await claimTask(store, { repo: "o/r", session_id: "s2", task_id: "done", branch: "b", plan_file: "" }, clockAt(t0), DEFAULT_POLICY);
  await completeTask(store, { repo: "o/r", session_id: "s2", task_id: "done" }, clockAt(t0 + 3_600_000), DEFAULT_POLICY);
  expect(await runSweep(store, t0 + 2 * 3_600_000, DEFAULT_POLICY)).toEqual({ expired: 0, forgotten: 0 });
  expect(await runSweep(store, t0 + 3_600_000 + 86_400_000, DEFAULT_POLICY)).toEqual({ expired: 0, forgotten: 1 });
  expect(await runSweep(store, t0 + 10 * 86_400_000, DEFAULT_POLICY)).toEqual({ expired: 1, forgotten: 0 });
  expect(store.rows).toEqual([]);
});

test("the service's job table runs sweep and prune on [jobs] sweep and branch_check on its own schedule, and logs what they deleted", async () => {
  const storage = await openStorage(join(tempDir("job-table"), "coord.db"));
  try {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    await claimTask(storage.claims, { repo: "o/r", session_id: "s1", task_id: "old", branch: "b", plan_file: "" }, clockAt(t0), DEFAULT_POLICY);
    let now = t0;
    const lines: string[] = [];
    const table = serviceJobs({
      settings: { sweep: "*/10 * * * *", branch_check: "0 * * * *", session_retention_ms: 86_400_000, message_retention_ms: 86_400_000, event_retention_ms: 3_600_000 },
      policy: DEFAULT_POLICY,
      store: storage.claims,
      sightings: storage.sightings,
      repos: new Map(),
      activity: storage,
      clock: () => now,
      log: { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) },
    });
    expect(table.map((j) => [j.name, j.schedule])).toEqual([
      ["sweep", "*/10 * * * *"],
      ["branch_check", "0 * * * *"],
      ["prune", "*/10 * * * *"],
    ]);
    const run = (name: string) => table.find((j) => j.name === name)!.run();
    // The claim (its session and its two events) is fresh: nothing to delete, nothing logged.
    for (const j of table) await j.run();
    expect(lines).toEqual([]);
    now = t0 + DEFAULT_POLICY.claim_ttl_ms + 1;
    await run("sweep");
    await run("prune");
    await run("branch_check");
    expect(lines).toEqual(["sweep: deleted 1 expired claims and 0 old completions", "prune: deleted 1 sessions, 0 messages and 2 events"]);
    expect(await storage.claims.listAllActive()).toEqual([]);
  } finally {
    await storage.close();
  }
});
