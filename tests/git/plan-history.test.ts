import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { computeToken, type PlanState } from "../../src/core/token.ts";
import { ObjectStore } from "../../src/git/object-store.ts";
import { GitReadError, readPlanState } from "../../src/git/plan-history.ts";
import {
  buildMergeHistory,
  buildRandomHistory,
  GitRepo,
  type Handle,
  type MergeHistory,
  removeTempDirs,
  tempDir,
} from "../helpers/git-fixture.ts";
import { oraclePlanState } from "../helpers/git-oracle.ts";

afterAll(removeTempDirs);

/** Counts object reads while `fn` runs. */
async function countReads<T>(fn: () => Promise<T>): Promise<{ result: T; reads: number }> {
  const original = ObjectStore.prototype.read;
  let reads = 0;
  ObjectStore.prototype.read = function (this: ObjectStore, oid: string) {
    reads++;
    return original.call(this, oid);
  };
  try {
    return { result: await fn(), reads };
  } finally {
    ObjectStore.prototype.read = original;
  }
}

describe("readPlanState on a merge-heavy history", () => {
  let repo: GitRepo;
  let h: MergeHistory;
  let oracle: Map<string, PlanState>;
  const expected = (sha: string): PlanState => {
    const state = oracle.get(sha);
    if (state === undefined) throw new Error(`no oracle answer for ${sha}`);
    return state;
  };

  beforeAll(() => {
    repo = GitRepo.init({ bare: true });
    h = buildMergeHistory(repo);
    oracle = new Map(h.all.map((c) => [h.builder.sha(c), oraclePlanState(repo.dir, h.builder.sha(c), "context")]));
  });

  test("the fixture covers the cases it is meant to (the oracle sees them)", () => {
    const head = oracle.get(h.builder.sha(h.mainline.at(-1) as Handle));
    const paths = head?.plan_files.map((f) => f.path);
    expect(paths).toEqual([
      "context/Z.json",
      "context/a-renamed.json",
      "context/b.json",
      "context/current-task.json",
      "context/dirlike.json",
      "context/exec.json",
      "context/link.json",
      "context/untouched.json",
    ]);
    const shas = new Set(head?.plan_files.map((f) => f.sha));
    expect(shas.has(h.builder.sha(h.all[0] as Handle))).toBe(true);
    expect(h.all.length).toBeGreaterThanOrEqual(30);
  });

  test("the oracle names the commits each scenario is about", () => {
    const { named: n, builder: b } = h;
    const at = (c: Handle, path: string): string | undefined =>
      oracle.get(b.sha(c))?.plan_files.find((f) => f.path === path)?.sha;
    expect(at(n.x1, "context/b.json")).toBe(b.sha(n.root)); // the merge kept main's b; the side's b is lost
    expect(at(n.s1, "context/b.json")).toBe(b.sha(n.s1));
    expect(at(n.x2, "context/a.json")).toBe(b.sha(n.x2)); // both sides changed a
    expect(at(n.x3, "context/b.json")).toBe(b.sha(n.s3)); // the merge took the side's b
    expect(at(n.m5, "context/a-renamed.json")).toBe(b.sha(n.m5)); // a rename is a new path
    expect(at(n.x4, "context/b.json")).toBeUndefined(); // deleted, and the side's edit merged away
    expect(at(n.m7, "context/b.json")).toBe(b.sha(n.m7)); // re-added with the root's content
    expect(at(n.x5, "context/current-task.json")).toBe(b.sha(n.x5)); // evil merge
    expect(at(n.m8, "context/dirlike.json")).toBe(b.sha(n.m8)); // was a directory
    expect(at(n.m8, "context/exec.json")).toBe(b.sha(n.m8)); // lost its executable bit
    expect(at(n.xx, "context/untouched.json")).toBe(b.sha(n.root));
    expect(at(n.f1, "context/Z.json")).toBe(b.sha(n.f1));
  });

  test("equals git log at every commit, without a cache", async () => {
    for (const c of h.all) {
      const sha = h.builder.sha(c);
      expect(await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context" })).toEqual(
        expected(sha),
      );
    }
  });

  test("equals git log at every commit with a cache, computed oldest first and then newest first", async () => {
    const cache_dir = join(tempDir(), "cache");
    for (const order of [h.all, [...h.all].reverse()]) {
      for (const c of order) {
        const sha = h.builder.sha(c);
        const state = await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context", cache_dir });
        expect(state).toEqual(expected(sha));
      }
    }
  });

  test("a fresh cache dir per side-branch head gives git's answer", async () => {
    for (const c of h.sideHeads) {
      const sha = h.builder.sha(c);
      const cache_dir = join(tempDir(), "cache");
      const cold = await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context", cache_dir });
      const warm = await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context", cache_dir });
      expect(cold).toEqual(expected(sha));
      expect(warm).toEqual(cold);
    }
  });

  test("a warm call for the same head reads no git object", async () => {
    const sha = h.builder.sha(h.mainline.at(-1) as Handle);
    const cache_dir = join(tempDir(), "cache");
    await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context", cache_dir });
    const { result, reads } = await countReads(() =>
      readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context", cache_dir }),
    );
    expect(reads).toBe(0);
    expect(computeToken(result)).toBe(computeToken(expected(sha)));
  });

  test("a corrupt or truncated cache is ignored and rewritten", async () => {
    const sha = h.builder.sha(h.mainline.at(-1) as Handle);
    const cache_dir = join(tempDir(), "cache");
    await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context", cache_dir });
    const corrupt = (dir: string): void => {
      for (const name of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, name.name);
        if (name.isDirectory()) corrupt(p);
        else writeFileSync(p, name.name.endsWith(".json") ? '{"plan_path":"context","head_sha":' : "CCPH\x02garbage");
      }
    };
    corrupt(cache_dir);
    for (const c of [h.mainline.at(-1), h.mainline.at(-3)] as Handle[]) {
      const s = h.builder.sha(c);
      expect(await readPlanState({ gitdir: repo.gitdir, head_sha: s, plan_path: "context", cache_dir })).toEqual(
        expected(s),
      );
    }
  });

  test("a cache dir that cannot be created does not make the call fail", async () => {
    const sha = h.builder.sha(h.mainline.at(-1) as Handle);
    const cache_dir = join(tempDir(), "cache");
    writeFileSync(join(cache_dir, "..", "blocker"), "");
    const blocked = join(cache_dir, "..", "blocker", "cache");
    expect(await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context", cache_dir: blocked })).toEqual(
      expected(sha),
    );
  });

  test("a missing plan path gives no plan files and the head-only token", async () => {
    const sha = h.builder.sha(h.mainline.at(-1) as Handle);
    const state = await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "plans/nowhere" });
    expect(state).toEqual({ head_sha: sha, plan_files: [] });
    expect(computeToken(state)).toBe(computeToken(oraclePlanState(repo.dir, sha, "plans/nowhere")));
  });

  test("a plan path naming a file gives no plan files", async () => {
    const sha = h.builder.sha(h.mainline.at(-1) as Handle);
    expect((await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "README.md" })).plan_files).toEqual([]);
  });

  test("a head that is not in the object store is a GitReadError", async () => {
    const missing = "0123456789abcdef0123456789abcdef01234567";
    await expect(readPlanState({ gitdir: repo.gitdir, head_sha: missing, plan_path: "context" })).rejects.toBeInstanceOf(
      GitReadError,
    );
    await expect(readPlanState({ gitdir: repo.gitdir, head_sha: "HEAD", plan_path: "context" })).rejects.toBeInstanceOf(
      GitReadError,
    );
  });

  test("a directory that is not a git dir is a GitReadError", async () => {
    const sha = h.builder.sha(h.mainline.at(-1) as Handle);
    await expect(readPlanState({ gitdir: tempDir(), head_sha: sha, plan_path: "context" })).rejects.toBeInstanceOf(
      GitReadError,
    );
  });
});

