// The robustness suite in short (scripts/robustness.ts runs it at full size): the linearizability checker on hand-made histories, then each part against the compiled service on SQLite and on three replicas on one PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate, runBadInput } from "../../scripts/robustness/bad-input.ts";
import { runCrashes } from "../../scripts/robustness/crashes.ts";
import { makeWorld, startReplica, type World } from "../../scripts/robustness/fixture.ts";
import { checkHistory, injectDoubleGrant, injectFenceDisorder, type Op, type OpResult } from "../../scripts/robustness/linearizability.ts";
import { postgresState, sqliteState } from "../../scripts/robustness/state.ts";
import { runWorkload } from "../../scripts/robustness/workload.ts";
import type { ServiceProcess } from "../helpers/e2e.ts";
import { postgresMissing, startPostgres, type PgCluster } from "../helpers/postgres.ts";

const A = "sessionA-0000000000";
const B = "sessionB-0000000000";

/** A hand-made history: [op, session, task, invoke, return, result]. */
function history(rows: [Op["op"], string | undefined, string | undefined, number, number, OpResult][]): Op[] {
  return rows.map(([op, session, task, invoke_ms, return_ms, result], id) => ({ id, client: id, op, session, task, invoke_ms, return_ms, result }));
}
const granted = (fence: number): OpResult => ({ kind: "claim", status: "granted", fence });
const conflict = (holder: string): OpResult => ({ kind: "claim", status: "conflict", holder: holder.slice(0, 8) });

describe("the linearizability checker", () => {
  test("accepts a sequential history that follows the SPEC: grant, conflict, idempotent re-claim, complete, grant to another", () => {
    const h = history([
      ["claim", A, "t", 0, 1, granted(1)],
      ["claim", B, "t", 2, 3, conflict(A)],
      ["claim", A, "t", 4, 5, granted(1)],
      ["list", undefined, undefined, 6, 7, { kind: "list", active: [{ task_id: "t", session: A.slice(0, 8), fence: 1 }] }],
      ["complete", B, "t", 8, 9, { kind: "complete", status: "forbidden" }],
      ["complete", A, "t", 10, 11, { kind: "complete", status: "completed" }],
      ["claim", B, "t", 12, 13, granted(2)],
    ]);
    expect(checkHistory(h).anomalies).toEqual([]);
  });

  test("accepts two overlapping claims whichever of them won", () => {
    const h = history([
      ["claim", A, "t", 0, 10, conflict(B)],
      ["claim", B, "t", 1, 9, granted(5)],
    ]);
    expect(checkHistory(h).anomalies).toEqual([]);
  });

  test("rejects a double grant: two sessions granted one task with no completion between", () => {
    const h = history([
      ["claim", A, "t", 0, 1, granted(1)],
      ["claim", B, "t", 2, 3, granted(2)],
    ]);
    expect(checkHistory(h).anomalies).toEqual(["task t: no linearization of its 2 operations fits the model"]);
  });

  test("rejects fences out of real-time order across tasks", () => {
    const h = history([
      ["claim", A, "t1", 0, 1, granted(7)],
      ["claim", B, "t2", 2, 3, granted(3)],
    ]);
    expect(checkHistory(h).anomalies).toEqual(["fence out of order: op 1 got fence 3 after op 0 had been answered fence 7"]);
  });

  test("rejects a re-claim answered with another fence, a completion by a non-owner and a listing showing a completed claim", () => {
    const reclaim = history([
      ["claim", A, "t", 0, 1, granted(1)],
      ["claim", A, "t", 2, 3, granted(2)],
    ]);
    expect(checkHistory(reclaim).anomalies).toContain("task t: no linearization of its 2 operations fits the model");
    const stranger = history([
      ["claim", A, "t", 0, 1, granted(1)],
      ["complete", B, "t", 2, 3, { kind: "complete", status: "completed" }],
    ]);
    expect(checkHistory(stranger).anomalies).toEqual(["task t: no linearization of its 2 operations fits the model"]);
    const stale = history([
      ["claim", A, "t", 0, 1, granted(1)],
      ["complete", A, "t", 2, 3, { kind: "complete", status: "completed" }],
      ["list", undefined, undefined, 4, 5, { kind: "list", active: [{ task_id: "t", session: A.slice(0, 8), fence: 1 }] }],
    ]);
    expect(checkHistory(stale).anomalies).toEqual(["task t: no linearization of its 3 operations fits the model"]);
  });

  test("rejects one session holding two tasks at once, and an answer without a definite result", () => {
    const two = history([
      ["claim", A, "t1", 0, 1, granted(1)],
      ["claim", A, "t2", 2, 3, granted(2)],
    ]);
    expect(checkHistory(two).anomalies).toEqual([`session ${A} was granted t2 (op 1) while its claim on t1 (op 0) had not ended`]);
    const broken = history([["claim", A, "t", 0, 1, { kind: "error", detail: "HTTP 500" }]]);
    expect(checkHistory(broken)).toEqual({ operations: 1, errors: 1, anomalies: ["operation 0 (claim) had no definite answer: HTTP 500"] });
  });
});

