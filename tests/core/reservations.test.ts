// Table tests of the reservation rules (SPEC §11) over the in-memory store: all or nothing, renewal, shared, TTL, release, the claim's end.
import { describe, expect, test } from "bun:test";
import { claimTask, completeTask, DEFAULT_POLICY, expireClaim } from "../../src/core/claims.ts";
import { CoordError } from "../../src/core/errors.ts";
import { checkPaths, listReservations, releaseReservations, reservePaths } from "../../src/core/reservations.ts";
import { MemoryStore } from "../helpers/memory-store.ts";

const A = "aaaaaaaa-session-0001";
const B = "bbbbbbbb-session-0002";
const T0 = Date.parse("2026-01-05T20:00:00Z");
const repo = "o/r";
/** A clock standing at `ms`. */
const at = (ms: number) => () => ms;

async function thrown(fn: () => Promise<unknown>): Promise<CoordError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof CoordError) return e;
    throw e;
  }
  throw new Error("expected a CoordError");
}

describe("reservePaths", () => {
  test("reserves every path with the defaults: exclusive, 4 hours, no keep, normalised paths", async () => {
    const s = new MemoryStore();
    const r = await reservePaths(s, { repo, session_id: A, paths: ["./src/ui/", "docs/*.md"], reason: "frontend" }, at(T0));
    expect(r).toEqual([
      { id: 1, session: "aaaaaaaa", path: "src/ui", exclusive: true, reason: "frontend", keep: false, created_at: "2026-01-05T20:00:00Z", expires_at: "2026-01-06T00:00:00Z" },
      { id: 2, session: "aaaaaaaa", path: "docs/*.md", exclusive: true, reason: "frontend", keep: false, created_at: "2026-01-05T20:00:00Z", expires_at: "2026-01-06T00:00:00Z" },
    ]);
    expect(s.events.map((e) => e.type)).toEqual(["reserved"]);
    expect(s.events[0]!.data).toEqual({ session: "aaaaaaaa", reservations: r });
  });

  test("an overlapping path of another session is a conflict naming the holder by prefix, and nothing is reserved", async () => {
    const s = new MemoryStore();
    await reservePaths(s, { repo, session_id: A, paths: ["src/*.ts"], reason: "refactor" }, at(T0));
    const e = await thrown(() => reservePaths(s, { repo, session_id: B, paths: ["docs/a.md", "src/foo.*"] }, at(T0 + 1000)));
    expect(e.code).toBe("conflict");
    expect(e.message).toBe("'src/foo.*' overlaps 'src/*.ts', reserved by session aaaaaaaa until 2026-01-06T00:00:00Z; nothing was reserved.");
    expect(e.details).toEqual({
      conflicts: [{ path: "src/foo.*", held_by: { session: "aaaaaaaa", path: "src/*.ts", exclusive: true, expires_at: "2026-01-06T00:00:00Z", reason: "refactor" } }],
    });
    expect(s.reservationRows.map((r) => [r.session_id, r.path])).toEqual([[A, "src/*.ts"]]);
    expect(s.events.map((e) => e.type)).toEqual(["reserved"]);
  });

  const table: Array<[string, boolean, boolean, boolean]> = [
    // [case, first exclusive, second exclusive, second granted]
    ["exclusive then exclusive", true, true, false],
    ["exclusive then shared", true, false, false],
    ["shared then exclusive", false, true, false],
    ["shared then shared", false, false, true],
  ];
  for (const [name, first, second, granted] of table) {
    test(`${name} on one path: ${granted ? "both hold it" : "conflict"}`, async () => {
      const s = new MemoryStore();
      await reservePaths(s, { repo, session_id: A, paths: ["src/ui/**"], exclusive: first }, at(T0));
      const go = () => reservePaths(s, { repo, session_id: B, paths: ["src/ui/button.tsx"], exclusive: second }, at(T0));
      if (granted) expect(await go()).toHaveLength(1);
      else expect((await thrown(go)).code).toBe("conflict");
    });
  }

  test("reserving a pattern the session holds renews it (same id, new terms); its own overlapping patterns never conflict", async () => {
    const s = new MemoryStore();
    const [first] = await reservePaths(s, { repo, session_id: A, paths: ["src/ui/**"], ttl_s: 60 }, at(T0));
    const again = await reservePaths(s, { repo, session_id: A, paths: ["src/ui/**/", "src/ui/button.tsx"], ttl_s: 7200, exclusive: false, reason: "longer" }, at(T0 + 30_000));
    expect(again[0]).toEqual({ ...first!, exclusive: false, reason: "longer", expires_at: "2026-01-05T22:00:30Z" });
    expect(again[1]!.id).toBe(2);
    expect(s.reservationRows).toHaveLength(2);
  });

  test("an expired reservation is gone when read: another session gets the path, and the old row is deleted", async () => {
    const s = new MemoryStore();
    await reservePaths(s, { repo, session_id: A, paths: ["src/**"], ttl_s: 60 }, at(T0));
    expect(await listReservations(s, repo, T0 + 59_999)).toHaveLength(1);
    expect(await listReservations(s, repo, T0 + 60_000)).toEqual([]);
    expect((await reservePaths(s, { repo, session_id: B, paths: ["src/a.ts"] }, at(T0 + 60_000)))[0]!.session).toBe("bbbbbbbb");
    expect(s.reservationRows.map((r) => r.session_id)).toEqual([B]);
  });

  test("reservations of other repos never conflict", async () => {
    const s = new MemoryStore();
    await reservePaths(s, { repo, session_id: A, paths: ["**"] }, at(T0));
    expect(await reservePaths(s, { repo: "o/other", session_id: B, paths: ["**"] }, at(T0))).toHaveLength(1);
  });

  const bad: Array<[string, () => Promise<unknown>, string, string]> = [
    ["no path", () => reservePaths(new MemoryStore(), { repo, session_id: A, paths: [] }, at(T0)), "paths", "at least one path"],
    ["51 paths", () => reservePaths(new MemoryStore(), { repo, session_id: A, paths: Array.from({ length: 51 }, (_, i) => `f${i}`) }, at(T0)), "paths", "at most 50"],
    ["an absolute path", () => reservePaths(new MemoryStore(), { repo, session_id: A, paths: ["/etc/passwd"] }, at(T0)), "paths", "relative to the repo root"],
    ["ttl 0", () => reservePaths(new MemoryStore(), { repo, session_id: A, paths: ["a"], ttl_s: 0 }, at(T0)), "ttl_s", "from 1 to 604800"],
    ["ttl over 7 days", () => reservePaths(new MemoryStore(), { repo, session_id: A, paths: ["a"], ttl_s: 604_801 }, at(T0)), "ttl_s", "from 1 to 604800"],
  ];
  for (const [name, fn, field, text] of bad) {
    test(`${name} is invalid_request naming '${field}'`, async () => {
      const e = await thrown(fn);
      expect([e.code, e.details.field]).toEqual(["invalid_request", field]);
      expect(e.message).toContain(text);
    });
  }
});

