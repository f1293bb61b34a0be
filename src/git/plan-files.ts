// Reads the contents of the plan files `<plan_path>/*.json` at a commit (for task lookup; the token needs no contents).
import * as fs from "node:fs";
import git from "isomorphic-git";

/** One plan file's path (repo-relative) and raw text. */
export interface PlanFileText {
  path: string;
  text: string;
}

/**
 * Returns the plan files `<plan_path>/*.json` of `commit`'s tree (not recursive), sorted by path,
 * with their text decoded as UTF-8. A missing plan folder gives []. Throws when `commit` is not
 * in the object store of `gitdir`.
 */
export async function readPlanFiles(gitdir: string, commit: string, plan_path: string): Promise<PlanFileText[]> {
  const cache = {};
  let entries: { path: string; oid: string; type: string }[];
  try {
    const tree = await git.readTree({ fs, gitdir, oid: commit, filepath: plan_path, cache });
    entries = tree.tree.map((e) => ({ path: `${plan_path}/${e.path}`, oid: e.oid, type: e.type }));
  } catch (e) {
    if ((e as { code?: string }).code === "NotFoundError" && (await commitExists(gitdir, commit))) return [];
    throw e;
  }
  const out: PlanFileText[] = [];
  for (const e of entries) {
    if (e.type !== "blob" || !e.path.endsWith(".json")) continue;
    const { blob } = await git.readBlob({ fs, gitdir, oid: e.oid, cache });
    out.push({ path: e.path, text: new TextDecoder().decode(blob) });
  }
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

async function commitExists(gitdir: string, oid: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir, oid });
    return true;
  } catch {
    return false;
  }
}