describe("the robustness parts against the compiled service on SQLite", () => {
  let root: string;
  let world: World;
  let replicas: ServiceProcess[];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "coord-robustness-test-"));
    world = await makeWorld(root, join(root, "coord.db"));
    replicas = [await startReplica(world)];
  });
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  test("16 clients, 800 random operations over 8 tasks: a linearization exists, and the checker rejects the history with a double grant or a fence disorder injected", async () => {
    const ops = await runWorkload([replicas[0]!.url], world.access, { clients: 16, operations: 800, tasks: 8, sessions: 40, max_seconds: 60 }, 11);
    expect(ops.length).toBe(800);
    expect(checkHistory(ops)).toEqual({ operations: 800, errors: 0, anomalies: [] });
    expect(ops.filter((o) => o.result.kind === "claim" && o.result.status === "granted").length).toBeGreaterThan(10);
    expect(checkHistory(injectDoubleGrant(ops)!).anomalies.length).toBeGreaterThan(0);
    expect(checkHistory(injectFenceDisorder(ops)!).anomalies.length).toBeGreaterThan(0);
  }, 90_000);

  test("every fourth systematic bad request over every route: no 5xx, no hang, nothing stored by a rejected one", async () => {
    const state = sqliteState(world.database);
    try {
      const all = generate(world.access, 0, 3);
      const requests = all.filter((_, i) => i % 4 === 0);
      const report = await runBadInput(replicas[0]!.url, requests, () => state.fingerprint());
      expect({ server_errors: report.server_errors, hangs: report.hangs, state_changes: report.state_changes, anomalies: report.anomalies }).toEqual({ server_errors: 0, hangs: 0, state_changes: 0, anomalies: [] });
      expect(report.requests).toBe(requests.length);
      expect(report.by_status["400"]).toBeGreaterThan(requests.length / 2);
    } finally {
      await state.close();
    }
  }, 90_000);

  test("3 SIGKILLs under claim load: every claim answered 200 is still there with its fence, later fences are larger, integrity_check ok", async () => {
    const state = sqliteState(world.database);
    try {
      const report = await runCrashes(world, replicas, { cycles: 3, clients: 8, kill_window_ms: 400 }, 5, () => state.integrity());
      expect({ lost: report.lost, fence_regressions: report.fence_regressions, anomalies: report.anomalies }).toEqual({ lost: 0, fence_regressions: 0, anomalies: [] });
      expect(report.acknowledged).toBeGreaterThan(3);
    } finally {
      await state.close();
    }
  }, 120_000);
});

describe.skipIf(postgresMissing() !== undefined)("the robustness parts against three replicas on one PostgreSQL", () => {
  let root: string;
  let cluster: PgCluster;
  let world: World;
  let replicas: ServiceProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "coord-robustness-pg-test-"));
    cluster = await startPostgres();
    world = await makeWorld(root, await cluster.createDatabase("robustness"));
    replicas = await Promise.all([0, 1, 2].map(() => startReplica(world)));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  test("16 clients spread over the replicas, 400 random operations over 8 tasks: a linearization exists", async () => {
    const ops = await runWorkload(replicas.map((r) => r.url), world.access, { clients: 16, operations: 400, tasks: 8, sessions: 40, max_seconds: 90 }, 13);
    expect(checkHistory(ops)).toEqual({ operations: 400, errors: 0, anomalies: [] });
  }, 120_000);

  test("every eighth systematic bad request: no 5xx, no hang, nothing stored by a rejected one", async () => {
    const state = postgresState(world.database);
    try {
      const requests = generate(world.access, 0, 3).filter((_, i) => i % 8 === 0);
      const report = await runBadInput(replicas[1]!.url, requests, () => state.fingerprint());
      expect({ server_errors: report.server_errors, hangs: report.hangs, state_changes: report.state_changes, anomalies: report.anomalies }).toEqual({ server_errors: 0, hangs: 0, state_changes: 0, anomalies: [] });
    } finally {
      await state.close();
    }
  }, 120_000);

  test("2 SIGKILLs of one replica while the others serve: every acknowledged claim is there with its fence, later fences are larger", async () => {
    const report = await runCrashes(world, replicas, { cycles: 2, clients: 6, kill_window_ms: 400 }, 5, async () => undefined);
    expect({ lost: report.lost, fence_regressions: report.fence_regressions, anomalies: report.anomalies }).toEqual({ lost: 0, fence_regressions: 0, anomalies: [] });
    expect(report.acknowledged).toBeGreaterThan(2);
  }, 120_000);
});
