// The plan state and token as the git CLI computes them: the reference the readers are tested against.
import { compareBytes, computeToken, type PlanState } from "../../src/core/token.ts";
import { git } from "./git-fixture.ts";

/**
 * The plan state at `head` by SPEC §2, with git itself: `git ls-tree -z <head> <plan_path>/` for the
 * plan files (blobs named `*.json`, not recursive) and `git log -1 --format=%H <head> -- <path>`
 * for each. `cwd` is any directory git accepts for the repository (a work tree or a bare repo).
 */
export function oraclePlanState(cwd: string, head: string, plan_path: string): PlanState {
  const dir = plan_path.split("/").filter((p) => p !== "" && p !== ".").join("/");
  const listing = git(cwd, ["ls-tree", "-z", head, ...(dir === "" ? [] : [`${dir}/`])]);
  const paths = listing
    .split("\0")
    .filter((l) => l !== "")
    .map((l) => {
      const [meta, path] = l.split("\t") as [string, string];
      return { type: meta.split(" ")[1], path };
    })
    .filter((e) => e.type === "blob" && e.path.endsWith(".json"))
    .map((e) => e.path)
    .sort(compareBytes);
  const plan_files = paths.map((path) => ({
    path,
    sha: git(cwd, ["-c", "log.follow=false", "log", "-1", "--format=%H", head, "--", path]),
  }));
  return { head_sha: head, plan_files };
}

/** The token of `oraclePlanState`. */
export function oracleToken(cwd: string, head: string, plan_path: string): string {
  return computeToken(oraclePlanState(cwd, head, plan_path));
}
