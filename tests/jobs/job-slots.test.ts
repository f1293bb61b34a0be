// Jobs across replicas (SPEC §12): with the PostgreSQL storage's slot claim, three schedulers firing the same every-second job run it once per tick in all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startJobs } from "../../src/jobs/index.ts";
import { openStorage, type Storage } from "../../src/storage/storage.ts";
import { postgresMissing, startPostgres, type PgCluster } from "../helpers/postgres.ts";

describe.skipIf(postgresMissing() !== undefined)("jobs once per schedule across replicas", () => {
  let cluster: PgCluster;
  let replicas: Storage[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase();
    replicas = await Promise.all([0, 1, 2].map(() => openStorage(url)));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    cluster?.stop();
  });

  test("three replicas scheduling one job every second run it once per second between them, never twice for a tick", async () => {
    const runs: { replica: number; at_ms: number }[] = [];
    const granted: number[] = [];
    const errors: unknown[] = [];
    const log = { info: () => undefined, error: (_m: string, e?: unknown) => errors.push(e) };
    // croner names jobs process-wide, so each "replica" here names its scheduler apart and claims the one job's slot.
    const handles = replicas.map((r, i) => startJobs([{ name: `tick-${i}`, schedule: "* * * * * *", run: () => void runs.push({ replica: i, at_ms: Date.now() }) }], log, undefined, (_name, slot) =>
        r.claimJobRun("tick", slot).then((won) => {
          if (won) granted.push(slot);
          return won;
        }),
      ),
    );
    await Bun.sleep(3_500);
    for (const h of handles) h.stop();
    await Bun.sleep(300);
    expect(errors).toEqual([]);
    // Every run is a granted slot, and no slot was granted twice (a late tick under load may name the next second: still once).
    expect(runs.length).toBe(granted.length);
    expect(granted.length).toBeGreaterThanOrEqual(2);
    expect(new Set(granted).size).toBe(granted.length);
  }, 30_000);

});