describe("checkPaths", () => {
  test("names the other sessions holding each path, shared or exclusive, and leaves the caller's own out", async () => {
    const s = new MemoryStore();
    await reservePaths(s, { repo, session_id: A, paths: ["src/ui/**"] }, at(T0));
    await reservePaths(s, { repo, session_id: B, paths: ["docs/**"], exclusive: false }, at(T0));
    expect(await checkPaths(s, repo, B, ["src/ui/button.tsx", "src/api/x.ts", "docs/a.md"], T0)).toEqual([
      { path: "src/ui/button.tsx", held_by: { session: "aaaaaaaa", path: "src/ui/**", exclusive: true, expires_at: "2026-01-06T00:00:00Z", reason: null } },
    ]);
    expect((await checkPaths(s, repo, null, ["docs/a.md"], T0)).map((h) => [h.held_by.session, h.held_by.exclusive])).toEqual([["bbbbbbbb", false]]);
  });
});

describe("releaseReservations", () => {
  test("by path, by id and all: only the caller's own end; names it does not hold are listed, never another's released", async () => {
    const s = new MemoryStore();
    const mine = await reservePaths(s, { repo, session_id: A, paths: ["a/**", "b/**", "c/**"] }, at(T0));
    await reservePaths(s, { repo, session_id: B, paths: ["d/**"] }, at(T0));
    expect(await releaseReservations(s, repo, A, { paths: ["./a/", "d/**"] }, at(T0))).toEqual({ released: [mine[0]!], not_held: ["d/**"] });
    expect(await releaseReservations(s, repo, A, { ids: [mine[1]!.id, 4] }, at(T0))).toEqual({ released: [mine[1]!], not_held: [4] });
    expect(await releaseReservations(s, repo, A, { all: true }, at(T0))).toEqual({ released: [mine[2]!], not_held: [] });
    expect(s.reservationRows.map((r) => r.path)).toEqual(["d/**"]);
    expect(s.events.filter((e) => e.type === "unreserved").map((e) => e.data)).toEqual([
      { session: "aaaaaaaa", ids: [1], paths: ["a/**"] },
      { session: "aaaaaaaa", ids: [2], paths: ["b/**"] },
      { session: "aaaaaaaa", ids: [3], paths: ["c/**"] },
    ]);
  });
});

describe("reservations end with the session's claim", () => {
  const claim = (s: MemoryStore, session_id: string, task_id: string) => claimTask(s, { repo, session_id, task_id, branch: "b", plan_file: "" }, at(T0), DEFAULT_POLICY);

  test("completing the claim ends the session's reservations except those reserved with keep, in the same transaction", async () => {
    const s = new MemoryStore();
    await claim(s, A, "t1");
    await reservePaths(s, { repo, session_id: A, paths: ["src/ui/**"] }, at(T0));
    await reservePaths(s, { repo, session_id: A, paths: ["docs/**"], keep: true }, at(T0));
    await reservePaths(s, { repo, session_id: B, paths: ["src/api/**"] }, at(T0));
    await completeTask(s, { repo, session_id: A, task_id: "t1" }, at(T0 + 1), DEFAULT_POLICY);
    expect((await listReservations(s, repo, T0 + 1)).map((r) => [r.session, r.path])).toEqual([
      ["aaaaaaaa", "docs/**"],
      ["bbbbbbbb", "src/api/**"],
    ]);
    expect(s.events.map((e) => e.type)).toEqual(["claimed", "heartbeat", "reserved", "reserved", "reserved", "completed", "heartbeat", "unreserved"]);
  });

  test("an operator expiring the claim ends them too; a failed completion ends nothing", async () => {
    const s = new MemoryStore();
    await claim(s, A, "t1");
    await reservePaths(s, { repo, session_id: A, paths: ["src/ui/**"] }, at(T0));
    expect((await thrown(() => completeTask(s, { repo, session_id: B, task_id: "t1" }, at(T0), DEFAULT_POLICY))).code).toBe("forbidden");
    expect(s.reservationRows).toHaveLength(1);
    await expireClaim(s, repo, { task_id: "t1" }, at(T0), DEFAULT_POLICY);
    expect(s.reservationRows).toEqual([]);
  });
});
