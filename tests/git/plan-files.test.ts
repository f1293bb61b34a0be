import { afterAll, describe, expect, test } from "bun:test";
import { readPlanFiles } from "../../src/git/plan-files.ts";
import { GitReadError } from "../../src/git/plan-history.ts";
import { GitRepo, git, removeTempDirs } from "../helpers/git-fixture.ts";
import { oraclePlanState } from "../helpers/git-oracle.ts";

afterAll(removeTempDirs);

describe("readPlanFiles", () => {
  test("returns the token's plan files with their text, in byte order, at any commit", async () => {
    const repo = GitRepo.init();
    const first = repo.commit("one", {
      "context/b.json": '{"tasks":[{"id":"b-1"}]}',
      "context/A.json": "not json",
      "context/notes.md": "x",
      "context/sub/deep.json": "{}",
    });
    repo.git(["repack", "-adq"]);
    const second = repo.commit("two", { "context/b.json": '{"tasks":[]}', "context/ü.json": "{}" });
    for (const [commit, plan_path] of [[first, "context"], [second, "context/"], [second, "./context"]] as const) {
      const files = await readPlanFiles(repo.gitdir, commit, plan_path);
      expect(files.map((f) => f.path)).toEqual(oraclePlanState(repo.dir, commit, "context").plan_files.map((f) => f.path));
      for (const f of files) expect(f.text).toBe(git(repo.dir, ["show", `${commit}:${f.path}`]));
    }
  });

  test("a missing plan folder gives no files; a commit not in the repository is a GitReadError", async () => {
    const repo = GitRepo.init();
    const c = repo.commit("one", { "README.md": "r", "docs/plans": "a file, not a folder" });
    expect(await readPlanFiles(repo.gitdir, c, "context")).toEqual([]);
    expect(await readPlanFiles(repo.gitdir, c, "docs/plans")).toEqual([]);
    await expect(readPlanFiles(repo.gitdir, "0".repeat(40), "context")).rejects.toBeInstanceOf(GitReadError);
  });
});
