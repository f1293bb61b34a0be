// The SQLite claim store: unique indexes as compare-and-swap, fences, transactions, listings and sweeps.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { claimTask, completeTask, DEFAULT_POLICY, expireClaim, listClaims, sweepClaims } from "../../src/core/claims.ts";
import type { ClaimRecord, ClaimStore, NewClaim } from "../../src/core/store.ts";
import { createClaimStore, isUniqueViolation } from "../../src/storage/claim-store.ts";
import { openDatabase, type CoordDatabase } from "../../src/storage/db.ts";
import { clockAt } from "../helpers/clock.ts";
import { tempDirs } from "./temp-dir.ts";

const newDir = tempDirs("storage-claims");
const open: CoordDatabase[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function openStore(path = join(newDir(), "coord.db")): { db: CoordDatabase; store: ClaimStore; path: string } {
  const db = openDatabase(path);
  open.push(db);
  return { db, store: createClaimStore(db), path };
}

function claim(over: Partial<NewClaim> = {}): NewClaim {
  return {
    repo: "acme/app",
    task_id: "task-1",
    session_id: "session-aaaaaaaa",
    branch: "feature/one",
    plan_file: "plans/one.json",
    fence: 0,
    claimed_at_ms: 1_000,
    ...over,
  };
}

/** Grants a claim the way core does: a fresh fence, then the insert, in one transaction. */
function grant(store: ClaimStore, over: Partial<NewClaim> = {}): Promise<ClaimRecord> {
  return store.transact(clockAt(1_000), async (tx) => tx.insertActive(claim({ ...over, fence: await tx.nextFence() })));
}

function countRows(db: CoordDatabase): number {
  return db.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM claims").get()!.n;
}

async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("the partial unique indexes (compare-and-swap in the database)", () => {
  test("a second active claim of the same task in the same repo is rejected by the database and nothing is stored", async () => {
    const { db, store } = openStore();
    const e = await thrown(() =>
      store.transact(clockAt(1_000), async (tx) => {
        await tx.insertActive(claim({ session_id: "session-one", fence: await tx.nextFence() }));
        await tx.insertActive(claim({ session_id: "session-two", fence: await tx.nextFence() }));
      }),
    );
    expect(isUniqueViolation(e)).toBe(true);
    expect((e as Error).message).toContain("claims.repo, claims.task_id");
    expect(countRows(db)).toBe(0);
  });

  test("a second active claim of the same session in the same repo is rejected by the database and nothing is stored", async () => {
    const { db, store } = openStore();
    const e = await thrown(() =>
      store.transact(clockAt(1_000), async (tx) => {
        await tx.insertActive(claim({ task_id: "task-1", fence: await tx.nextFence() }));
        await tx.insertActive(claim({ task_id: "task-2", fence: await tx.nextFence() }));
      }),
    );
    expect(isUniqueViolation(e)).toBe(true);
    expect((e as Error).message).toContain("claims.repo, claims.session_id");
    expect(countRows(db)).toBe(0);
  });

  test("a violation in a later transaction leaves the earlier claim alone", async () => {
    const { db, store } = openStore();
    const first = await grant(store);
    const e = await thrown(() => grant(store, { session_id: "session-other" }));
    expect(isUniqueViolation(e)).toBe(true);
    expect(await store.listAllActive()).toEqual([first]);
    expect(countRows(db)).toBe(1);
  });

  test("completed claims of the same task and session do not block a new active claim", async () => {
    const { store } = openStore();
    for (let i = 0; i < 3; i++) {
      const c = await grant(store, { claimed_at_ms: 1_000 + i });
      await store.transact(clockAt(1_000), async (tx) => await tx.markCompleted(c.id, "client_completed", 2_000 + i));
    }
    const active = await grant(store, { claimed_at_ms: 5_000 });
    expect(await store.listActive("acme/app", 0)).toEqual([active]);
    expect(await store.listCompleted("acme/app", 0)).toHaveLength(3);
  });

  test("the same task and session are independent across repos", async () => {
    const { store } = openStore();
    await grant(store, { repo: "acme/app" });
    await grant(store, { repo: "acme/lib" });
    expect((await store.listAllActive()).map((c) => c.repo)).toEqual(["acme/app", "acme/lib"]);
  });

  test("isUniqueViolation is false for other errors", async () => {
    const { store } = openStore();
    expect(isUniqueViolation(new Error("UNIQUE constraint failed"))).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
    const e = await thrown(() => store.transact(clockAt(1_000), async (tx) => await tx.markCompleted(999, "client_completed", 1)));
    expect(isUniqueViolation(e)).toBe(false);
  });
});

describe("fences", () => {
  test("fences strictly increase, starting at 1", async () => {
    const { store } = openStore();
    const fences: number[] = [];
    for (const i of [0, 1, 2, 3, 4]) fences.push((await grant(store, { task_id: `t${i}`, session_id: `s${i}` })).fence);
    expect(fences).toEqual([1, 2, 3, 4, 5]);
  });

  test("fences survive closing and reopening the database and are not reused after every claim is deleted", async () => {
    const first = openStore();
    await grant(first.store, { task_id: "t1", session_id: "s1", claimed_at_ms: 10 });
    const c2 = await grant(first.store, { task_id: "t2", session_id: "s2", claimed_at_ms: 20 });
    await first.store.transact(clockAt(1_000), async (tx) => await tx.markCompleted(c2.id, "admin_expired", 30));
    expect(await first.store.deleteActiveClaimedBefore(1_000)).toBe(1);
    expect(await first.store.deleteCompletedBefore(1_000)).toBe(1);
    expect(countRows(first.db)).toBe(0);
    first.db.close();

    const again = openStore(first.path);
    expect((await grant(again.store, { task_id: "t3", session_id: "s3" })).fence).toBe(3);
    await again.store.transact(clockAt(1_000), async (tx) => {
      const c = (await tx.activeByTask("acme/app", "t3"))!;
      await tx.deleteClaim(c.id);
    });
    expect((await grant(again.store, { task_id: "t4", session_id: "s4" })).fence).toBe(4);
  });

  test("a fence taken in a rolled-back transaction is handed out again (the counter rolls back with it)", async () => {
    const { db, store } = openStore();
    expect((await grant(store, { task_id: "t1", session_id: "s1" })).fence).toBe(1);
    const e = await thrown(() =>
      store.transact(clockAt(1_000), async (tx) => {
        expect(await tx.nextFence()).toBe(2);
        await tx.insertActive(claim({ task_id: "t2", session_id: "s2", fence: 2 }));
        throw new Error("rule failed");
      }),
    );
    expect((e as Error).message).toBe("rule failed");
    expect(countRows(db)).toBe(1);
    expect((await grant(store, { task_id: "t3", session_id: "s3" })).fence).toBe(2);
  });
});

describe("transact", () => {
  test("returns the callback's value and commits", async () => {
    const { store } = openStore();
    const c = await store.transact(clockAt(1_000), async (tx) => await tx.insertActive(claim({ fence: await tx.nextFence() })));
    expect(c).toEqual({ ...claim({ fence: 1 }), id: c.id, completed_at_ms: null, completion_reason: null, outcome: null, pr_url: null });
    expect(await store.transact(clockAt(1_000), async (tx) => await tx.activeByTask("acme/app", "task-1"))).toEqual(c);
  });

  test("a callback that throws rolls back every write and the error is rethrown unchanged", async () => {
    const { db, store } = openStore();
    const kept = await grant(store, { task_id: "kept", session_id: "kept-session" });
    const boom = new Error("boom");
    const e = await thrown(() =>
      store.transact(clockAt(1_000), async (tx) => {
        await tx.markCompleted(kept.id, "client_completed", 5_000);
        await tx.insertActive(claim({ fence: await tx.nextFence() }));
        throw boom;
      }),
    );
    expect(e).toBe(boom);
    expect(countRows(db)).toBe(1);
    expect(await store.listAllActive()).toEqual([kept]);
  });

  test("the callback's time is read from the clock after the lock is taken, once", async () => {
    const { db, store } = openStore();
    const reads: boolean[] = [];
    const clock = () => {
      reads.push(db.sqlite.inTransaction);
      return 42_000;
    };
    expect(await store.transact(clock, async (tx) => tx.now_ms)).toBe(42_000);
    expect(reads).toEqual([true]);
  });

  test("an awaiting callback keeps its writes in one transaction and other work on the connection waits for it", async () => {
    const { db, store } = openStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = store.transact(clockAt(1_000), async (tx) => {
      await tx.insertActive(claim({ fence: await tx.nextFence() }));
      await gate;
      await tx.insertActive(claim({ task_id: "t2", session_id: "s2", fence: await tx.nextFence() }));
      return "first";
    });
    const order: string[] = [];
    const second = grant(store, { task_id: "t3", session_id: "s3" }).then((c) => order.push(`second fence=${c.fence}`));
    const listed = store.listAllActive().then((rows) => order.push(`listed ${rows.length}`));
    await Bun.sleep(20);
    expect(order).toEqual([]);
    release();
    expect(await first).toBe("first");
    await Promise.all([second, listed]);
    expect(order).toEqual(["second fence=3", "listed 3"]);
    expect(countRows(db)).toBe(3);
  });

  test("a store call from inside a transaction rejects at once instead of waiting for itself, and the transaction rolls back", async () => {
    const { db, store } = openStore();
    const e = await thrown(() =>
      store.transact(clockAt(1_000), async (tx) => {
        await tx.insertActive(claim({ fence: await tx.nextFence() }));
        await store.listAllActive();
      }),
    );
    expect((e as Error).message).toContain("use the transaction's handle");
    expect(countRows(db)).toBe(0);
  });

  test("a handle used after its transaction ended throws", async () => {
    const { db, store } = openStore();
    let kept: Parameters<Parameters<ClaimStore["transact"]>[1]>[0] | undefined;
    await store.transact(clockAt(1_000), async (tx) => {
      kept = tx;
    });
    await expect(kept!.nextFence()).rejects.toThrow("used after its transaction ended");
    expect(countRows(db)).toBe(0);
  });

  test("markCompleted throws for an id that is not an active claim", async () => {
    const { store } = openStore();
    const c = await grant(store);
    await store.transact(clockAt(1_000), async (tx) => await tx.markCompleted(c.id, "branch_removed", 2_000));
    await expect(store.transact(clockAt(1_000), async (tx) => await tx.markCompleted(c.id, "client_completed", 3_000))).rejects.toThrow(
      `no active claim has id ${c.id}`,
    );
    expect(await store.listCompleted("acme/app", 0)).toEqual([
      { ...c, completed_at_ms: 2_000, completion_reason: "branch_removed" },
    ]);
  });

  test("the database refuses an unknown completion reason", async () => {
    const { store } = openStore();
    const c = await grant(store);
    await expect(store.transact(clockAt(1_000), async (tx) => await tx.markCompleted(c.id, "nope" as "client_completed", 2_000))).rejects.toThrow(
      "CHECK constraint failed",
    );
  });
});

describe("reads and sweeps", () => {
  /** Repo acme/app: a@100 active, b@200 active, c@300 completed@400, d@350 completed@500; acme/lib: e@150 active, f completed@450. */
  async function seed(store: ClaimStore) {
    const a = await grant(store, { task_id: "a", session_id: "sess-aaaa-1", claimed_at_ms: 100 });
    const b = await grant(store, { task_id: "b", session_id: "sess-bbbb-1", claimed_at_ms: 200 });
    const c = await grant(store, { task_id: "c", session_id: "sess-cccc-1", claimed_at_ms: 300 });
    const d = await grant(store, { task_id: "d", session_id: "sess-dddd-1", claimed_at_ms: 350 });
    const e = await grant(store, { repo: "acme/lib", task_id: "e", session_id: "sess-eeee-1", claimed_at_ms: 150 });
    const f = await grant(store, { repo: "acme/lib", task_id: "f", session_id: "sess-ffff-1", claimed_at_ms: 160 });
    await store.transact(clockAt(1_000), async (tx) => {
      await tx.markCompleted(d.id, "admin_expired", 500);
      await tx.markCompleted(c.id, "client_completed", 400);
      await tx.markCompleted(f.id, "branch_removed", 450);
    });
    const done = (r: ClaimRecord, at: number, reason: ClaimRecord["completion_reason"]) => ({
      ...r,
      completed_at_ms: at,
      completion_reason: reason,
    });
    return { a, b, c: done(c, 400, "client_completed"), d: done(d, 500, "admin_expired"), e, f: done(f, 450, "branch_removed") };
  }

  test("listActive gives the repo's active claims claimed at or after the bound, oldest first", async () => {
    const { store } = openStore();
    const { a, b } = await seed(store);
    expect(await store.listActive("acme/app", 0)).toEqual([a, b]);
    expect(await store.listActive("acme/app", 100)).toEqual([a, b]);
    expect(await store.listActive("acme/app", 101)).toEqual([b]);
    expect(await store.listActive("acme/app", 201)).toEqual([]);
    expect(await store.listActive("other/repo", 0)).toEqual([]);
  });

  test("listCompleted gives the repo's completed claims completed at or after the bound, oldest completion first", async () => {
    const { store } = openStore();
    const { c, d, f } = await seed(store);
    expect(await store.listCompleted("acme/app", 0)).toEqual([c, d]);
    expect(await store.listCompleted("acme/app", 400)).toEqual([c, d]);
    expect(await store.listCompleted("acme/app", 401)).toEqual([d]);
    expect(await store.listCompleted("acme/lib", 0)).toEqual([f]);
  });

  test("listAllActive gives every repo's active claims, oldest first", async () => {
    const { store } = openStore();
    const { a, b, e } = await seed(store);
    expect(await store.listAllActive()).toEqual([a, e, b]);
  });

  test("activeByTask and activeBySession see only active claims", async () => {
    const { store } = openStore();
    const { a } = await seed(store);
    await store.transact(clockAt(1_000), async (tx) => {
      expect(await tx.activeByTask("acme/app", "a")).toEqual(a);
      expect(await tx.activeByTask("acme/app", "c")).toBeUndefined();
      expect(await tx.activeByTask("acme/lib", "a")).toBeUndefined();
      expect(await tx.activeBySession("acme/app", "sess-aaaa-1")).toEqual(a);
      expect(await tx.activeBySession("acme/app", "sess-cccc-1")).toBeUndefined();
      expect(await tx.activeBySession("acme/app", "sess-aaaa")).toBeUndefined();
    });
  });

  test("activeBySessionPrefix matches the start of active session ids in the repo, case-sensitively and literally", async () => {
    const { store } = openStore();
    const { a, b } = await seed(store);
    const pct = await grant(store, { task_id: "p", session_id: "50%_off-xyz", claimed_at_ms: 600 });
    await store.transact(clockAt(1_000), async (tx) => {
      expect(await tx.activeBySessionPrefix("acme/app", "sess-")).toEqual([a, b]);
      expect(await tx.activeBySessionPrefix("acme/app", "sess-aaaa")).toEqual([a]);
      expect(await tx.activeBySessionPrefix("acme/app", "sess-aaaa-1")).toEqual([a]);
      expect(await tx.activeBySessionPrefix("acme/app", "SESS-AAAA")).toEqual([]);
      expect(await tx.activeBySessionPrefix("acme/app", "sess-cccc")).toEqual([]); // completed
      expect(await tx.activeBySessionPrefix("acme/app", "sess-eeee")).toEqual([]); // other repo
      expect(await tx.activeBySessionPrefix("acme/app", "sess_")).toEqual([]); // _ is not a wildcard
      expect(await tx.activeBySessionPrefix("acme/app", "%")).toEqual([]); // % is not a wildcard
      expect(await tx.activeBySessionPrefix("acme/app", "50%_")).toEqual([pct]);
    });
  });

  test("deleteActiveClaimedBefore deletes only active claims claimed strictly before the bound, in every repo", async () => {
    const { store } = openStore();
    const { b, c, d, f } = await seed(store);
    expect(await store.deleteActiveClaimedBefore(200)).toBe(2); // a@100 and e@150; not b@200, not completed c
    expect(await store.listAllActive()).toEqual([b]);
    expect(await store.listCompleted("acme/app", 0)).toEqual([c, d]);
    expect(await store.listCompleted("acme/lib", 0)).toEqual([f]);
    expect(await store.deleteActiveClaimedBefore(200)).toBe(0);
  });

  test("deleteCompletedBefore deletes only completed claims completed strictly before the bound, in every repo", async () => {
    const { store } = openStore();
    const { a, b, d, e } = await seed(store);
    expect(await store.deleteCompletedBefore(500)).toBe(2); // c@400 and f@450; not d@500
    expect(await store.listCompleted("acme/app", 0)).toEqual([d]);
    expect(await store.listCompleted("acme/lib", 0)).toEqual([]);
    expect(await store.listAllActive()).toEqual([a, e, b]);
  });
});

describe("core's claim rules on the SQLite store", () => {
  test("claim, idempotent re-claim, conflict, session_has_claim, complete, expire by prefix and by full id, list and sweep", async () => {
    const { store } = openStore();
    const policy = DEFAULT_POLICY;
    const req = { repo: "acme/app", session_id: "session-1-secret", task_id: "t1", branch: "b1", plan_file: "plans/a.json" };
    const granted = await claimTask(store, req, clockAt(1_000), policy);
    expect({ fence: granted.fence, created: granted.created }).toEqual({ fence: 1, created: true });
    expect(await claimTask(store, req, clockAt(2_000), policy)).toMatchObject({ fence: 1, created: false });
    await expect(claimTask(store, { ...req, session_id: "session-2-secret" }, clockAt(3_000), policy)).rejects.toThrow(
      expect.objectContaining({ code: "conflict" }),
    );
    await expect(claimTask(store, { ...req, task_id: "t2" }, clockAt(3_000), policy)).rejects.toThrow(
      expect.objectContaining({ code: "session_has_claim" }),
    );
    expect((await claimTask(store, { ...req, session_id: "session-2-secret", task_id: "t2" }, clockAt(4_000), policy)).fence).toBe(2);
    await expect(expireClaim(store, "acme/app", { session: "session-" }, clockAt(5_000), policy)).rejects.toThrow(
      expect.objectContaining({ code: "ambiguous" }),
    );
    await completeTask(store, req, clockAt(5_000), policy);
    await expireClaim(store, "acme/app", { session: "session-2-secret" }, clockAt(6_000), policy);
    const listing = await listClaims(store, "acme/app", 7_000, policy);
    expect(listing.active).toEqual([]);
    expect(listing.recently_completed.map((c) => [c.task_id, c.completion_reason, c.session])).toEqual([
      ["t1", "client_completed", "session-"],
      ["t2", "admin_expired", "session-"],
    ]);
    expect((await claimTask(store, req, clockAt(8_000), policy)).fence).toBe(3);
    expect(await sweepClaims(store, 8_000 + policy.claim_ttl_ms, policy)).toEqual({ expired: 1, forgotten: 2 });
  });
});

describe("listings kept in memory between writes", () => {
  const T = Date.parse("2026-01-05T20:00:00Z");
  const req = (session_id: string, task_id: string) => ({ repo: "o/r", session_id, task_id, branch: "b", plan_file: "" });
  const tasks = async (store: ClaimStore) => (await store.listActive("o/r", 0)).map((c) => c.task_id);

  test("a write through another connection (another service process) is seen at the next listing", async () => {
    const one = openStore();
    const two = openStore(one.path);
    await claimTask(one.store, req("s1", "t1"), clockAt(T), DEFAULT_POLICY);
    expect(await tasks(one.store)).toEqual(["t1"]);
    expect(await tasks(two.store)).toEqual(["t1"]);
    await claimTask(two.store, req("s2", "t2"), clockAt(T + 1), DEFAULT_POLICY);
    expect(await tasks(one.store)).toEqual(["t1", "t2"]);
    await completeTask(one.store, { repo: "o/r", session_id: "s2", task_id: "t2" }, clockAt(T + 2), DEFAULT_POLICY);
    expect(await tasks(two.store)).toEqual(["t1"]);
    expect((await two.store.listCompleted("o/r", 0)).map((c) => c.task_id)).toEqual(["t2"]);
    expect(await one.store.deleteCompletedBefore(T + 3)).toBe(1);
    expect(await two.store.listCompleted("o/r", 0)).toEqual([]);
  });

  test("a write through this store and a failed transaction leave the listing exact", async () => {
    const { store } = openStore();
    expect(await tasks(store)).toEqual([]);
    await claimTask(store, req("s1", "t1"), clockAt(T), DEFAULT_POLICY);
    expect(await tasks(store)).toEqual(["t1"]);
    await expect(claimTask(store, req("s1", "t2"), clockAt(T), DEFAULT_POLICY)).rejects.toThrow("already has an active claim");
    expect(await tasks(store)).toEqual(["t1"]);
    expect(await store.deleteActiveClaimedBefore(T + 1)).toBe(1);
    expect(await tasks(store)).toEqual([]);
    expect(await store.listActive("o/r", T + 1)).toEqual([]);
  });

  test("the since bound filters cached rows by time", async () => {
    const { store } = openStore();
    await claimTask(store, req("s1", "t1"), clockAt(T), DEFAULT_POLICY);
    await claimTask(store, req("s2", "t2"), clockAt(T + 10), DEFAULT_POLICY);
    expect((await store.listActive("o/r", T + 5)).map((c) => c.task_id)).toEqual(["t2"]);
    expect((await listClaims(store, "o/r", T + DEFAULT_POLICY.claim_ttl_ms + 5, DEFAULT_POLICY)).active.map((c) => c.task_id)).toEqual(["t2"]);
  });
});
