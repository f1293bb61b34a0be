import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { headTarget, isValidRefName, listRefs, readPackedRefs, resolveRef } from "../../src/git/refs.ts";
import { GitRepo, removeTempDirs } from "../helpers/git-fixture.ts";

afterAll(removeTempDirs);

describe("isValidRefName", () => {
  test.each([
    ["refs/heads/main", true],
    ["refs/heads/feature/x-1", true],
    ["HEAD", true],
    ["refs/heads/../../config", false],
    ["refs/heads/a..b", false],
    ["refs/heads/.hidden", false],
    ["refs/heads/x.lock", false],
    ["refs/heads/a b", false],
    ["refs/heads/a~1", false],
    ["refs/heads/", false],
    ["/etc/passwd", false],
    ["refs//heads", false],
    ["refs/heads/a@{1}", false],
  ])("%s is %p", (name, ok) => {
    expect(isValidRefName(name)).toBe(ok);
  });
});

describe("resolveRef and listRefs", () => {
  test("follow symbolic refs, prefer loose over packed, skip peeled lines and list only under the prefix", () => {
    const repo = GitRepo.init();
    const one = repo.commit("one", { a: "1" });
    repo.git(["tag", "-a", "-m", "annotated", "v1"]);
    repo.git(["branch", "old"]);
    repo.git(["pack-refs", "--all"]);
    const two = repo.commit("two", { a: "2" });
    repo.git(["symbolic-ref", "refs/heads/alias", "refs/heads/main"]);
    const dirs = { gitdir: repo.gitdir };
    expect(resolveRef(dirs, "refs/heads/main")).toBe(two);
    expect(readPackedRefs(repo.gitdir).get("refs/heads/main")).toBe(one);
    expect(resolveRef(dirs, "refs/heads/old")).toBe(one);
    expect(resolveRef(dirs, "refs/heads/alias")).toBe(two);
    expect(resolveRef(dirs, "HEAD")).toBe(two);
    expect(resolveRef(dirs, "refs/tags/v1")).toBe(repo.git(["rev-parse", "refs/tags/v1"]));
    expect(resolveRef(dirs, "refs/heads/none")).toBeUndefined();
    expect(headTarget(dirs)).toBe("refs/heads/main");
    expect([...listRefs(dirs, "refs/heads/").entries()].sort()).toEqual([
      ["refs/heads/alias", two],
      ["refs/heads/main", two],
      ["refs/heads/old", one],
    ]);
  });

  test("a symbolic ref loop or a garbage ref file resolves to undefined", () => {
    const repo = GitRepo.init();
    repo.commit("one", { a: "1" });
    writeFileSync(join(repo.gitdir, "refs", "heads", "loop1"), "ref: refs/heads/loop2\n");
    writeFileSync(join(repo.gitdir, "refs", "heads", "loop2"), "ref: refs/heads/loop1\n");
    writeFileSync(join(repo.gitdir, "refs", "heads", "junk"), "not a sha\n");
    expect(resolveRef({ gitdir: repo.gitdir }, "refs/heads/loop1")).toBeUndefined();
    expect(resolveRef({ gitdir: repo.gitdir }, "refs/heads/junk")).toBeUndefined();
  });
});
