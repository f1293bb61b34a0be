// Tests of src/jobs: a failing job is logged and keeps its schedule; the sweep deletes what the TTLs say, with a fake clock.
import { expect, test } from "bun:test";
import { claimTask, completeTask, DEFAULT_POLICY } from "../../src/core/claims.ts";
import { startJobs } from "../../src/jobs/index.ts";
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
