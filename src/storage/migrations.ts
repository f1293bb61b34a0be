// The SQL migrations embedded in the binary, in the order they are applied (drizzle-kit writes them to drizzle/).

import init0000 from "../../drizzle/0000_init.sql" with { type: "text" };
import githubState0001 from "../../drizzle/0001_github_state.sql" with { type: "text" };
import sessionsMessagesEvents0002 from "../../drizzle/0002_sessions_messages_events.sql" with { type: "text" };
import sessionWorktree0003 from "../../drizzle/0003_session_worktree.sql" with { type: "text" };
import reservations0004 from "../../drizzle/0004_reservations.sql" with { type: "text" };
import claimOutcomes0005 from "../../drizzle/0005_claim_outcomes.sql" with { type: "text" };
import humanInTheLoop0006 from "../../drizzle/0006_human_in_the_loop.sql" with { type: "text" };

/** One migration: `name` is the drizzle-kit tag (the file name without `.sql`), `sql` its text. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

/**
 * Every migration in drizzle/, oldest first. Append a line for each file drizzle-kit generates;
 * tests/storage/migrations.test.ts fails while a file in drizzle/ is missing here or out of order.
 * A released migration is never edited: databases record it as applied by name.
 */
export const MIGRATIONS: readonly Migration[] = [
  { name: "0000_init", sql: init0000 },
  { name: "0001_github_state", sql: githubState0001 },
  { name: "0002_sessions_messages_events", sql: sessionsMessagesEvents0002 },
  { name: "0003_session_worktree", sql: sessionWorktree0003 },
  { name: "0004_reservations", sql: reservations0004 },
  // Hand-edited before release: drizzle-kit copied the new columns from the old table; existing completions get their reason's outcome.
  { name: "0005_claim_outcomes", sql: claimOutcomes0005 },
  { name: "0006_human_in_the_loop", sql: humanInTheLoop0006 },
];
