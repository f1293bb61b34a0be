// 20 processes reserving overlapping patterns on one database file at once: exactly one holds each contested path.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { parsePattern, patternCovers, patternsOverlap } from "../../src/core/glob-overlap.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { openDatabase } from "../../src/storage/db.ts";
import { tempDirs } from "./temp-dir.ts";

const newDir = tempDirs("reservation-race");
const CHILD = join(import.meta.dir, "reserve-child.ts");

/**
 * Two contested groups: every pattern of a group overlaps every other of it (over src/ui/button.tsx,
 * docs/guide.md) and none of the other group or of any process's own `own/<i>/**`.
 */
const SRC = ["src/**", "src/ui/**", "src/ui/button.tsx", "src/*/button.*", "src/ui/*.tsx"];
const DOCS = ["docs/*.md", "docs/?uide.md", "docs/guide.md", "docs/**"];

test("20 processes reserving overlapping patterns at once: exactly one session holds each contested path, all or nothing", async () => {
  const db = join(newDir(), "coord.db");
  openDatabase(db).close(); // migrate once, so the race is about reservations only
  const sessions = Array.from({ length: 20 }, (_, i) => `race-session-${String(i).padStart(4, "0")}`);
  const wants = sessions.map((_, i) => [i % 2 === 0 ? SRC[(i / 2) % SRC.length]! : DOCS[((i - 1) / 2) % DOCS.length]!, `own/${i}/**`]);
  const children = sessions.map((s, i) => Bun.spawn([process.execPath, CHILD, db, s, ...wants[i]!], { stdin: "pipe", stdout: "pipe", stderr: "pipe" }));
  const readers = children.map((c) => c.stdout.getReader());
  const out = children.map(() => "");
  const decoder = new TextDecoder();
  const readUntil = async (i: number, done: (s: string) => boolean) => {
    while (!done(out[i]!)) {
      const r = await readers[i]!.read();
      if (r.done) return;
      out[i] += decoder.decode(r.value, { stream: true });
    }
  };
  await Promise.all(children.map((_, i) => readUntil(i, (s) => s.includes("ready\n"))));
  for (const c of children) {
    c.stdin.write("go\n");
    c.stdin.end();
  }
  await Promise.all(children.map((_, i) => readUntil(i, () => false)));
  const codes = await Promise.all(children.map((c) => c.exited));
  const stderr = await Promise.all(children.map((c) => new Response(c.stderr).text()));
  expect({ codes, stderr }).toEqual({ codes: sessions.map(() => 0), stderr: sessions.map(() => "") });
  const results = out.map((s) => JSON.parse(s.replace("ready\n", "")) as { reserved?: string[]; conflict?: string[] });

  const winners = results.flatMap((r, i) => (r.reserved ? [i] : []));
  expect(winners.filter((i) => i % 2 === 0)).toHaveLength(1);
  expect(winners.filter((i) => i % 2 === 1)).toHaveLength(1);
  expect(results.filter((r) => r.conflict).length).toBe(18);

  const opened = openDatabase(db);
  const live = await createClaimStore(opened).reservations.listLive("race/repo", Date.now());
  opened.close();
  // Exactly the winners' reservations are stored (all or nothing), and each contested path has one holder.
  expect(live.map((r) => r.session_id).sort()).toEqual(winners.flatMap((i) => [sessions[i]!, sessions[i]!]).sort());
  for (const path of ["src/ui/button.tsx", "docs/guide.md"]) {
    expect(new Set(live.filter((r) => patternCovers(parsePattern(r.path), path)).map((r) => r.session_id)).size).toBe(1);
  }
}, 120_000);

test("the race's groups are what the test assumes: each group's patterns overlap each other and nothing outside the group", () => {
  const own = Array.from({ length: 20 }, (_, i) => `own/${i}/**`);
  const groups = [SRC, DOCS, ...own.map((o) => [o])];
  for (const [g, group] of groups.entries()) {
    for (const a of group) {
      for (const [h, other] of groups.entries()) for (const b of other) expect(patternsOverlap(parsePattern(a), parsePattern(b))).toBe(g === h);
    }
  }
});
