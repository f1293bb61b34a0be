// The storage contract, the same tests on both backends (SPEC §12): SQLite files and a throwaway PostgreSQL, through src/storage/storage.ts only.
import { describe, expect, test } from "bun:test";
import { claimTask, completeTask, DEFAULT_POLICY, expireClaim, listClaims, sweepClaims } from "../../src/core/claims.ts";
import { isCoordError } from "../../src/core/errors.ts";
import { checkPaths, listReservations, releaseReservations, reservePaths } from "../../src/core/reservations.ts";
import type { ClaimRecord, NewClaim } from "../../src/core/store.ts";
import { clockAt } from "../helpers/clock.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { SLOW, useBackends } from "./backends.ts";

const { backends: BACKENDS, pgSkip, cluster, storageAt, open } = useBackends("storage-both");

const REPO = "acme/app";
const SESSION_A = "session-aaaaaaaa-0001";
const SESSION_B = "session-bbbbbbbb-0002";

function newClaim(over: Partial<NewClaim> = {}): NewClaim {
  return { repo: REPO, task_id: "task-1", session_id: SESSION_A, branch: "feature/one", plan_file: "plans/one.json", fence: 0, claimed_at_ms: 1_000, ...over };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`storage on ${backend.name}`, () => {
    const fresh = async () => storageAt(await backend.fresh());
    const req = (task_id: string, session_id: string) => ({ repo: REPO, task_id, session_id, branch: `b/${session_id}`, plan_file: "" });

    test("core's claim rules: grant, idempotent re-claim with the same fence, conflict, session_has_claim, complete, expire, listing, sweep", async () => {
      const s = await fresh();
      const first = await claimTask(s.claims, req("t1", SESSION_A), clockAt(1_000), DEFAULT_POLICY);
      expect([first.fence, first.created]).toEqual([1, true]);
      expect((await claimTask(s.claims, req("t1", SESSION_A), clockAt(1_100), DEFAULT_POLICY)).fence).toBe(1);
      const conflict = await rejection(claimTask(s.claims, req("t1", SESSION_B), clockAt(1_200), DEFAULT_POLICY));
      expect(isCoordError(conflict, "conflict")).toBe(true);
      const busy = await rejection(claimTask(s.claims, req("t2", SESSION_A), clockAt(1_300), DEFAULT_POLICY));
      expect(isCoordError(busy, "session_has_claim")).toBe(true);
      expect(isCoordError(await rejection(completeTask(s.claims, { repo: REPO, session_id: SESSION_B, task_id: "t1" }, clockAt(1_400), DEFAULT_POLICY)), "forbidden")).toBe(true);
      await completeTask(s.claims, { repo: REPO, session_id: SESSION_A, task_id: "t1" }, clockAt(2_000), DEFAULT_POLICY);
      const second = await claimTask(s.claims, req("t1", SESSION_B), clockAt(3_000), DEFAULT_POLICY);
      expect(second.fence).toBe(2);
      const expired = await expireClaim(s.claims, REPO, { session: SESSION_B.slice(0, 8) }, clockAt(4_000), DEFAULT_POLICY);
      expect([expired.task_id, expired.completion_reason]).toEqual(["t1", "admin_expired"]);
      const listing = await listClaims(s.claims, REPO, 5_000, DEFAULT_POLICY);
      expect(listing.active).toEqual([]);
      expect(listing.recently_completed.map((c) => [c.task_id, c.fence, c.completion_reason])).toEqual([
        ["t1", 1, "client_completed"],
        ["t1", 2, "admin_expired"],
      ]);
      expect(await sweepClaims(s.claims, 4_000 + DEFAULT_POLICY.completed_ttl_ms + 1, DEFAULT_POLICY)).toEqual({ expired: 0, forgotten: 2 });
      expect(await s.claims.listCompleted(REPO, 0)).toEqual([]);
    }, SLOW);

    test("fences strictly increase, survive reopening, and are never reused after every claim is deleted", async () => {
      const database = await backend.fresh();
      const s1 = await storageAt(database);
      for (const [i, t] of ["a", "b", "c"].entries()) expect((await claimTask(s1.claims, req(t, `session-${t}-0000000000`), clockAt(1_000 + i), DEFAULT_POLICY)).fence).toBe(i + 1);
      expect(await s1.claims.deleteActiveClaimedBefore(10_000)).toBe(3);
      await s1.close();
      open.splice(open.indexOf(s1), 1);
      const s2 = await storageAt(database);
      expect((await claimTask(s2.claims, req("d", "session-d-0000000000"), clockAt(20_000), DEFAULT_POLICY)).fence).toBe(4);
    }, SLOW);

    test("a transaction that rejects rolls back its writes and its fence, and the error comes out unchanged", async () => {
      const s = await fresh();
      const boom = new Error("boom");
      const e = await rejection(
        s.claims.transact(clockAt(1_000), async (tx) => {
          await tx.insertActive(newClaim({ fence: await tx.nextFence() }));
          await tx.appendEvent(REPO, "claimed", { x: 1 }, 1_000);
          throw boom;
        }),
      );
      expect(e).toBe(boom);
      expect(await s.claims.listAllActive()).toEqual([]);
      expect(await s.events.since(REPO, 0, 10)).toEqual([]);
      const again = await s.claims.transact(clockAt(1_000), async (tx) => tx.insertActive(newClaim({ fence: await tx.nextFence() })));
      expect(again.fence).toBe(1);
    }, SLOW);

    test("the transaction's time is read from the clock once, and a handle used after its transaction ended throws", async () => {
      const s = await fresh();
      let reads = 0;
      let kept: Parameters<Parameters<typeof s.claims.transact>[1]>[0] | undefined;
      const now = await s.claims.transact(
        () => {
          reads++;
          return 7_000;
        },
        async (tx) => {
          kept = tx;
          return tx.now_ms;
        },
      );
      expect([now, reads]).toEqual([7_000, 1]);
      expect(() => kept!.activeByTask(REPO, "t")).toThrow("ClaimTx used after its transaction ended");
    }, SLOW);

    test("a second active claim of a task or a session is refused by the database itself; markCompleted refuses an unknown id", async () => {
      const s = await fresh();
      await s.claims.transact(clockAt(1_000), async (tx) => tx.insertActive(newClaim({ fence: await tx.nextFence() })));
      const sameTask = await rejection(s.claims.transact(clockAt(1_000), async (tx) => tx.insertActive(newClaim({ session_id: SESSION_B, fence: await tx.nextFence() }))));
      const sameSession = await rejection(s.claims.transact(clockAt(1_000), async (tx) => tx.insertActive(newClaim({ task_id: "task-2", fence: await tx.nextFence() }))));
      expect([sameTask, sameSession].every((e) => e instanceof Error)).toBe(true);
      const unknown = await rejection(s.claims.transact(clockAt(1_000), async (tx) => tx.markCompleted(9_999, "client_completed", 2_000)));
      expect((unknown as Error).message).toBe("markCompleted: no active claim has id 9999");
      expect((await s.claims.listAllActive()).length).toBe(1);
    }, SLOW);

    test("reads: listings by time bound and repo, lookups by task, session, both at once and literal session prefix", async () => {
      const s = await fresh();
      const put = (over: Partial<NewClaim>) => s.claims.transact(clockAt(1_000), async (tx) => tx.insertActive(newClaim({ ...over, fence: await tx.nextFence() })));
      await put({ task_id: "a", session_id: "abc%_0000000000000", claimed_at_ms: 1_000 });
      await put({ task_id: "b", session_id: "abcd000000000000000", claimed_at_ms: 2_000 });
      await put({ repo: "other/repo", task_id: "a", session_id: "abc%_0000000000000", claimed_at_ms: 3_000 });
      expect((await s.claims.listActive(REPO, 1_500)).map((c) => c.task_id)).toEqual(["b"]);
      expect((await s.claims.listAllActive()).map((c) => [c.repo, c.task_id])).toEqual([
        [REPO, "a"],
        [REPO, "b"],
        ["other/repo", "a"],
      ]);
      const found = await s.claims.transact(clockAt(1), async (tx) => ({
        byTask: (await tx.activeByTask(REPO, "b"))?.session_id,
        bySession: (await tx.activeBySession(REPO, "abcd000000000000000"))?.task_id,
        literal: (await tx.activeBySessionPrefix(REPO, "abc%_")).map((c) => c.task_id),
        wildcard: (await tx.activeBySessionPrefix(REPO, "ab_d")).map((c) => c.task_id),
        upper: (await tx.activeBySessionPrefix(REPO, "ABCD")).map((c) => c.task_id),
        both: await tx.activeByTaskAndSession(REPO, "b", "abc%_0000000000000"),
        same: await tx.activeByTaskAndSession(REPO, "b", "abcd000000000000000"),
        neither: await tx.activeByTaskAndSession(REPO, "zzz", "nobody-0000000000"),
      }));
      const [a, b] = await s.claims.listActive(REPO, 0);
      expect(found).toEqual({
        byTask: "abcd000000000000000",
        bySession: "b",
        literal: ["a"],
        wildcard: [],
        upper: [],
        both: { by_task: b, by_session: a },
        same: { by_task: b, by_session: b },
        neither: { by_task: undefined, by_session: undefined },
      });
      const rows: ClaimRecord[] = await s.claims.listActive(REPO, 0);
      expect(rows.map((r) => typeof r.fence + typeof r.claimed_at_ms + typeof r.id)).toEqual(["numbernumbernumber", "numbernumbernumber"]);
    }, SLOW);

    test("liveSessionIds: holders of active claims claimed after the bound and sessions seen at or after the other, by literal case-sensitive prefix, in the repo, each once", async () => {
      const s = await fresh();
      const session = (session_id: string, last_heartbeat_ms: number, repo = REPO) =>
        ({ repo, session_id, branch: "b", state: "working" as const, task_id: null, progress: null, note: null, stuck: null, pr_url: null, worktree: null, plan: null, first_seen_ms: 0, last_heartbeat_ms, state_since_ms: 0 });
      await s.claims.transact(clockAt(1_000), async (tx) => {
        const claim = async (over: Partial<NewClaim>) => tx.insertActive(newClaim({ ...over, fence: await tx.nextFence() }));
        await claim({ task_id: "a", session_id: "abc%_000-held-new", claimed_at_ms: 2_001 }); // held, claimed after the bound
        await claim({ task_id: "b", session_id: "abc%_000-held-old", claimed_at_ms: 2_000 }); // claimed at the bound: not live
        await claim({ task_id: "c", session_id: "abc%_000-both", claimed_at_ms: 3_000 }); // held and seen: once
        const done = await claim({ task_id: "d", session_id: "abc%_000-completed", claimed_at_ms: 3_000 });
        await tx.markCompleted(done.id, "client_completed", 3_500);
        await claim({ repo: "other/repo", task_id: "a", session_id: "abc%_000-other", claimed_at_ms: 3_000 });
        await tx.putSession(session("abc%_000-both", 5_000));
        await tx.putSession(session("abc%_000-seen", 5_000)); // seen at the bound
        await tx.putSession(session("abc%_000-gone", 4_999));
        await tx.putSession(session("abcX_000-seen", 6_000)); // % and _ are not wildcards
        await tx.putSession(session("ABC%_000-seen", 6_000)); // case-sensitive
        await tx.putSession(session("abc%_000-other-seen", 6_000, "other/repo"));
      });
      const ids = await s.claims.transact(clockAt(10_000), (tx) => tx.liveSessionIds(REPO, "abc%_000", 2_000, 5_000));
      expect(ids.sort()).toEqual(["abc%_000-both", "abc%_000-held-new", "abc%_000-seen"]);
      expect(await s.claims.transact(clockAt(10_000), (tx) => tx.liveSessionIds(REPO, "zzz", 0, 0))).toEqual([]);
    }, SLOW);

    test("liveSessionIds at the edges of a prefix: the prefix itself, multi-byte text and the highest code point after it are in; the next prefix and a shorter id are out", async () => {
      const s = await fresh();
      const prefix = "é日本-αβγ";
      const seen = ["é日本-αβγ", "é日本-αβγ-0000000000", "é日本-αβγ\u{10FFFF}\u{10FFFF}-tail", "é日本-αβγ\uFFEE-0000000000"];
      const unseen = ["é日本-αβδ-0000000000", "é日本-αβ", "é日本-αβγ".toUpperCase() + "-000000000"];
      await s.claims.transact(clockAt(1_000), async (tx) => {
        for (const session_id of [...seen, ...unseen]) {
          await tx.putSession({ repo: REPO, session_id, branch: "b", state: "working", task_id: null, progress: null, note: null, stuck: null, pr_url: null, worktree: null, plan: null, first_seen_ms: 0, last_heartbeat_ms: 1_000, state_since_ms: 0 });
        }
      });
      const ids = await s.claims.transact(clockAt(1_000), (tx) => tx.liveSessionIds(REPO, prefix, 0, 0));
      expect(ids.sort()).toEqual([...seen].sort());
    }, SLOW);

    test("16 claimers (on two service instances where the backend allows it in one process) racing for one task: one grant, 15 conflicts, no raw database error", async () => {
      const database = await backend.fresh();
      const a = await storageAt(database);
      const b = backend.twoInstances ? await storageAt(database) : a;
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => claimTask((i % 2 ? a : b).claims, req("hot", `racer-${String(i).padStart(2, "0")}-000000000`), clockAt(1_000), DEFAULT_POLICY)),
      );
      expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
      expect(results.filter((r) => r.status === "rejected").every((r) => isCoordError((r as PromiseRejectedResult).reason, "conflict"))).toBe(true);
    }, SLOW);

    test("fences and event ids of concurrent grants are in the same order: the order of commits", async () => {
      const database = await backend.fresh();
      const a = await storageAt(database);
      const b = backend.twoInstances ? await storageAt(database) : a;
      await Promise.all(Array.from({ length: 24 }, (_, i) => claimTask((i % 2 ? a : b).claims, req(`task-${i}`, `session-${String(i).padStart(2, "0")}-0000000000`), clockAt(1_000 + i), DEFAULT_POLICY)));
      const events = (await a.events.since(REPO, 0, 100)).filter((e) => e.type === "claimed");
      expect(events.length).toBe(24);
      const fences = events.map((e) => (e.data as { fence: number }).fence);
      expect(fences).toEqual([...fences].sort((x, y) => x - y));
      expect(new Set(fences).size).toBe(24);
    }, SLOW);

    test("sessions: written in a transaction, upserted, listed by time, pruned", async () => {
      const s = await fresh();
      const rec = { repo: REPO, session_id: SESSION_A, branch: "b", state: "working" as const, task_id: "t", progress: 40, note: "n", stuck: { reason: "r", context: null, options: ["x", "y"] }, pr_url: null, worktree: "/work/wt/a", plan: "1. do it", first_seen_ms: 1_000, last_heartbeat_ms: 1_000, state_since_ms: 900 };
      await s.claims.transact(clockAt(1_000), async (tx) => {
        await tx.putSession(rec);
        await tx.putSession({ ...rec, progress: 50, last_heartbeat_ms: 2_000 });
        await tx.putSession({ ...rec, session_id: SESSION_B, stuck: null, worktree: null, last_heartbeat_ms: 500 });
      });
      expect(await s.claims.transact(clockAt(1), (tx) => tx.getSession(REPO, SESSION_A))).toEqual({ ...rec, progress: 50, last_heartbeat_ms: 2_000 });
      expect((await s.sessions.listSessions(REPO, 1_000)).map((r) => r.session_id)).toEqual([SESSION_A]);
      expect(await s.sessions.deleteSessionsBefore(1_000)).toBe(1);
      expect(await s.claims.transact(clockAt(1), (tx) => tx.getSession(REPO, SESSION_B))).toBeUndefined();
    }, SLOW);

    test("controls: stored in a transaction, replaced, read outside it, deleted", async () => {
      const s = await fresh();
      const pause = { repo: REPO, session_id: SESSION_A, action: "pause" as const, message: "hold on", at_ms: 1_000, paused_from: "working" as const };
      await s.claims.transact(clockAt(1_000), (tx) => tx.putControl(pause));
      expect(await s.controls.getControl(REPO, SESSION_A)).toEqual(pause);
      const resume = { ...pause, action: "resume" as const, message: null, at_ms: 2_000, paused_from: null };
      expect(await s.claims.transact(clockAt(2_000), async (tx) => [await tx.getControl(REPO, SESSION_A), await tx.putControl(resume), await tx.getControl(REPO, SESSION_A)])).toEqual([pause, undefined, resume]);
      expect(await s.controls.getControl(REPO, SESSION_B)).toBeUndefined();
      await s.claims.transact(clockAt(3_000), (tx) => tx.deleteControl(REPO, SESSION_A));
      expect(await s.controls.getControl(REPO, SESSION_A)).toBeUndefined();
    }, SLOW);

    test("getSessionAndControl reads a session and its control together, in a transaction and through the ControlStore: both, either one, or neither", async () => {
      const s = await fresh();
      const session = (session_id: string) =>
        ({ repo: REPO, session_id, branch: "b", state: "working" as const, task_id: "t", progress: 10, note: "n", stuck: null, pr_url: null, worktree: null, plan: null, first_seen_ms: 1_000, last_heartbeat_ms: 1_000, state_since_ms: 1_000 });
      const control = (session_id: string) => ({ repo: REPO, session_id, action: "pause" as const, message: "hold on", at_ms: 1_000, paused_from: "working" as const });
      const read = (session_id: string, repo = REPO) => s.claims.transact(clockAt(2_000), (tx) => tx.getSessionAndControl(repo, session_id));
      await s.claims.transact(clockAt(1_000), async (tx) => {
        await tx.putSession(session(SESSION_A));
        await tx.putControl(control(SESSION_A));
        await tx.putSession(session(SESSION_B));
        await tx.putControl(control("session-cccccccc-0003"));
      });
      expect(await read(SESSION_A)).toEqual({ session: session(SESSION_A), control: control(SESSION_A) });
      expect(await read(SESSION_B)).toEqual({ session: session(SESSION_B), control: undefined });
      expect(await read("session-cccccccc-0003")).toEqual({ session: undefined, control: control("session-cccccccc-0003") });
      expect(await read("session-dddddddd-0004")).toEqual({ session: undefined, control: undefined });
      expect(await read(SESSION_A, "other/repo")).toEqual({ session: undefined, control: undefined });
      // The same reads outside a transaction (GET /sessions/directive).
      expect(await s.controls.getSessionAndControl(REPO, SESSION_A)).toEqual({ session: session(SESSION_A), control: control(SESSION_A) });
      expect(await s.controls.getSessionAndControl(REPO, SESSION_B)).toEqual({ session: session(SESSION_B), control: undefined });
      expect(await s.controls.getSessionAndControl(REPO, "session-cccccccc-0003")).toEqual({ session: undefined, control: control("session-cccccccc-0003") });
      expect(await s.controls.getSessionAndControl("other/repo", SESSION_A)).toEqual({ session: undefined, control: undefined });
    }, SLOW);

    test("messages: inbox with broadcasts from others, unread counts, acknowledgements of one's own inbox only, pruning", async () => {
      const s = await fresh();
      const [direct, broadcast, own] = await s.claims.transact(clockAt(1), (tx) =>
        tx.insertMessages([
          { repo: REPO, from_session: SESSION_B, to_session: SESSION_A, subject: "s1", body: "b1", created_at_ms: 1_000 },
          { repo: REPO, from_session: null, to_session: null, subject: "s2", body: "b2", created_at_ms: 2_000 },
          { repo: REPO, from_session: SESSION_A, to_session: null, subject: "s3", body: "b3", created_at_ms: 3_000 },
        ]),
      );
      expect([direct!.id < broadcast!.id, broadcast!.id < own!.id]).toEqual([true, true]);
      expect((await s.messages.inbox(REPO, SESSION_A, { unread_only: false, limit: 10 })).map((e) => e.message.subject)).toEqual(["s1", "s2"]);
      const acked = await s.claims.transact(clockAt(4_000), async (tx) => [
        await tx.unreadCount(REPO, SESSION_A),
        await tx.markRead(REPO, SESSION_A, [direct!.id, own!.id, 999], 4_000),
        await tx.markRead(REPO, SESSION_A, [direct!.id], 4_000),
        await tx.unreadCount(REPO, SESSION_A),
      ]);
      expect(acked).toEqual([2, 1, 0, 1]);
      expect((await s.messages.inbox(REPO, SESSION_A, { unread_only: true, limit: 10 })).map((e) => e.message.subject)).toEqual(["s2"]);
      expect((await s.messages.recentMessages(REPO, 2)).map((m) => m.subject)).toEqual(["s2", "s3"]);
      expect(await s.messages.deleteMessagesBefore(2_500)).toBe(2);
      expect((await s.messages.recentMessages(REPO, 10)).map((m) => m.subject)).toEqual(["s3"]);
    }, SLOW);

    test("events: appended in transactions with increasing ids, read per repo and across repos, the newest id, pruned by time", async () => {
      const s = await fresh();
      const append = (repo: string, type: "heartbeat" | "message" | "claimed", n: number, at_ms: number) => s.claims.transact(clockAt(at_ms), (tx) => tx.appendEvent(repo, type, { n }, at_ms));
      await append(REPO, "heartbeat", 1, 1_000);
      await append("other/repo", "message", 2, 2_000);
      await append(REPO, "claimed", 3, 3_000);
      const all = await s.events.sinceAll(0, 10);
      const ids = all.map((e) => e.id);
      expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true);
      expect((await s.events.since(REPO, 0, 10)).map((e) => [e.type, e.data])).toEqual([
        ["heartbeat", { n: 1 }],
        ["claimed", { n: 3 }],
      ]);
      expect((await s.events.sinceAll(ids[0]!, 10)).map((e) => e.id)).toEqual([ids[1]!, ids[2]!]);
      expect(await s.events.latestId()).toBe(ids[2]!);
      expect(await s.events.deleteEventsBefore(2_500)).toBe(2);
      expect((await s.events.sinceAll(0, 10)).map((e) => e.id)).toEqual([ids[2]!]);
      await append(REPO, "heartbeat", 4, 4_000);
      expect(await s.events.latestId()).toBeGreaterThan(ids[2]!);
    }, SLOW);

    test("reservations: reserve, conflict with another session's overlapping path, renew, check, release, all in the store's transactions", async () => {
      const s = await fresh();
      const mine = await reservePaths(s.claims, { repo: REPO, session_id: SESSION_A, paths: ["src/**"], ttl_s: 60 }, clockAt(1_000));
      expect(mine.map((r) => [r.path, r.exclusive])).toEqual([["src/**", true]]);
      const clash = await rejection(reservePaths(s.claims, { repo: REPO, session_id: SESSION_B, paths: ["src/a.ts"] }, clockAt(2_000)));
      expect(isCoordError(clash)).toBe(true);
      const renewed = await reservePaths(s.claims, { repo: REPO, session_id: SESSION_A, paths: ["src/**"], ttl_s: 120 }, clockAt(3_000));
      expect(renewed.length).toBe(1);
      expect((await listReservations(s.claims, REPO, 4_000)).length).toBe(1);
      expect((await checkPaths(s.claims, REPO, SESSION_B, ["src/x.ts", "docs/y.md"], 4_000)).map((h) => h.path)).toEqual(["src/x.ts"]);
      const released = await releaseReservations(s.claims, REPO, SESSION_A, { all: true }, clockAt(5_000));
      expect([released.released.length, released.not_held]).toEqual([1, []]);
      expect(await listReservations(s.claims, REPO, 6_000)).toEqual([]);
      expect((await reservePaths(s.claims, { repo: REPO, session_id: SESSION_B, paths: ["src/a.ts"] }, clockAt(7_000))).length).toBe(1);
    }, SLOW);

    test("webhook deliveries are handled once across instances and can be released; sightings are recorded, read and pruned", async () => {
      const database = await backend.fresh();
      const a = await storageAt(database);
      const b = backend.twoInstances ? await storageAt(database) : a;
      expect(await Promise.all([a.deliveries.claim("guid-1", 1_000), b.deliveries.claim("guid-1", 1_000)]).then((r) => r.sort())).toEqual([false, true]);
      await a.deliveries.release("guid-1");
      expect(await b.deliveries.claim("guid-1", 2_000)).toBe(true);
      const c = await claimTask(a.claims, req("t", SESSION_A), clockAt(1_000), DEFAULT_POLICY);
      await a.sightings.record([c.claim.id, 424242], 5_000);
      expect([...(await b.sightings.seen([c.claim.id, 424242, 7]))].sort((x, y) => x - y)).toEqual([c.claim.id, 424242].sort((x, y) => x - y));
      expect(await b.sightings.prune()).toBe(1);
    }, SLOW);

    test("the health probe answers", async () => {
      const s = await fresh();
      await s.ping();
      expect(s.backend).toBe(backend.name === "SQLite" ? "sqlite" : "postgresql");
    }, SLOW);
  });
}

