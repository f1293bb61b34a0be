// A separate process for the reservation race: opens the database, waits for "go" on stdin, reserves its paths once.
// Usage: bun reserve-child.ts <db> <session_id> <path>... → prints {"reserved":[paths]} or {"conflict":[paths]}
import { isCoordError } from "../../src/core/errors.ts";
import { reservePaths } from "../../src/core/reservations.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { openDatabase, sqliteCode } from "../../src/storage/db.ts";

const [path, session_id, ...paths] = process.argv.slice(2);
if (path === undefined || session_id === undefined) throw new Error("usage: reserve-child.ts <db> <session_id> <path>...");
const db = openDatabase(path);
const store = createClaimStore(db);
process.stdout.write("ready\n");
const reader = Bun.stdin.stream().getReader();
await reader.read();
reader.releaseLock();
// A transaction that found the write lock held past the busy timeout (5 s; possible on a loaded
// machine with 20 writers) committed nothing, so trying it again is safe: at most 5 tries.
for (let attempt = 1; ; attempt++) {
  try {
    const r = await reservePaths(store, { repo: "race/repo", session_id, paths }, () => Date.now());
    process.stdout.write(JSON.stringify({ reserved: r.map((v) => v.path) }) + "\n");
    break;
  } catch (e) {
    if (sqliteCode(e) === "SQLITE_BUSY" && attempt < 5) continue;
    if (!isCoordError(e, "conflict")) throw e;
    process.stdout.write(JSON.stringify({ conflict: (e.details.conflicts as Array<{ path: string }>).map((c) => c.path) }) + "\n");
    break;
  }
}
db.close();
