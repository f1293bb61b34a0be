// The NotifyStore contract (SPEC §13), the same tests on SQLite (notify-store.ts) and a throwaway PostgreSQL (pg-notify-store.ts): cursors, rows once per (target, key), leases won by one claimer, a crashed send due again after its lease.
import { describe, expect, test } from "bun:test";
import { isCoordError } from "../../src/core/errors.ts";
import type { NewDelivery } from "../../src/storage/notify-store.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { SLOW, useBackends } from "./backends.ts";

const { backends: BACKENDS, pgSkip, storageAt } = useBackends("notify-store");

const REPO = "acme/app";
const T = 1_000_000;
const row = (key: string, target = "notify[0] (json)"): NewDelivery => ({ target, key, repo: REPO, kind: "stuck", payload: JSON.stringify({ key }) });

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`notification store on ${backend.name}`, () => {
    test("a repo's cursor starts where the first caller says and is kept; enqueue moves it forward only", async () => {
      const s = (await storageAt(await backend.fresh())).notify;
      expect(await s.cursor(REPO, 5)).toBe(5);
      expect(await s.cursor(REPO, 20)).toBe(5);
      expect(await s.enqueue(REPO, [], 9, T)).toBe(0);
      expect(await s.cursor(REPO, 0)).toBe(9);
      await s.enqueue(REPO, [], 7, T);
      expect(await s.cursor(REPO, 0)).toBe(9);
      expect(await s.cursor("acme/other", 30)).toBe(30);
    }, SLOW);

    test("a (target, key) is stored once however often it is enqueued; another target gets its own row", async () => {
      const s = (await storageAt(await backend.fresh())).notify;
      expect(await s.enqueue(REPO, [row("a"), row("b")], 2, T)).toBe(2);
      expect(await s.enqueue(REPO, [row("a"), row("b"), row("a", "notify[1] (slack)")], 3, T)).toBe(1);
      expect(await s.list()).toEqual([
        { target: "notify[0] (json)", key: "a", kind: "stuck", status: "pending", attempts: 0 },
        { target: "notify[0] (json)", key: "b", kind: "stuck", status: "pending", attempts: 0 },
        { target: "notify[1] (slack)", key: "a", kind: "stuck", status: "pending", attempts: 0 },
      ]);
      expect(await s.cursor(REPO, 0)).toBe(3);
    }, SLOW);

    test("1500 rows in one enqueue (more than one INSERT's worth) are all stored", async () => {
      const s = (await storageAt(await backend.fresh())).notify;
      const rows = Array.from({ length: 1500 }, (_, i) => row(`k${i}`));
      expect(await s.enqueue(REPO, rows, 1, T)).toBe(1500);
      expect(await s.enqueue(REPO, rows, 2, T)).toBe(0);
      expect((await s.list()).length).toBe(1500);
    }, SLOW);

    test("claims take due rows in order up to the limit; a leased row is not claimed again until its lease passes, then with the same key and attempts (a send cut off by a crash)", async () => {
      const s = (await storageAt(await backend.fresh())).notify;
      await s.enqueue(REPO, [row("a"), row("b"), row("c")], 1, T);
      expect(await s.claimDue(T - 1, T + 60_000, 10)).toEqual([]);
      const first = await s.claimDue(T, T + 60_000, 2);
      expect(first.map((d) => [d.key, d.attempts, d.created_ms, d.payload, d.repo, d.kind, d.target])).toEqual([
        ["a", 0, T, '{"key":"a"}', REPO, "stuck", "notify[0] (json)"],
        ["b", 0, T, '{"key":"b"}', REPO, "stuck", "notify[0] (json)"],
      ]);
      const third = await s.claimDue(T + 1, T + 60_001, 10);
      expect(third.map((d) => d.key)).toEqual(["c"]);
      expect(await s.claimDue(T + 59_999, T + 120_000, 10)).toEqual([]);
      expect((await s.claimDue(T + 60_000, T + 120_000, 10)).map((d) => d.key)).toEqual(["a", "b"]);
      // Nobody reported on a, b or c: their senders died. After the lease each is due again, as it was.
      const again = await s.claimDue(T + 120_001, T + 180_001, 10);
      expect(again.map((d) => [d.id, d.key, d.attempts])).toEqual([
        [first[0]!.id, "a", 0],
        [first[1]!.id, "b", 0],
        [third[0]!.id, "c", 0],
      ]);
    }, SLOW);

    test("delivered rows are never claimed again; a failed attempt is due at its retry time; giving up marks it failed", async () => {
      const s = (await storageAt(await backend.fresh())).notify;
      await s.enqueue(REPO, [row("ok"), row("retry"), row("lost")], 1, T);
      const [ok, retry, lost] = await s.claimDue(T, T + 60_000, 10);
      await s.delivered(ok!.id, T + 10);
      await s.failed(retry!.id, "HTTP 500", T + 1_000, T + 10);
      await s.failed(lost!.id, "HTTP 500", null, T + 10);
      expect(await s.claimDue(T + 999, T + 70_000, 10)).toEqual([]);
      const due = await s.claimDue(T + 1_000, T + 70_000, 10);
      expect(due.map((d) => [d.key, d.attempts])).toEqual([["retry", 1]]);
      await s.delivered(due[0]!.id, T + 1_100);
      expect((await s.list()).map((r) => [r.key, r.status, r.attempts])).toEqual([
        ["ok", "delivered", 1],
        ["retry", "delivered", 2],
        ["lost", "failed", 1],
      ]);
      expect(await s.claimDue(T + 10_000_000, T + 10_060_000, 10)).toEqual([]);
    }, SLOW);

    test("three stores on one database: the first cursor stored wins for all; 60 due rows claimed at once are each won by exactly one of them, at most the limit per claim", async () => {
      const database = await backend.fresh();
      const stores = await Promise.all([0, 1, 2].map(() => storageAt(database)));
      const starts = await Promise.all(stores.map((s, i) => s.notify.cursor(REPO, 10 + i)));
      expect(new Set(starts).size).toBe(1);
      await stores[0]!.notify.enqueue(REPO, Array.from({ length: 60 }, (_, i) => row(`k${i}`)), 1, T);
      const won: string[] = [];
      for (let round = 0; round < 6; round++) {
        const got = await Promise.all(stores.flatMap((s) => [s.notify.claimDue(T, T + 60_000, 7), s.notify.claimDue(T, T + 60_000, 7)]));
        expect(got.every((g) => g.length <= 7)).toBe(true);
        won.push(...got.flat().map((d) => d.key));
      }
      expect(won.length).toBe(60);
      expect(new Set(won).size).toBe(60);
    }, SLOW);
  });
}

