// What spawn leaves in and beside a worktree (SPEC §14): its record in the worktree's git dir, the prompt folder, and the exclude line keeping that folder out of commits.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The record's file name, in the worktree's own git dir (`<common git dir>/worktrees/<name>/`). */
export const SPAWN_RECORD_FILE = "claude-coord-spawn.json";
/** The folder in the worktree holding the prompt and the `--exec` log; listed in `info/exclude`. */
export const WORKER_DIR = ".claude-coord";
/** The prompt file, relative to the worktree. */
export const PROMPT_FILE = `${WORKER_DIR}/prompt.md`;
/** The `--exec` command's output (stdout and stderr), relative to the worktree. */
export const EXEC_LOG_FILE = `${WORKER_DIR}/exec.log`;

/** What spawn made for one task; prune reads it back. */
export interface SpawnRecord {
  task_id: string;
  branch: string;
  /** Absolute path of the worktree. */
  worktree: string;
  /** The sha the branch was created at (a branch still there has no work yet). */
  base_sha: string;
  /** When spawn made it, RFC 3339 UTC. */
  spawned_at: string;
  /** The 8-character prefix of the session spawn made (absent in records of older versions). */
  session?: string;
}

/**
 * The main working tree of a repository: the folder holding the common git dir when that is named
 * `.git` (a normal clone, whichever of its worktrees `checkout` is), else `checkout.root`.
 */
export function mainCheckoutRoot(checkout: { root: string; gitdir: string }): string {
  return basename(checkout.gitdir) === ".git" ? dirname(checkout.gitdir) : checkout.root;
}

/** Writes `text` to `file` atomically (temp file + rename). Throws the file system's error. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Saves the record in the worktree's git dir. Throws the file system's error. */
export function writeSpawnRecord(head_gitdir: string, rec: SpawnRecord): void {
  writeAtomic(join(head_gitdir, SPAWN_RECORD_FILE), `${JSON.stringify(rec, null, 2)}\n`);
}

/** A spawned worktree found by `listSpawnRecords`. */
export interface FoundSpawn {
  record: SpawnRecord;
  /** The worktree's own git dir (holds its HEAD, the record and the saved session id). */
  head_gitdir: string;
}

function isRecord(v: unknown): v is SpawnRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return ["task_id", "branch", "worktree", "base_sha", "spawned_at"].every((k) => typeof r[k] === "string");
}

/**
 * Every worktree of the repository that spawn made: the records under
 * `<common git dir>/worktrees/*\/`, sorted by task id. A record that is not valid JSON of the
 * right shape is skipped (a worktree spawn did not make is never touched). Never throws.
 */
export function listSpawnRecords(common_gitdir: string): FoundSpawn[] {
  const root = join(common_gitdir, "worktrees");
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: FoundSpawn[] = [];
  for (const name of names) {
    const head_gitdir = join(root, name);
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(head_gitdir, SPAWN_RECORD_FILE), "utf8"));
      if (isRecord(parsed)) out.push({ record: parsed, head_gitdir });
    } catch {
      // not spawned by claude-coord, or unreadable: not ours to prune
    }
  }
  return out.sort((a, b) => (a.record.task_id < b.record.task_id ? -1 : a.record.task_id > b.record.task_id ? 1 : 0));
}

/**
 * Adds `/<WORKER_DIR>/` to `<common git dir>/info/exclude` unless a line already says so, so the
 * prompt and the log never show in `git status` nor get committed, in any worktree. Throws the
 * file system's error.
 */
export function excludeWorkerDir(common_gitdir: string): void {
  const file = join(common_gitdir, "info", "exclude");
  const line = `/${WORKER_DIR}/`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (text.split(/\r?\n/).includes(line)) return;
  mkdirSync(join(common_gitdir, "info"), { recursive: true });
  appendFileSync(file, `${text === "" || text.endsWith("\n") ? "" : "\n"}# claude-coord spawn: worker prompt and log\n${line}\n`);
}

/** Writes the prompt into the worktree (`PROMPT_FILE`, creating its folder); returns its absolute path. Throws the file system's error. */
export function writePrompt(worktree: string, text: string): string {
  mkdirSync(join(worktree, WORKER_DIR), { recursive: true });
  const file = join(worktree, PROMPT_FILE);
  writeAtomic(file, text);
  return file;
}
