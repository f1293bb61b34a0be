// The job table (name, schedule, function) and its croner scheduler: a failing job is logged, never fatal.
import { Cron } from "croner";

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
