// The plan state at a commit: its plan files and the newest commit that changed each, as `git log` says.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compareBytes, type PlanState } from "../core/token.ts";
import {
  type CommitNode,
  HistoryModel,
  loadHistory,
  readAnswer,
  rememberHead,
  saveHistory,
  writeAnswer,
} from "./history-cache.ts";
import { ObjectStore } from "./object-store.ts";
import { GitReadError } from "./read-error.ts";

export { GitReadError } from "./read-error.ts";

const HEX40 = /^[0-9a-f]{40}$/;
const BLOB_MODES = new Set(["100644", "100755", "120000"]);

/** Options of `readPlanState`. */
export interface ReadPlanStateOptions {
  /** The git directory holding `objects/` (for a worktree, the common dir; for a bare repo, the repo). */
  gitdir: string;
  /** The commit to read at, 40 lowercase hex. */
  head_sha: string;
  /** Folder of the plan files relative to the repository root, `/`-separated, e.g. `context` or `docs/plans`; `""` is the root. */
  plan_path: string;
  /**
   * Where to cache answers and per-commit metadata. Absent: nothing is cached on disk. Files in it
   * are written atomically; an unreadable or corrupt cache is ignored, never an error.
   */
  cache_dir?: string;
}

/**
 * The plan state at `head_sha`: the blobs (regular files, executables, symlinks) named `*.json`
 * directly in `plan_path` of head's tree, sorted by path in byte order, each with the newest
 * commit that changed it, exactly as `git log -1 --format=%H <head_sha> -- <path>` prints it
 * (default history simplification, merges, renames and deletions included; a commit listed in
 * `<gitdir>/shallow` is a root, as for git). A missing `plan_path` gives no plan files.
 *
 * Cost: the first call on a history reads every commit the walks pass through once (shared by
 * all files); with `cache_dir`, a call for the same head reads one small file and a call for a
 * newer head reads only the new commits.
 *
 * Throws `GitReadError` when `head_sha` is malformed or not in the object store, or when an
 * object on the way is missing or corrupt.
 */
export async function readPlanState(opts: ReadPlanStateOptions): Promise<PlanState> {
  const { gitdir, head_sha, cache_dir } = opts;
  if (!HEX40.test(head_sha)) throw new GitReadError(`not a commit id: ${JSON.stringify(head_sha)}`);
  const parts = planPathParts(opts.plan_path);
  const plan_path = parts.join("/");
  const shallow = readShallow(gitdir);
  // A shallow boundary is a root only until the repository is deepened: answers are not cached then.
  const answersCacheable = cache_dir !== undefined && shallow.size === 0;
  if (answersCacheable) {
    const hit = readAnswer(cache_dir, plan_path, head_sha);
    if (hit !== undefined) return { head_sha, plan_files: hit.map(([path, sha]) => ({ path, sha })) };
  }
  const model = cache_dir === undefined ? new HistoryModel() : loadHistory(cache_dir, plan_path);
  if (!answersCacheable) model.heads.clear();
  const store = openStore(gitdir);
  let files: Map<string, string>;
  try {
    files = new PlanWalker(store, model, parts, shallow).planFiles(head_sha);
  } finally {
    store.close();
  }
  const prefix = plan_path === "" ? "" : `${plan_path}/`;
  const plan_files = [...files].map(([name, sha]) => ({ path: prefix + name, sha }));
  if (cache_dir !== undefined) {
    if (answersCacheable) {
      rememberHead(model, head_sha, files);
      writeAnswer(cache_dir, plan_path, head_sha, plan_files.map((f) => [f.path, f.sha]));
    } else {
      model.heads.clear();
    }
    saveHistory(cache_dir, plan_path, model);
  }
  return { head_sha, plan_files };
}

/** Splits a plan path into its folder names, dropping empty parts and `.`. */
export function planPathParts(plan_path: string): string[] {
  return plan_path.split("/").filter((p) => p !== "" && p !== ".");
}

function openStore(gitdir: string): ObjectStore {
  try {
    return new ObjectStore(gitdir);
  } catch (e) {
    if (e instanceof GitReadError) throw e;
    throw new GitReadError(`${gitdir} cannot be read as a git directory: ${(e as Error).message}`, { cause: e });
  }
}

