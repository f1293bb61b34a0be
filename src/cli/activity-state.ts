// What `hook activity` remembers per worktree (SPEC §10): the session, when it last sent a heartbeat, and which messages the model was already shown.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file, in the worktree's own git dir (beside the saved session id). */
export const ACTIVITY_FILE = "claude-coord-activity.json";

/** How many shown message ids are kept (the newest); older ids are long read or pruned by the service. */
export const SHOWN_LIMIT = 500;

/** The remembered state. Times in epoch ms. */
export interface ActivityState {
  session_id: string;
  /** When the last heartbeat was sent (by `hook activity` or `hook session-start`). */
  last_heartbeat_ms: number;
  /** Message ids already put in the model's context, oldest first. */
  shown: number[];
}

/** The state saved in `head_gitdir` for `session_id`; a fresh one (never sent, nothing shown) for another session or no/broken file. Never throws. */
export function readActivity(head_gitdir: string, session_id: string): ActivityState {
  try {
    const v = JSON.parse(readFileSync(join(head_gitdir, ACTIVITY_FILE), "utf8")) as Partial<ActivityState>;
    if (v.session_id === session_id && typeof v.last_heartbeat_ms === "number" && Array.isArray(v.shown)) {
      return { session_id, last_heartbeat_ms: v.last_heartbeat_ms, shown: v.shown.filter((n) => Number.isInteger(n)) };
    }
  } catch {
    // no file yet, or unreadable: start fresh
  }
  return { session_id, last_heartbeat_ms: 0, shown: [] };
}

/** Saves `s` atomically (newest `SHOWN_LIMIT` ids). Throws the file system's error. */
export function writeActivity(head_gitdir: string, s: ActivityState): void {
  const file = join(head_gitdir, ACTIVITY_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...s, shown: s.shown.slice(-SHOWN_LIMIT) }));
  renameSync(tmp, file);
}
