import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalMode, forEachTreeEntry, ObjectStore } from "../../src/git/object-store.ts";
import { GitReadError, readPlanState } from "../../src/git/plan-history.ts";
import { buildRandomHistory, GitRepo, git, removeTempDirs } from "../helpers/git-fixture.ts";
import { oraclePlanState } from "../helpers/git-oracle.ts";

afterAll(removeTempDirs);

/** Every commit and tree reachable from main, read with git cat-file, against the store. */
function sameAsCatFile(repo: GitRepo, limit = 60): void {
  const oids = git(repo.dir, ["rev-list", "--objects", "--no-object-names", "main"]).split("\n").slice(0, limit);
  const store = new ObjectStore(repo.gitdir);
  try {
    for (const oid of oids) {
      const type = git(repo.dir, ["cat-file", "-t", oid]);
      const obj = store.read(oid);
      expect(obj.type as string).toBe(type);
      const raw = Bun.spawnSync(["git", "cat-file", type, oid], { cwd: repo.dir }).stdout;
      expect(Buffer.compare(obj.data, Buffer.from(raw))).toBe(0);
    }
  } finally {
    store.close();
  }
}

/** How many objects of each pack type (6 ofs-delta, 7 ref-delta) the single pack of a repo holds (idx v2). */
function packTypes(gitdir: string): Record<number, number> {
  const dir = join(gitdir, "objects", "pack");
  const idxName = readdirSync(dir).find((n) => n.endsWith(".idx")) as string;
  const idx = readFileSync(join(dir, idxName));
  const pack = readFileSync(join(dir, idxName.replace(/idx$/, "pack")));
  const n = idx.readUInt32BE(8 + 255 * 4);
  const offsets = 8 + 256 * 4 + n * 24;
  const counts: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    const type = ((pack[idx.readUInt32BE(offsets + i * 4)] as number) >> 4) & 7;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

describe("ObjectStore", () => {
  test("reads ofs-delta packs, ref-delta packs and version 1 pack indexes exactly as git cat-file", async () => {
    const repo = GitRepo.init({ bare: true });
    const h = buildRandomHistory(repo, 99, 80);
    const head = repo.rev("main");
    for (const config of [
      ["-c", "repack.useDeltaBaseOffset=true"],
      ["-c", "repack.useDeltaBaseOffset=false"],
      ["-c", "pack.indexVersion=1"],
    ]) {
      repo.git([...config, "repack", "-adfq", "--depth=20", "--window=20"]);
      const idx = readdirSync(join(repo.gitdir, "objects", "pack")).find((n) => n.endsWith(".idx")) as string;
      const v2 = readFileSync(join(repo.gitdir, "objects", "pack", idx)).readUInt32BE(0) === 0xff744f63;
      expect(v2).toBe(config[1] !== "pack.indexVersion=1");
      if (config[1] === "repack.useDeltaBaseOffset=true") expect(packTypes(repo.gitdir)[6]).toBeGreaterThan(0);
      if (config[1] === "repack.useDeltaBaseOffset=false") expect(packTypes(repo.gitdir)[7]).toBeGreaterThan(0);
      sameAsCatFile(repo);
      expect(await readPlanState({ gitdir: repo.gitdir, head_sha: head, plan_path: "context" })).toEqual(
        oraclePlanState(repo.dir, head, "context"),
      );
    }
  });

  test("finds objects in a pack written after it was opened", () => {
    const repo = GitRepo.init();
    repo.commit("one", { a: "1" });
    repo.git(["repack", "-adq"]);
    const store = new ObjectStore(repo.gitdir);
    try {
      expect(store.has(repo.rev("HEAD"))).toBe(true);
      const second = repo.commit("two", { a: "2" });
      repo.git(["repack", "-adq"]);
      expect(store.has(second)).toBe(true);
      expect(store.readCommit(second).parents).toEqual([repo.rev("HEAD~1")]);
    } finally {
      store.close();
    }
  });

  test("finds a tree entry without decoding the others, and tells a missing object, a wrong type and a bad id", () => {
    const repo = GitRepo.init();
    const c = repo.commit("one", { "context/a.json": "{}", "b.txt": "b", "ü.json": "u" });
    const store = new ObjectStore(repo.gitdir);
    try {
      const { tree } = store.readCommit(c);
      expect(store.findEntry(tree, "context")?.mode).toBe("40000");
      expect(store.findEntry(tree, "ü.json")?.oid).toBe(git(repo.dir, ["rev-parse", "HEAD:ü.json"]));
      expect(store.findEntry(tree, "contex")).toBeUndefined();
      expect(store.readTree(tree).map((e) => e.name)).toEqual(["b.txt", "context", "ü.json"]);
      expect(store.has("0".repeat(40))).toBe(false);
      expect(store.has("not-an-oid")).toBe(false);
      expect(() => store.read("0".repeat(40))).toThrow(GitReadError);
      expect(() => store.readCommit(tree)).toThrow(GitReadError);
      expect(() => store.readTree(c)).toThrow(GitReadError);
    } finally {
      store.close();
    }
  });

  test("a pack whose index is still being written is skipped until it is complete", () => {
    const repo = GitRepo.init();
    const c = repo.commit("one", { a: "1" });
    repo.git(["repack", "-adq"]);
    const packDir = join(repo.gitdir, "objects", "pack");
    const idxName = readdirSync(packDir).find((n) => n.endsWith(".idx")) as string;
    const idx = readFileSync(join(packDir, idxName));
    writeFileSync(join(packDir, "pack-partial.pack"), "PACK");
    writeFileSync(join(packDir, "pack-partial.idx"), idx.subarray(0, 1100));
    const store = new ObjectStore(repo.gitdir);
    try {
      expect(store.readCommit(c).parents).toEqual([]);
      expect(store.has("1".repeat(40))).toBe(false);
    } finally {
      store.close();
    }
  });

  test("a corrupt pack is a GitReadError, not a crash", () => {
    const repo = GitRepo.init();
    const c = repo.commit("one", { a: "1" });
    repo.git(["repack", "-adq"]);
    const packDir = join(repo.gitdir, "objects", "pack");
    const pack = join(packDir, readdirSync(packDir).find((n) => n.endsWith(".pack")) as string);
    const bytes = readFileSync(pack);
    bytes.fill(0xff, 12, bytes.length - 20);
    writeFileSync(pack, bytes);
    const store = new ObjectStore(repo.gitdir);
    try {
      expect(() => store.readCommit(c)).toThrow(GitReadError);
    } finally {
      store.close();
    }
  });

  test("a tree's raw entries are walked with their mode, name and id offsets; an entry cut short is a GitReadError naming the tree", () => {
    const id = (b: number) => Buffer.alloc(20, b);
    const tree = Buffer.concat([Buffer.from("100644 a.json\0"), id(1), Buffer.from("40000 dir\0"), id(2)]);
    const seen: string[] = [];
    forEachTreeEntry("t1", tree, (p, space, nul) => seen.push(`${tree.toString("latin1", p, space)}|${tree.toString("utf8", space + 1, nul)}|${tree.toString("hex", nul + 1, nul + 21)}`));
    expect(seen).toEqual([`100644|a.json|${"01".repeat(20)}`, `40000|dir|${"02".repeat(20)}`]);
    for (const cut of [tree.subarray(0, tree.length - 1), Buffer.from("100644 no-nul"), Buffer.from("100644")]) {
      expect(() => forEachTreeEntry("t2", cut, () => undefined)).toThrow(new GitReadError("corrupt tree t2"));
    }
  });

  test("canonical modes are git's: any regular file is 100644 or 100755", () => {
    expect(canonicalMode("100644")).toBe("100644");
    expect(canonicalMode("100664")).toBe("100644");
    expect(canonicalMode("100755")).toBe("100755");
    expect(canonicalMode("100775")).toBe("100755");
    expect(canonicalMode("40000")).toBe("40000");
    expect(canonicalMode("120000")).toBe("120000");
    expect(canonicalMode("160000")).toBe("160000");
  });
});
