// The PostgreSQL migrations embedded in the binary, in the order they are applied (drizzle-kit writes them to drizzle/pg/).

import init0000 from "../../drizzle/pg/0000_init.sql" with { type: "text" };
import jobRuns0001 from "../../drizzle/pg/0001_job_runs.sql" with { type: "text" };
import sessionWorktree0002 from "../../drizzle/pg/0002_session_worktree.sql" with { type: "text" };
import reservations0003 from "../../drizzle/pg/0003_reservations.sql" with { type: "text" };
import claimOutcomes0004 from "../../drizzle/pg/0004_claim_outcomes.sql" with { type: "text" };
import humanInTheLoop0005 from "../../drizzle/pg/0005_human_in_the_loop.sql" with { type: "text" };
import type { Migration } from "./migrations.ts";

/**
 * Every migration in drizzle/pg/, oldest first (generate with
 * `drizzle-kit generate --config drizzle/pg.config.ts`, then append a line here).
 * tests/storage/pg-migrations.test.ts fails while a file is missing here or out of order.
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  { name: "0000_init", sql: init0000 },
  { name: "0001_job_runs", sql: jobRuns0001 },
  { name: "0002_session_worktree", sql: sessionWorktree0002 },
  { name: "0003_reservations", sql: reservations0003 },
  { name: "0004_claim_outcomes", sql: claimOutcomes0004 },
  { name: "0005_human_in_the_loop", sql: humanInTheLoop0005 },
];