describe.skipIf(pgSkip !== undefined)("PostgreSQL only", () => {
  test("a job slot is granted to exactly one of three replicas, and the next slot again to one", async () => {
    const database = await cluster().createDatabase();
    const replicas = await Promise.all([0, 1, 2].map(() => storageAt(database)));
    expect((await Promise.all(replicas.map((r) => r.claimJobRun("sweep", 60_000)))).filter(Boolean).length).toBe(1);
    expect((await Promise.all(replicas.map((r) => r.claimJobRun("sweep", 60_000)))).filter(Boolean).length).toBe(0);
    expect((await Promise.all(replicas.map((r) => r.claimJobRun("prune", 60_000)))).filter(Boolean).length).toBe(1);
    expect((await Promise.all(replicas.map((r) => r.claimJobRun("sweep", 120_000)))).filter(Boolean).length).toBe(1);
  }, SLOW);

  test("a commit that logged events wakes the listeners of every replica; a rolled-back one does not", async () => {
    const database = await cluster().createDatabase();
    const a = await storageAt(database);
    const b = await storageAt(database);
    let woken = 0;
    const stop = await b.watchEvents(() => woken++);
    const before = woken;
    await expect(a.claims.transact(clockAt(1), async (tx) => {
      await tx.appendEvent(REPO, "claimed", {}, 1);
      throw new Error("rolled back");
    })).rejects.toThrow("rolled back");
    await Bun.sleep(200);
    expect(woken).toBe(before);
    await a.claims.transact(clockAt(2), (tx) => tx.appendEvent(REPO, "heartbeat", {}, 2));
    for (let i = 0; i < 50 && woken === before; i++) await Bun.sleep(20);
    expect(woken).toBe(before + 1);
    await stop();
  }, SLOW);

  test("while PostgreSQL is down every store call rejects with store_unavailable and nothing changes; it recovers by itself", async () => {
    const own = await startPostgres();
    try {
      const s = await storageAt(await own.createDatabase());
      await claimTask(s.claims, req("t", SESSION_A), clockAt(1_000), DEFAULT_POLICY);
      own.pause();
      for (const p of [claimTask(s.claims, req("u", SESSION_B), clockAt(2_000), DEFAULT_POLICY), s.claims.listActive(REPO, 0), s.ping(), s.events.since(REPO, 0, 1), s.sessions.listSessions(REPO, 0)]) {
        const e = await rejection(p);
        expect(isCoordError(e, "store_unavailable")).toBe(true);
      }
      await own.resume();
      let listed: ClaimRecord[] | undefined;
      for (let i = 0; i < 50 && listed === undefined; i++) {
        listed = await s.claims.listActive(REPO, 0).catch(() => undefined);
        if (listed === undefined) await Bun.sleep(100);
      }
      expect(listed!.map((c) => [c.task_id, c.fence])).toEqual([["t", 1]]);
      expect((await claimTask(s.claims, req("u", SESSION_B), clockAt(3_000), DEFAULT_POLICY)).fence).toBe(2);
    } finally {
      own.stop();
    }
  }, 60_000);

  test("a text holding U+0000 is refused as invalid_request, not a server error, and nothing is stored", async () => {
    const s = await storageAt(await cluster().createDatabase());
    const e = await rejection(claimTask(s.claims, req("nul\u0000task", SESSION_A), clockAt(1_000), DEFAULT_POLICY));
    expect(isCoordError(e, "invalid_request")).toBe(true);
    expect(await s.claims.listAllActive()).toEqual([]);
  }, SLOW);
});

function req(task_id: string, session_id: string) {
  return { repo: REPO, task_id, session_id, branch: `b/${session_id}`, plan_file: "" };
}