function readShallow(gitdir: string): Set<string> {
  try {
    return new Set(
      readFileSync(join(gitdir, "shallow"), "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => HEX40.test(l)),
    );
  } catch {
    return new Set();
  }
}

/**
 * Walks history the way `git log -1 <head> -- <path>` does, for every plan file of a head.
 *
 * git's walk pops commits from a date-ordered queue, and for each commit C: a root is shown iff the
 * path exists in it; a non-merge is shown iff the path differs from its parent; a merge with a
 * parent holding the same entry (TREESAME) is not shown and only the first such parent is followed;
 * a merge with no TREESAME parent is shown. With `-1` the walk stops at the first shown commit, and
 * a commit that is not shown always queues exactly one parent, so the queue never holds more than
 * one commit: dates and their ties cannot change the answer, and the walk is a chain. That makes the
 * answer at C a function of C and the path alone, which is what lets answers of earlier heads end
 * later walks.
 */
class PlanWalker {
  /** Root tree oid → plan-dir tree oid (`""` when absent), for this run. */
  private readonly dirOfRoot = new Map<string, string>();
  /** `<depth>:<tree oid>` → child tree oid (`""` when absent), for nested plan paths. */
  private readonly subtree = new Map<string, string>();
  private static readonly NO_ENTRIES = new Map<string, string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly model: HistoryModel,
    private readonly parts: string[],
    private readonly shallow: Set<string>,
  ) {}

  /** Plan file name → newest commit changing it, in byte order of the names. */
  planFiles(head: string): Map<string, string> {
    const node = this.node(head, true);
    const names: string[] = [];
    for (const [name, value] of this.entries(node.dir)) {
      if (BLOB_MODES.has(value.slice(0, value.indexOf(" ")))) names.push(name);
    }
    names.sort(compareBytes);
    const out = new Map<string, string>();
    for (const name of names) out.set(name, this.newestChange(head, name));
    return out;
  }

  private newestChange(head: string, name: string): string {
    let c = head;
    for (;;) {
      const known = this.model.heads.get(c)?.get(name);
      if (known !== undefined) return known;
      const node = this.node(c, false);
      const entry = this.entry(node.dir, name);
      const parents = this.shallow.has(c) ? [] : node.parents;
      if (parents.length === 0) {
        if (entry === undefined) throw new GitReadError(`history of ${name} at ${head} is inconsistent`);
        return c;
      }
      let next: string | undefined;
      for (const p of parents) {
        const pn = this.node(p, false);
        if (pn.dir === node.dir || this.entry(pn.dir, name) === entry) {
          next = p;
          break;
        }
      }
      if (next === undefined) return c;
      c = next;
    }
  }

  private node(oid: string, isHead: boolean): CommitNode {
    const known = this.model.commits.get(oid);
    if (known !== undefined) return known;
    if (isHead && !this.store.has(oid)) {
      throw new GitReadError(`commit ${oid} is not in ${this.store.gitdir}`);
    }
    const commit = this.store.readCommit(oid);
    const node: CommitNode = { parents: commit.parents, dir: this.planDir(commit.tree) };
    this.model.commits.set(oid, node);
    this.model.dirty = true;
    return node;
  }

  private planDir(root: string): string {
    const memo = this.dirOfRoot.get(root);
    if (memo !== undefined) return memo;
    let tree = root;
    for (let depth = 0; depth < this.parts.length && tree !== ""; depth++) {
      const key = `${depth}:${tree}`;
      let child = this.subtree.get(key);
      if (child === undefined) {
        const found = this.store.findEntry(tree, this.parts[depth] as string);
        child = found === undefined || found.mode !== "40000" ? "" : found.oid;
        this.subtree.set(key, child);
      }
      tree = child;
    }
    this.dirOfRoot.set(root, tree);
    return tree;
  }

  private entry(dir: string, name: string): string | undefined {
    return this.entries(dir).get(name);
  }

  private entries(dir: string): Map<string, string> {
    if (dir === "") return PlanWalker.NO_ENTRIES;
    return this.model.dir(dir) ?? this.model.addDir(dir, this.store.readTreeData(dir));
  }
}
