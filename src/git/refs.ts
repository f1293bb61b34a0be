// Reads git refs from disk: loose ref files, packed-refs and symbolic refs, with no git binary.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const HEX40 = /^[0-9a-f]{40}$/;
/** Refs that live in a worktree's own git dir rather than in the common one (git's per-worktree refs). */
const PER_WORKTREE = /^(HEAD|refs\/(bisect|worktree|rewritten)\/)/;

/** Where a repository keeps its refs: `gitdir` is the common dir, `head_gitdir` the one holding HEAD (equal outside worktrees). */
export interface RefDirs {
  gitdir: string;
  head_gitdir?: string;
}

/**
 * True for a ref name git would accept (`git check-ref-format`, roughly) and that cannot escape the
 * git dir: no `..`, no control characters or ` ~^:?*[\`, no empty or dot-led component, no `.lock`.
 */
export function isValidRefName(name: string): boolean {
  if (name === "HEAD") return true;
  if (name === "" || name.endsWith("/") || name.endsWith(".") || /[\x00-\x20~^:?*[\\\x7f]|\.\.|@\{|\/\//.test(name)) {
    return false;
  }
  return name.split("/").every((part) => part !== "" && !part.startsWith(".") && !part.endsWith(".lock"));
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** `packed-refs` of a git dir: ref name → sha (peeled `^` lines skipped). Empty when absent. */
export function readPackedRefs(gitdir: string): Map<string, string> {
  const refs = new Map<string, string>();
  const text = readText(join(gitdir, "packed-refs"));
  if (text === undefined) return refs;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("^")) continue;
    const sha = line.slice(0, 40);
    const name = line.slice(41).trim();
    if (HEX40.test(sha) && name !== "") refs.set(name, sha);
  }
  return refs;
}

/** The raw value of one ref: a sha, or `ref: <target>` for a symbolic ref; undefined when absent. */
function readRawRef(dirs: RefDirs, name: string): { sha: string } | { target: string } | undefined {
  const dir = PER_WORKTREE.test(name) ? (dirs.head_gitdir ?? dirs.gitdir) : dirs.gitdir;
  const loose = readText(join(dir, name))?.trim();
  if (loose !== undefined) {
    if (loose.startsWith("ref:")) return { target: loose.slice(4).trim() };
    if (HEX40.test(loose)) return { sha: loose };
    return undefined;
  }
  const packed = readPackedRefs(dirs.gitdir).get(name);
  return packed === undefined ? undefined : { sha: packed };
}

/**
 * Resolves a full ref name (`refs/heads/main`, `HEAD`) to a 40-hex sha, following symbolic refs
 * (at most five hops). Undefined when the ref, or what it points to, does not exist, or when the
 * name is not a valid ref name. Never throws.
 */
export function resolveRef(dirs: RefDirs, name: string): string | undefined {
  let current = name;
  for (let hop = 0; hop < 5; hop++) {
    if (!isValidRefName(current)) return undefined;
    const raw = readRawRef(dirs, current);
    if (raw === undefined) return undefined;
    if ("sha" in raw) return raw.sha;
    current = raw.target;
  }
  return undefined;
}

/**
 * The symbolic target of HEAD (`refs/heads/feature`), or undefined when HEAD is detached or unreadable.
 */
export function headTarget(dirs: RefDirs): string | undefined {
  const raw = readRawRef(dirs, "HEAD");
  return raw !== undefined && "target" in raw ? raw.target : undefined;
}

/**
 * Every ref under `prefix` (e.g. `refs/heads/`), loose and packed, as full name → sha. Loose refs
 * win over packed ones, as in git; symbolic refs are resolved. Never throws.
 */
export function listRefs(dirs: RefDirs, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, sha] of readPackedRefs(dirs.gitdir)) if (name.startsWith(prefix)) out.set(name, sha);
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(join(dirs.gitdir, rel));
    } catch {
      return;
    }
    for (const n of names) {
      const child = `${rel}/${n}`;
      let isDir = false;
      try {
        isDir = statSync(join(dirs.gitdir, child)).isDirectory();
      } catch {
        continue;
      }
      if (isDir) walk(child);
      else if (child.startsWith(prefix)) {
        const sha = resolveRef(dirs, child);
        if (sha !== undefined) out.set(child, sha);
      }
    }
  };
  const top = prefix.split("/").filter((p) => p !== "");
  // Walk from the deepest directory the prefix names, so `refs/heads/` does not scan `refs/tags`.
  const startParts = prefix.endsWith("/") ? top : top.slice(0, -1);
  walk(startParts.join("/"));
  return out;
}