describe("readPlanState on other layouts", () => {
  test("a nested plan path and the repository root as plan path equal git log", async () => {
    const repo = GitRepo.init();
    repo.commit("one", { "docs/plans/a.json": "{}", "docs/plans/b.json": "[]", "top.json": "{}", "docs/x.json": "1" });
    repo.commit("two", { "docs/plans/a.json": '{"tasks":[]}', "docs/readme.md": "r" });
    repo.commit("three", { "top.json": '{"a":1}', "docs/plans/c.json": "{}" });
    const head = repo.rev("HEAD");
    for (const plan_path of ["docs/plans", "docs/plans/", "docs", "", "."]) {
      const state = await readPlanState({ gitdir: repo.gitdir, head_sha: head, plan_path });
      expect(state).toEqual(oraclePlanState(repo.dir, head, plan_path));
    }
  });

  test("loose objects (no pack at all) are read", async () => {
    const repo = GitRepo.init();
    repo.commit("one", { "context/a.json": "{}" });
    const second = repo.commit("two", { "context/b.json": "{}" });
    expect(readdirSync(join(repo.gitdir, "objects", "pack"))).toEqual([]);
    expect(await readPlanState({ gitdir: repo.gitdir, head_sha: second, plan_path: "context" })).toEqual(
      oraclePlanState(repo.dir, second, "context"),
    );
  });

  test("a repository using alternates (clone --shared) is read through them", async () => {
    const origin = GitRepo.init();
    origin.commit("one", { "context/a.json": "{}" });
    origin.git(["gc", "-q"]);
    origin.commit("two", { "context/a.json": "[]" });
    const clone = GitRepo.clone(origin.dir);
    const shared = GitRepo.clone(origin.dir);
    shared.git(["repack", "-adq"]);
    const alt = GitRepo.init();
    mkdirSync(join(alt.gitdir, "objects", "info"), { recursive: true });
    writeFileSync(join(alt.gitdir, "objects", "info", "alternates"), `${join(clone.gitdir, "objects")}\n`);
    const head = clone.rev("HEAD");
    expect(await readPlanState({ gitdir: alt.gitdir, head_sha: head, plan_path: "context" })).toEqual(
      oraclePlanState(clone.dir, head, "context"),
    );
  });

  test("a shallow clone ends history at its boundary, as git log does", async () => {
    const origin = GitRepo.init();
    origin.commit("one", { "context/a.json": "{}", "context/b.json": "{}" });
    origin.commit("two", { "context/a.json": "[]" });
    origin.commit("three", { "src/x": "x" });
    const s = GitRepo.init({ bare: true });
    s.git(["fetch", "-q", "--depth=2", `file://${origin.dir}`, "main:main"]);
    const head = s.rev("main");
    const cache_dir = join(tempDir(), "cache");
    const state = await readPlanState({ gitdir: s.gitdir, head_sha: head, plan_path: "context", cache_dir });
    expect(state).toEqual(oraclePlanState(s.dir, head, "context"));
    // Deepening the clone changes the answer: nothing cached at the boundary may survive.
    s.git(["fetch", "-q", "--unshallow", `file://${origin.dir}`, "main:main"]);
    const deep = await readPlanState({ gitdir: s.gitdir, head_sha: head, plan_path: "context", cache_dir });
    expect(deep).toEqual(oraclePlanState(s.dir, head, "context"));
    expect(deep).not.toEqual(state);
  });
});