describe.skipIf(pgSkip !== undefined)("notification store on PostgreSQL only", () => {
  test("while PostgreSQL is down every call rejects with store_unavailable, and the rows are as they were once it is back", async () => {
    const own = await startPostgres();
    try {
      const s = (await storageAt(await own.createDatabase())).notify;
      await s.enqueue(REPO, [row("a")], 4, T);
      own.pause();
      for (const p of [s.cursor(REPO, 0), s.enqueue(REPO, [row("b")], 5, T), s.claimDue(T, T + 60_000, 10), s.delivered(1, T), s.failed(1, "x", null, T), s.list()]) {
        const e = await p.then(
          () => new Error("expected a rejection"),
          (err: unknown) => err,
        );
        expect(isCoordError(e, "store_unavailable")).toBe(true);
      }
      await own.resume();
      let listed: Awaited<ReturnType<typeof s.list>> | undefined;
      for (let i = 0; i < 50 && listed === undefined; i++) {
        listed = await s.list().catch(() => undefined);
        if (listed === undefined) await Bun.sleep(100);
      }
      expect(listed!.map((r) => [r.key, r.status, r.attempts])).toEqual([["a", "pending", 0]]);
      expect(await s.cursor(REPO, 0)).toBe(4);
    } finally {
      own.stop();
    }
  }, 60_000);
});
