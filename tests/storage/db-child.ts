// A separate process for the storage concurrency tests: waits for "go" on stdin, then opens the database.
// Usage: bun db-child.ts open <db>            → opens, checks, closes; prints {"ok":true}
//        bun db-child.ts fences <db> <n> <tag> → n transactions each taking a fence and inserting a claim; prints the fences
//        bun db-child.ts heartbeats <db>        → heartbeats of one session until killed, the clock counting 1, 2, 3, ... ms
//        bun db-child.ts turns <db> <n> <tag>  → n attempts to claim the shared task "shared" and, when granted, complete it; prints the grants

import { claimTask, completeTask, DEFAULT_POLICY } from "../../src/core/claims.ts";
import { isCoordError } from "../../src/core/errors.ts";
import { recordHeartbeat } from "../../src/core/sessions.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { openDatabase } from "../../src/storage/db.ts";

const [mode, path, countText, tag] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: db-child.ts open|fences|turns <db> [n tag]");

process.stdout.write("ready\n");
const reader = Bun.stdin.stream().getReader();
await reader.read();
reader.releaseLock();

const db = openDatabase(path);
if (mode === "open") {
  db.sqlite.query("SELECT count(*) FROM claims").get();
  db.close();
  process.stdout.write(JSON.stringify({ ok: true }) + "\n");
} else if (mode === "fences") {
  const store = createClaimStore(db);
  const fences: number[] = [];
  for (let i = 0; i < Number(countText); i++) {
    fences.push(
      await store.transact(Date.now, async (tx) => {
        const fence = await tx.nextFence();
        await tx.insertActive({
          repo: "race",
          task_id: `${tag}-${i}`,
          session_id: `${tag}-session-${i}`,
          branch: "b",
          plan_file: "plans/a.json",
          fence,
          claimed_at_ms: i,
        });
        return fence;
      }),
    );
    // Let the other writer in between transactions, as a service does between requests.
    await Bun.sleep(1);
  }
  db.close();
  process.stdout.write(JSON.stringify({ ok: true, fences }) + "\n");
} else if (mode === "heartbeats") {
  const store = createClaimStore(db);
  let t = 0;
  for (;;) {
    await recordHeartbeat(store, { repo: "race", session_id: "beating-session-1", branch: "b", state: "working", progress: t % 100 }, () => ++t);
    if (t === 1) process.stdout.write("beating\n");
  }
} else if (mode === "turns") {
  const store = createClaimStore(db);
  let grants = 0;
  for (let i = 0; i < Number(countText); i++) {
    const session_id = `${tag}-session-${i}`;
    // Let the other process in between attempts, as a service does between requests.
    await Bun.sleep(1);
    try {
      await claimTask(store, { repo: "race", session_id, task_id: "shared", branch: "b", plan_file: "" }, Date.now, DEFAULT_POLICY);
    } catch (e) {
      if (isCoordError(e) && e.code === "conflict") continue;
      throw e;
    }
    grants++;
    await completeTask(store, { repo: "race", session_id, task_id: "shared" }, Date.now, DEFAULT_POLICY);
  }
  db.close();
  process.stdout.write(JSON.stringify({ ok: true, grants }) + "\n");
} else {
  throw new Error(`unknown mode ${mode}`);
}
