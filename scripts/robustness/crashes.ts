// The crash part of the robustness suite: SIGKILL of a replica at a random moment under claim load, then proof that every acknowledged claim survived with its fence and later fences are larger.
import type { ServiceProcess } from "../../tests/helpers/e2e.ts";
import { call, kill9, sessionId, startReplica, type World } from "./fixture.ts";
import { random } from "./workload.ts";

/** The crash part's size: kill/restart cycles, concurrent claimers, and the window (ms) in which the kill lands after the load starts. */
export interface CrashSize {
  cycles: number;
  clients: number;
  kill_window_ms: number;
}

/** SPEC-sized: 20 cycles, 16 claimers, a kill within 1.5 s of the load starting. */
export const FULL_CRASHES: CrashSize = { cycles: 20, clients: 16, kill_window_ms: 1500 };

/** Crash sessions are numbered from here, apart from the workload's. */
const CRASH_SESSIONS = 500_000;

/** What the crash cycles found. */
export interface CrashReport {
  cycles: number;
  /** Claims answered 200 before a kill. */
  acknowledged: number;
  /** Acknowledged claims missing after the restart, or back with another fence or holder. */
  lost: number;
  /** Restarts after which a new grant's fence did not exceed every fence acknowledged before. */
  fence_regressions: number;
  anomalies: string[];
}

/**
 * Runs `size.cycles` cycles against `replicas` (all started on `world`): claim load from
 * `size.clients` clients through every replica (each claim a fresh session and task, so each should
 * be granted), SIGKILL of one replica (cycling through them) at a random moment, restart on the same
 * port, then checks through the restarted replica that every claim acknowledged so far is listed
 * with its session and fence, and that a new claim gets a fence above all of them.
 * `afterRestart` runs after each restart (SQLite: `PRAGMA integrity_check`); it returns an anomaly or undefined.
 * The replicas in `replicas` are replaced in place by their restarted processes.
 */
export async function runCrashes(world: World, replicas: ServiceProcess[], size: CrashSize, seed: number, afterRestart: () => Promise<string | undefined>): Promise<CrashReport> {
  const rnd = random(seed);
  const acked = new Map<string, { session: string; fence: number }>();
  const anomalies: string[] = [];
  let next = 0;
  let lost = 0;
  let regressions = 0;
  for (let cycle = 0; cycle < size.cycles; cycle++) {
    const victim = cycle % replicas.length;
    let stop = false;
    const claimer = async (c: number) => {
      while (!stop) {
        const n = next++;
        const session = sessionId(CRASH_SESSIONS + n);
        const task = `crash-${n}`;
        const url = replicas[(c + n) % replicas.length]!.url;
        try {
          const r = await call(url, "POST", "/claim", { ...world.access, session_id: session, task_id: task, branch: `claude/${n}` }, {}, 5000);
          if (r.status === 200) acked.set(task, { session: session.slice(0, 8), fence: Number(r.body?.fence) });
          else if (r.status !== 503) anomalies.push(`cycle ${cycle}: claim of ${task} answered ${r.status} ${JSON.stringify(r.body)}`);
        } catch {
          // The connection died with the replica: no answer, nothing promised.
          await Bun.sleep(20);
        }
      }
    };
    const load = Promise.all(Array.from({ length: size.clients }, (_, c) => claimer(c)));
    await Bun.sleep(50 + rnd() * size.kill_window_ms);
    const dead = replicas[victim]!;
    await kill9(dead);
    stop = true;
    await load;
    const before = Math.max(0, ...[...acked.values()].map((a) => a.fence));
    replicas[victim] = await startReplica(world, dead.port);
    const listed = await call(replicas[victim]!.url, "GET", `/claims?repo=${encodeURIComponent(world.access.repo)}&token=${encodeURIComponent(world.access.token)}&commit_sha=${world.access.commit_sha}`);
    const active = new Map(((listed.body?.active ?? []) as { task_id: string; session: string; fence: number }[]).map((a) => [a.task_id, a]));
    for (const [task, a] of acked) {
      const got = active.get(task);
      if (got === undefined || got.session !== a.session || got.fence !== a.fence) {
        lost++;
        if (lost <= 5) anomalies.push(`cycle ${cycle}: acknowledged claim ${task} (fence ${a.fence}) is ${got ? `listed with fence ${got.fence}` : "gone"} after the restart`);
      }
    }
    const n = next++;
    const probe = await call(replicas[victim]!.url, "POST", "/claim", { ...world.access, session_id: sessionId(CRASH_SESSIONS + n), task_id: `crash-${n}`, branch: "claude/probe" });
    const fence = Number(probe.body?.fence);
    if (probe.status !== 200 || !(fence > before)) {
      regressions++;
      anomalies.push(`cycle ${cycle}: the first claim after the restart answered ${probe.status} with fence ${fence}; acknowledged fences went up to ${before}`);
    } else {
      acked.set(`crash-${n}`, { session: sessionId(CRASH_SESSIONS + n).slice(0, 8), fence });
    }
    const problem = await afterRestart();
    if (problem !== undefined) anomalies.push(`cycle ${cycle}: ${problem}`);
  }
  return { cycles: size.cycles, acknowledged: acked.size, lost, fence_regressions: regressions, anomalies };
}
