import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  HistoryModel,
  loadHistory,
  planKey,
  readAnswer,
  rememberHead,
  saveHistory,
  writeAnswer,
} from "../../src/git/history-cache.ts";
import { removeTempDirs, tempDir } from "../helpers/git-fixture.ts";

afterAll(removeTempDirs);

const oid = (n: number): string => n.toString(16).padStart(40, "0");

function tree(entries: [string, string, string][]): Buffer {
  return Buffer.concat(
    entries.map(([mode, name, o]) => Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(o, "hex")])),
  );
}

describe("history cache", () => {
  test("a saved model loads back equal, with only *.json entries and canonical modes", () => {
    const dir = tempDir();
    const m = new HistoryModel();
    m.commits.set(oid(1), { parents: [], dir: oid(100) });
    m.commits.set(oid(2), { parents: [oid(1)], dir: "" });
    m.commits.set(oid(3), { parents: [oid(2), oid(1)], dir: oid(101) });
    m.addDir(oid(100), tree([["100644", "a.json", oid(7)], ["100664", "b.json", oid(8)], ["100644", "c.md", oid(9)]]));
    m.addDir(oid(101), tree([["100755", "a.json", oid(7)], ["40000", "d.json", oid(10)]]));
    rememberHead(m, oid(3), new Map([["a.json", oid(3)]]));
    saveHistory(dir, "context", m);
    const back = loadHistory(dir, "context");
    expect([...back.commits]).toEqual([...m.commits]);
    expect([...(back.dir(oid(100)) ?? [])]).toEqual([
      ["a.json", `100644 ${oid(7)}`],
      ["b.json", `100644 ${oid(8)}`],
    ]);
    expect([...(back.dir(oid(101)) ?? [])]).toEqual([
      ["a.json", `100755 ${oid(7)}`],
      ["d.json", `40000 ${oid(10)}`],
    ]);
    expect([...back.heads]).toEqual([...m.heads]);
    expect(back.dirty).toBe(false);
    // Another plan path, a flipped byte or a truncated file: an empty model.
    expect(loadHistory(dir, "docs").commits.size).toBe(0);
    const file = join(dir, `plan-history-${planKey("context")}.bin`);
    const bytes = readFileSync(file);
    bytes[40] = (bytes[40] as number) ^ 1;
    writeFileSync(file, bytes);
    expect(loadHistory(dir, "context").commits.size).toBe(0);
    writeFileSync(file, bytes.subarray(0, 30));
    expect(loadHistory(dir, "context").commits.size).toBe(0);
  });

  test("answers round-trip, a foreign or malformed answer is ignored, and no temp file is left behind", () => {
    const dir = tempDir();
    writeAnswer(dir, "context", oid(5), [["context/a.json", oid(1)]]);
    expect(readAnswer(dir, "context", oid(5))).toEqual([["context/a.json", oid(1)]]);
    expect(readAnswer(dir, "context", oid(6))).toBeUndefined();
    const answers = join(dir, "answers", planKey("context"));
    expect(readdirSync(answers)).toEqual([`${oid(5)}.json`]);
    writeFileSync(join(answers, `${oid(5)}.json`), JSON.stringify({ plan_path: "context", head_sha: oid(5), files: [["x", "nope"]] }));
    expect(readAnswer(dir, "context", oid(5))).toBeUndefined();
  });

  test("only the most recent heads are kept", () => {
    const m = new HistoryModel();
    for (let i = 0; i < 40; i++) rememberHead(m, oid(i), new Map());
    expect(m.heads.size).toBe(16);
    expect([...m.heads.keys()][0]).toBe(oid(24));
  });
});
