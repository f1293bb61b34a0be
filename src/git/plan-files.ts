// Reads the contents of the plan files `<plan_path>/*.json` at a commit (for task lookup; the token needs no contents).
import { compareBytes } from "../core/token.ts";
import { canonicalMode, ObjectStore } from "./object-store.ts";
import { planPathParts } from "./plan-history.ts";
import { GitReadError } from "./read-error.ts";

/** One plan file's path (repo-relative) and raw text. */
export interface PlanFileText {
  path: string;
  text: string;
}

const BLOB_MODES = new Set(["100644", "100755", "120000"]);

/**
 * Returns the plan files `<plan_path>/*.json` of `commit`'s tree (not recursive; the same blobs
 * the token counts, paths spelled the same way), sorted by path in byte order, with their text
 * decoded as UTF-8. A missing plan folder gives []. Throws `GitReadError` when `commit` is not in
 * the object store of `gitdir` (the common git dir) or an object cannot be read.
 */
export async function readPlanFiles(gitdir: string, commit: string, plan_path: string): Promise<PlanFileText[]> {
  const parts = planPathParts(plan_path);
  const prefix = parts.length === 0 ? "" : `${parts.join("/")}/`;
  const store = new ObjectStore(gitdir);
  try {
    if (!store.has(commit)) throw new GitReadError(`commit ${commit} is not in ${gitdir}`);
    let tree = store.readCommit(commit).tree;
    for (const part of parts) {
      const entry = store.findEntry(tree, part);
      if (entry === undefined || entry.mode !== "40000") return [];
      tree = entry.oid;
    }
    const out: PlanFileText[] = [];
    for (const e of store.readTree(tree)) {
      if (!e.name.endsWith(".json") || !BLOB_MODES.has(canonicalMode(e.mode))) continue;
      out.push({ path: prefix + e.name, text: new TextDecoder().decode(store.read(e.oid).data) });
    }
    return out.sort((a, b) => compareBytes(a.path, b.path));
  } finally {
    store.close();
  }
}
