import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import {
  type Checkout,
  currentBranch,
  findCheckout,
  isShallow,
  planToken,
  resolveMainHead,
} from "../../src/git/checkout.ts";
import { GitReadError } from "../../src/git/plan-history.ts";
import { GitRepo, git, removeTempDirs, tempDir } from "../helpers/git-fixture.ts";
import { oracleToken } from "../helpers/git-oracle.ts";

afterAll(removeTempDirs);

async function mustFind(cwd: string): Promise<Checkout> {
  const co = await findCheckout(cwd);
  if (co === undefined) throw new Error(`no checkout found from ${cwd}`);
  return co;
}

function origin(): GitRepo {
  const repo = GitRepo.init();
  repo.commit("one", { "context/a.json": "{}", "context/current-task.json": '{"task":"x"}' });
  repo.commit("two", { "context/a.json": '{"tasks":[]}', "src/x.ts": "x" });
  return repo;
}

describe("findCheckout", () => {
  test("a clone is found from a subdirectory, with its .git as both git dirs", async () => {
    const clone = GitRepo.clone(origin().dir);
    const deep = join(clone.dir, "src", "deeper");
    mkdirSync(deep, { recursive: true });
    const co = await findCheckout(deep);
    expect(co).toEqual({ root: clone.dir, gitdir: clone.gitdir, head_gitdir: clone.gitdir });
  });

  test("a worktree has its own HEAD dir and the main repository's common dir", async () => {
    const repo = origin();
    const wt = join(tempDir(), "wt");
    repo.git(["worktree", "add", "-q", "-b", "feature", wt]);
    const co = await mustFind(join(wt, "context"));
    expect(co.root).toBe(wt);
    expect(realpathSync(co.gitdir)).toBe(realpathSync(repo.gitdir));
    expect(realpathSync(co.head_gitdir)).toBe(realpathSync(join(repo.gitdir, "worktrees", "wt")));
    expect(await currentBranch(co)).toBe("feature");
    expect(await resolveMainHead(co, "main")).toBe(repo.rev("main"));
    const { token } = await planToken({ gitdir: co.gitdir, main_branch: "main", plan_path: "context" });
    expect(token).toBe(oracleToken(repo.dir, repo.rev("main"), "context"));
  });

  test("a submodule's .git file points at a full git dir without commondir", async () => {
    const sub = origin();
    const sup = GitRepo.init();
    sup.commit("init", { "README.md": "super" });
    sup.git(["-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.dir, "modules/sub"]);
    const co = await mustFind(join(sup.dir, "modules", "sub", "context"));
    expect(co.root).toBe(join(sup.dir, "modules", "sub"));
    expect(realpathSync(co.gitdir)).toBe(realpathSync(join(sup.gitdir, "modules", "modules", "sub")));
    expect(co.head_gitdir).toBe(co.gitdir);
    expect(await resolveMainHead(co, "main")).toBe(sub.rev("main"));
  });

  test("a directory outside any repository, and a bare repository, are not checkouts", async () => {
    expect(await findCheckout(tempDir())).toBeUndefined();
    const bare = GitRepo.init({ bare: true });
    expect(await findCheckout(bare.dir)).toBeUndefined();
    expect(await findCheckout(join(bare.dir, "refs", "heads"))).toBeUndefined();
  });
});

describe("currentBranch", () => {
  test("is the branch name, also with slashes, and null when HEAD is detached", async () => {
    const repo = origin();
    const co = { root: repo.dir, gitdir: repo.gitdir, head_gitdir: repo.gitdir };
    expect(await currentBranch(co)).toBe("main");
    repo.git(["checkout", "-q", "-b", "feat/deep-name"]);
    expect(await currentBranch(co)).toBe("feat/deep-name");
    repo.git(["checkout", "-q", "--detach"]);
    expect(await currentBranch(co)).toBeNull();
  });
});

describe("resolveMainHead", () => {
  test("prefers origin/main over a local main that moved on, and falls back to main without a remote ref", async () => {
    const o = origin();
    const clone = GitRepo.clone(o.dir);
    const co = { root: clone.dir, gitdir: clone.gitdir, head_gitdir: clone.gitdir };
    const local = clone.commit("local only", { "context/a.json": '{"local":true}' });
    expect(await resolveMainHead(co, "main")).toBe(o.rev("main"));
    clone.git(["update-ref", "-d", "refs/remotes/origin/main"]);
    expect(await resolveMainHead(co, "main")).toBe(local);
    expect(await resolveMainHead(co, "trunk")).toBeUndefined();
  });

  test("reads packed refs, and a loose ref written after packing wins", async () => {
    const o = origin();
    const clone = GitRepo.clone(o.dir);
    const co = { root: clone.dir, gitdir: clone.gitdir, head_gitdir: clone.gitdir };
    clone.git(["pack-refs", "--all"]);
    expect(git(clone.dir, ["for-each-ref", "--format=%(refname)"]).split("\n")).toContain("refs/remotes/origin/main");
    expect(await resolveMainHead(co, "main")).toBe(o.rev("main"));
    clone.git(["update-ref", "-d", "refs/remotes/origin/main"]);
    clone.git(["pack-refs", "--all"]);
    expect(await resolveMainHead(co, "main")).toBe(clone.rev("main"));
    const newer = clone.commit("after packing", { "x.txt": "x" });
    expect(await resolveMainHead(co, "main")).toBe(newer);
  });
});

describe("isShallow", () => {
  test("is true for a shallow clone and false for a full one", () => {
    const o = origin();
    expect(isShallow(GitRepo.clone(o.dir).gitdir)).toBe(false);
    const s = GitRepo.init({ bare: true });
    s.git(["fetch", "-q", "--depth=1", `file://${o.dir}`, "main:main"]);
    expect(isShallow(s.gitdir)).toBe(true);
  });
});

describe("planToken", () => {
  test("equals the git CLI's token at origin/main, with and without a cache", async () => {
    const o = origin();
    const clone = GitRepo.clone(o.dir);
    clone.commit("local", { "context/a.json": '{"mine":1}' });
    const expected = oracleToken(clone.dir, o.rev("main"), "context");
    const cache_dir = join(tempDir(), "cache");
    for (const opts of [{}, { cache_dir }, { cache_dir }]) {
      const r = await planToken({ gitdir: clone.gitdir, main_branch: "main", plan_path: "context", ...opts });
      expect(r.token).toBe(expected);
      expect(r.state.head_sha).toBe(o.rev("main"));
    }
    const own = await planToken({ gitdir: clone.gitdir, main_branch: "main", plan_path: "context", head_from: "branch" });
    expect(own.token).toBe(oracleToken(clone.dir, clone.rev("main"), "context"));
  });

  test("a missing main branch or an invalid branch name is a GitReadError", async () => {
    const repo = origin();
    await expect(planToken({ gitdir: repo.gitdir, main_branch: "trunk", plan_path: "context" })).rejects.toBeInstanceOf(GitReadError);
    await expect(planToken({ gitdir: repo.gitdir, main_branch: "../../HEAD", plan_path: "context" })).rejects.toBeInstanceOf(GitReadError);
    await expect(planToken({ gitdir: join(tempDir(), "nope"), main_branch: "main", plan_path: "context" })).rejects.toBeInstanceOf(GitReadError);
  });
});
