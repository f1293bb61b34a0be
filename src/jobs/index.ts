// The service's job table (name, schedule, function: sweep, branch check, prune) and its croner scheduler: a failing job is logged, never fatal.
import { Cron } from "croner";
import type { ClaimPolicy } from "../core/claims.ts";
import type { EventLog } from "../core/events.ts";
import type { MessageStore } from "../core/messages.ts";
import type { SessionStore } from "../core/sessions.ts";
import type { ClaimStore } from "../core/store.ts";
import type { WhitelistedRepo } from "../sources/source.ts";
import { type BranchSightings, runBranchCheck } from "./branch-check.ts";
import { type Retention, runPrune } from "./prune.ts";
import { runSweep } from "./sweep.ts";

/** Logging the scheduler needs. */
export interface JobLogger {
  info(msg: string): void;
  error(msg: string, cause?: unknown): void;
}

/** One scheduled job: a croner pattern and a function (sync or async). */
export interface JobDef {
  name: string;
  /** Croner syntax, e.g. "*\/10 * * * *". */
  schedule: string;
  run: () => unknown;
}

/** Told of every run and every failure, by job name (the service counts them: `coord_job_runs_total`, `coord_job_failures_total`). */
export interface JobObserver {
  run(job: string): void;
  failure(job: string): void;
}

/** Running jobs; `stop` cancels every schedule. */
export interface JobHandle {
  stop(): void;
  /** The croner instances, by job name (tests read `nextRun()`). */
  crons: Map<string, Cron>;
}

/**
 * Asked before each run: true when this process should run job `name` for the cron tick `slot_ms`
 * (epoch ms, the tick's time rounded to the second, so replicas whose clocks agree within half a
 * second name the same slot). The PostgreSQL storage answers true to exactly one replica per slot.
 */
export type JobSlotClaim = (name: string, slot_ms: number) => Promise<boolean>;

/**
 * Schedules every job of `table` with croner. An exception (or rejected promise) in a job is
 * logged with the job's name and cause, and the schedule continues (croner's `catch`); overlapping
 * runs of one job are skipped (`protect`). `observer` is told of each run and each failure. With
 * `claimSlot`, a tick runs the job only when `claimSlot` grants it (jobs run once per schedule
 * across replicas, SPEC §12); a failing `claimSlot` (the database is down) skips the tick and is
 * logged like a failing job.
 */
export function startJobs(table: readonly JobDef[], log: JobLogger, observer?: JobObserver, claimSlot?: JobSlotClaim): JobHandle {
  const crons = new Map<string, Cron>();
  for (const job of table) {
    const cron = new Cron(
      job.schedule,
      {
        name: job.name,
        protect: true,
        catch: (e: unknown) => {
          observer?.failure(job.name);
          log.error(`job ${job.name} failed`, e);
        },
      },
      async () => {
        if (claimSlot && !(await claimSlot(job.name, Math.round(Date.now() / 1000) * 1000))) return;
        observer?.run(job.name);
        await job.run();
      },
    );
    crons.set(job.name, cron);
  }
  return {
    crons,
    stop() {
      for (const c of crons.values()) c.stop();
    },
  };
}

/** What the service's jobs are given, wired by `server/serve.ts` (or a test). */
export interface ServiceJobDeps {
  /** `[jobs]`: the schedules (croner syntax) and the retentions of the prune, in ms. */
  settings: { sweep: string; branch_check: string } & Retention;
  /** The claim TTLs the sweep applies. */
  policy: ClaimPolicy;
  store: ClaimStore;
  sightings: BranchSightings;
  /** Whitelist, keyed by the lowercased repo name. */
  repos: ReadonlyMap<string, WhitelistedRepo>;
  /** The stores the prune forgets from. */
  activity: { sessions: SessionStore; messages: MessageStore; events: EventLog };
  /** Epoch milliseconds. */
  clock: () => number;
  log: { info(msg: string): void; warn(msg: string): void };
}

/**
 * The service's job table: `sweep` (expired claims, old completions) and `prune` (silent sessions,
 * old messages and events) on `[jobs] sweep`, `branch_check` (claims whose branch is gone) on
 * `[jobs] branch_check`. Each job logs what it deleted when it deleted anything, and throws what
 * its stores throw (the scheduler logs it).
 */
export function serviceJobs(d: ServiceJobDeps): JobDef[] {
  return [
    {
      name: "sweep",
      schedule: d.settings.sweep,
      run: async () => {
        const r = await runSweep(d.store, d.clock(), d.policy);
        if (r.expired + r.forgotten > 0) d.log.info(`sweep: deleted ${r.expired} expired claims and ${r.forgotten} old completions`);
      },
    },
    {
      name: "branch_check",
      schedule: d.settings.branch_check,
      run: () => runBranchCheck({ store: d.store, sightings: d.sightings, repos: d.repos, now: d.clock, log: d.log }),
    },
    {
      name: "prune",
      schedule: d.settings.sweep,
      run: async () => {
        const r = await runPrune(d.activity, d.clock(), d.settings);
        if (r.sessions + r.messages + r.events > 0) d.log.info(`prune: deleted ${r.sessions} sessions, ${r.messages} messages and ${r.events} events`);
      },
    },
  ];
}