describe("readPlanState incrementally", () => {
  test("a newer head after more commits and merges equals git log and reads only the new commits", async () => {
    const repo = GitRepo.init({ bare: true });
    const h = buildMergeHistory(repo);
    const cache_dir = join(tempDir(), "cache");
    const old = h.mainline.at(-1) as Handle;
    const oldSha = h.builder.sha(old);
    const cold = await countReads(() =>
      readPlanState({ gitdir: repo.gitdir, head_sha: oldSha, plan_path: "context", cache_dir }),
    );
    expect(cold.result).toEqual(oraclePlanState(repo.dir, oldSha, "context"));

    const b = h.builder;
    const side = b.commit({ ...old.tree, "context/untouched.json": '{"tasks":[]}\n' }, [old]);
    const m1 = b.commit({ ...old.tree, "src/x.ts": "export const x = 99;\n" }, [old]);
    const merge = b.commit({ ...m1.tree, "context/untouched.json": '{"tasks":[]}\n' }, [m1, side]);
    const m2 = b.commit({ ...merge.tree, "context/new.json": "{}\n" }, [merge]);
    const m3 = b.commit({ ...m2.tree, "README.md": "more\n" }, [m2]);
    b.setRef("refs/heads/main", m3);
    b.run();
    const newSha = b.sha(m3);
    const inc = await countReads(() =>
      readPlanState({ gitdir: repo.gitdir, head_sha: newSha, plan_path: "context", cache_dir }),
    );
    expect(inc.result).toEqual(oraclePlanState(repo.dir, newSha, "context"));
    // Five new commits: each is a commit, a root tree and a plan-dir tree at most.
    expect(inc.reads).toBeLessThanOrEqual(5 * 3);
    expect(inc.reads).toBeLessThan(cold.reads);
    // A fresh process with no cache agrees.
    expect(await readPlanState({ gitdir: repo.gitdir, head_sha: newSha, plan_path: "context" })).toEqual(inc.result);
  });
});

describe("readPlanState on a random history", () => {
  test("equals git log at every merge commit and at every branch head (seeded, ~300 commits)", async () => {
    const repo = GitRepo.init({ bare: true });
    const h = buildRandomHistory(repo, 20250101, 300);
    expect(h.merges.length).toBeGreaterThan(40);
    const cache_dir = join(tempDir(), "cache");
    const targets = [...h.merges, ...h.heads.values()];
    for (const c of targets) {
      const sha = h.builder.sha(c);
      const expected = oraclePlanState(repo.dir, sha, "context");
      expect(await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context" })).toEqual(expected);
      expect(await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context", cache_dir })).toEqual(
        expected,
      );
    }
  });

  test("a second seed after a repack (deltas against older objects) equals git log at every merge", async () => {
    const repo = GitRepo.init({ bare: true });
    const h = buildRandomHistory(repo, 7, 200);
    repo.git(["repack", "-adfq", "--depth=50", "--window=50"]);
    for (const c of h.merges) {
      const sha = h.builder.sha(c);
      expect(await readPlanState({ gitdir: repo.gitdir, head_sha: sha, plan_path: "context" })).toEqual(
        oraclePlanState(repo.dir, sha, "context"),
      );
    }
  });
});

