// Real git repositories in temp dirs, made with the git CLI, for the tests of src/git/ and src/sources/.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { removeAtEnd } from "./cleanup.ts";

const made: string[] = [];

/** A fresh temp dir, removed by `removeTempDirs()` (and at the end of the run, when a test file forgot to). */
export function tempDir(prefix = "coord-git-"): string {
  const dir = removeAtEnd(mkdtempSync(join(tmpdir(), prefix)));
  made.push(dir);
  return dir;
}

/** Removes every dir `tempDir` made. Call it in `afterAll`. */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The environment every fixture git runs in: no user or system config, fixed identity, the given date (seconds). */
export function gitEnv(date?: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("GIT_")) env[k] = v;
  }
  Object.assign(env, {
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Fixture",
    GIT_AUTHOR_EMAIL: "fixture@example.com",
    GIT_COMMITTER_NAME: "Fixture",
    GIT_COMMITTER_EMAIL: "fixture@example.com",
  });
  if (date !== undefined) {
    env.GIT_AUTHOR_DATE = `${date} +0000`;
    env.GIT_COMMITTER_DATE = `${date} +0000`;
  }
  return env;
}

/** Runs git; throws with its stderr when it fails. Returns stdout without the trailing newline. */
export function git(cwd: string, args: string[], opts: { input?: string | Buffer; date?: number } = {}): string {
  const r = spawnSync("git", args, {
    cwd,
    env: gitEnv(opts.date),
    input: opts.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed in ${cwd}: ${r.stderr?.toString() ?? r.error}`);
  return r.stdout.toString().replace(/\n$/, "");
}

/** A file's content, or content with a mode (`100755` executable, `120000` symlink whose target is the content). */
export type FileSpec = string | { content: string; mode: "100644" | "100755" | "120000" };
/** A whole tree: path → file. */
export type Tree = Record<string, FileSpec>;

/** A repository on disk: a working clone (`dir` with `dir/.git`) or a bare repo (`dir` is the git dir). */
export class GitRepo {
  /** The next commit date, seconds; each commit made through this repo takes it and adds 60. */
  clock = 1_700_000_000;

  private constructor(
    readonly dir: string,
    readonly gitdir: string,
  ) {}

  /** `git init -b main` in a new temp dir (or `dir`). */
  static init(opts: { bare?: boolean; dir?: string } = {}): GitRepo {
    const dir = opts.dir ?? tempDir();
    mkdirSync(dir, { recursive: true });
    git(dir, ["init", "-q", "-b", "main", ...(opts.bare ? ["--bare"] : []), "."]);
    return new GitRepo(dir, opts.bare ? dir : join(dir, ".git"));
  }

  /** `git clone` of `source` into a new temp dir. */
  static clone(source: string, opts: { bare?: boolean } = {}): GitRepo {
    const dir = join(tempDir(), "clone");
    git(tmpdir(), ["clone", "-q", ...(opts.bare ? ["--bare"] : []), source, dir]);
    return new GitRepo(dir, opts.bare ? dir : join(dir, ".git"));
  }

  /** Runs git in the repo. */
  git(args: string[], opts: { input?: string | Buffer; date?: number } = {}): string {
    return git(this.dir, args, opts);
  }

  /** The 40-hex sha of a revision. */
  rev(rev: string): string {
    return this.git(["rev-parse", "--verify", `${rev}^{commit}`]);
  }

  /**
   * Writes `files` into the working tree (null deletes), stages everything and commits with the
   * next clock date (or `date`). Returns the new commit's sha.
   */
  commit(message: string, files: Record<string, string | null> = {}, opts: { date?: number } = {}): string {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    const date = opts.date ?? this.tick();
    this.git(["add", "-A"]);
    this.git(["commit", "-q", "--allow-empty", "--no-verify", "-m", message], { date });
    return this.rev("HEAD");
  }

  /** Takes the next commit date. */
  tick(): number {
    const d = this.clock;
    this.clock += 60;
    return d;
  }
}

/** A commit made by a `HistoryBuilder`: its mark and its full tree. */
export interface Handle {
  readonly mark: number;
  readonly tree: Tree;
}

/**
 * Builds exact histories with `git fast-import`: every commit has an explicit full tree, explicit
 * parents (any number, so merges resolve however a test wants) and an explicit date. Commits are
 * queued by `commit()` and written by `run()`; `run()` may be called again after more commits.
 */
export class HistoryBuilder {
  private readonly pending: string[] = [];
  private readonly shas = new Map<number, string>();
  private nextMark = 1;
  /** The next date, seconds; each commit takes it and adds 60 unless it gives its own. */
  clock = 1_700_000_000;

  constructor(readonly repo: GitRepo) {}

  /** Queues a commit with the full tree `tree` and the given parents (first parent first). */
  commit(tree: Tree, parents: Handle[] = [], opts: { date?: number; message?: string } = {}): Handle {
    const mark = this.nextMark++;
    const date = opts.date ?? this.clock;
    if (opts.date === undefined) this.clock += 60;
    const message = opts.message ?? `commit ${mark}`;
    const lines = [
      "reset refs/fixture/scratch",
      `commit refs/fixture/scratch`,
      `mark :${mark}`,
      `author Fixture <fixture@example.com> ${date} +0000`,
      `committer Fixture <fixture@example.com> ${date} +0000`,
      `data ${Buffer.byteLength(message)}`,
      message,
    ];
    parents.forEach((p, i) => lines.push(`${i === 0 ? "from" : "merge"} ${this.ref(p)}`));
    lines.push("deleteall");
    for (const [path, spec] of Object.entries(tree)) {
      const { content, mode } = typeof spec === "string" ? { content: spec, mode: "100644" } : spec;
      lines.push(`M ${mode} inline ${path}`, `data ${Buffer.byteLength(content)}`, content);
    }
    this.pending.push(`${lines.join("\n")}\n\n`);
    return { mark, tree: { ...tree } };
  }

  /** Queues `ref` (e.g. `refs/heads/main`) to point at `h`. */
  setRef(ref: string, h: Handle): void {
    this.pending.push(`reset ${ref}\nfrom ${this.ref(h)}\n\n`);
  }

  private ref(h: Handle): string {
    return this.shas.get(h.mark) ?? `:${h.mark}`;
  }

  /** Writes the queued commits. */
  run(): void {
    if (this.pending.length === 0) return;
    const marksFile = join(tempDir("coord-marks-"), "marks");
    this.repo.git(["fast-import", "--quiet", "--force", `--export-marks=${marksFile}`], {
      input: this.pending.join(""),
    });
    this.pending.length = 0;
    for (const line of readFileSync(marksFile, "utf8").split("\n")) {
      const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line);
      if (m) this.shas.set(Number(m[1]), m[2] as string);
    }
    this.repo.git(["update-ref", "-d", "refs/fixture/scratch"]);
  }

  /** The sha of a written commit. */
  sha(h: Handle): string {
    const s = this.shas.get(h.mark);
    if (s === undefined) throw new Error(`commit :${h.mark} is not written yet; call run()`);
    return s;
  }
}

/** A seeded PRNG (mulberry32) returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const plan = (name: string, rev: string): string =>
  `${JSON.stringify({ plan_name: name, last_updated: "2025-01-01", tasks: [{ id: `${name}-task`, name: rev, status: "pending" }] }, null, 2)}\n`;

/** The commits of `buildMergeHistory`, by role. */
export interface MergeHistory {
  builder: HistoryBuilder;
  /** Every commit, in creation order. */
  all: Handle[];
  /** The commits main pointed to over time, oldest first; the last is main's head. */
  mainline: Handle[];
  /** Heads of side branches that were merged. */
  sideHeads: Handle[];
  /** The commits the scenarios are about, by the names used in `buildMergeHistory`. */
  named: Record<"root" | "s1" | "x1" | "x2" | "s3" | "x3" | "m5" | "x4" | "m7" | "x5" | "m8" | "f1" | "xx", Handle>;
}

/**
 * A history with plan files under `context/` exercising what `git log -1 -- <path>` must get right:
 * a merge keeping the first parent's version of a file the side changed; a merge keeping the side's
 * version; both sides changed and the merge resolved to new content; an evil merge; a rename; a
 * deletion, a side edit of the deleted file merged away, and a re-add with the original content; a
 * file untouched since the root; a pointer file without tasks; a mode change; a symlink; a path that
 * used to be a directory; a fast-forward; a criss-cross; equal dates and a clock skew; a non-json
 * file and a nested json file that do not count. `main` is set to the last mainline commit.
 */
export function buildMergeHistory(repo: GitRepo): MergeHistory {
  const b = new HistoryBuilder(repo);
  const all: Handle[] = [];
  const mainline: Handle[] = [];
  const sideHeads: Handle[] = [];
  const c = (tree: Tree, parents: Handle[], opts: { date?: number } = {}): Handle => {
    const h = b.commit(tree, parents, opts);
    all.push(h);
    return h;
  };
  const main = (tree: Tree, parents: Handle[], opts: { date?: number } = {}): Handle => {
    const h = c(tree, parents, opts);
    mainline.push(h);
    return h;
  };
  const without = (t: Tree, ...paths: string[]): Tree => {
    const n = { ...t };
    for (const p of paths) delete n[p];
    return n;
  };

  const root = main(
    {
      "README.md": "fixture\n",
      "src/x.ts": "export const x = 0;\n",
      "context/a.json": plan("a", "0"),
      "context/b.json": plan("b", "0"),
      "context/untouched.json": plan("untouched", "0"),
      "context/current-task.json": `${JSON.stringify({ task: "a-task", plan: "a", active_plan: "a", next_plan: "b" })}\n`,
      "context/notes.md": "not a plan\n",
      "context/sub/nested.json": plan("nested", "0"),
      "context/Z.json": plan("Z", "0"),
    },
    [],
  );
  const m1 = main({ ...root.tree, "context/a.json": plan("a", "1") }, [root]);
  // Side changes b; the merge keeps main's b.
  const s1 = c({ ...m1.tree, "context/b.json": plan("b", "side-1") }, [m1]);
  const m2 = main({ ...m1.tree, "src/x.ts": "export const x = 2;\n", "context/dirlike.json/inner.txt": "dir\n" }, [m1]);
  const x1 = main({ ...m2.tree }, [m2, s1]);
  sideHeads.push(s1);
  // Both sides change a; the merge resolves to a third version.
  const s2 = c({ ...x1.tree, "context/a.json": plan("a", "side-2") }, [x1]);
  const m3 = main({ ...x1.tree, "context/a.json": plan("a", "main-3") }, [x1]);
  const x2 = main({ ...m3.tree, "context/a.json": plan("a", "resolved") }, [m3, s2]);
  sideHeads.push(s2);
  // Side changes b; the merge takes the side's b (TREESAME to the second parent only).
  const s3 = c({ ...x2.tree, "context/b.json": plan("b", "side-3") }, [x2]);
  const m4 = main({ ...x2.tree, "src/x.ts": "export const x = 4;\n" }, [x2]);
  const x3 = main({ ...m4.tree, "context/b.json": plan("b", "side-3") }, [m4, s3]);
  sideHeads.push(s3);
  // Rename a → a-renamed (same content), mode change, symlink.
  const m5 = main(
    {
      ...without(x3.tree, "context/a.json"),
      "context/a-renamed.json": x3.tree["context/a.json"] as string,
      "context/exec.json": { content: plan("exec", "0"), mode: "100755" },
      "context/link.json": { content: "a-renamed.json", mode: "120000" },
    },
    [x3],
  );
  const m6tree = without(m5.tree, "context/b.json");
  // A side edits b while main deletes it; the merge keeps the deletion; then b is re-added as in the root.
  const s4 = c({ ...m5.tree, "context/b.json": plan("b", "side-4") }, [m5]);
  const m6 = main(m6tree, [m5]);
  const x4 = main({ ...m6.tree }, [m6, s4]);
  sideHeads.push(s4);
  const m7 = main({ ...x4.tree, "context/b.json": root.tree["context/b.json"] as string }, [x4]);
  // Evil merge: the merge changes the pointer file, which neither parent changed.
  const s5 = c({ ...m7.tree, "src/x.ts": "export const x = 5;\n" }, [m7]);
  const x5 = main(
    { ...m7.tree, "src/x.ts": "export const x = 5;\n", "context/current-task.json": '{"task":"b-task"}\n' },
    [m7, s5],
  );
  sideHeads.push(s5);
  // The directory context/dirlike.json becomes a file; exec.json loses its executable bit.
  const m8 = main(
    {
      ...without(x5.tree, "context/dirlike.json/inner.txt"),
      "context/dirlike.json": plan("dirlike", "0"),
      "context/exec.json": plan("exec", "0"),
    },
    [x5],
  );
  // Fast-forward: side commits become main's history, one with the same date as its parent.
  const f1 = main({ ...m8.tree, "context/Z.json": plan("Z", "ff-1") }, [m8]);
  const f2 = main({ ...f1.tree, "src/x.ts": "export const x = 6;\n" }, [f1], { date: b.clock - 60 });
  // Criss-cross: two branches each merge the other.
  const p = c({ ...f2.tree, "context/a-renamed.json": plan("a", "p") }, [f2]);
  const q = c({ ...f2.tree, "context/b.json": plan("b", "q") }, [f2]);
  const pq = c({ ...p.tree, "context/b.json": plan("b", "q") }, [p, q]);
  const qp = c({ ...q.tree, "context/a-renamed.json": plan("a", "p") }, [q, p]);
  sideHeads.push(pq, qp);
  const xx = main({ ...pq.tree }, [qp, pq]);
  // Clock skew: a commit dated before its parent, and a merge whose parents share its date.
  const skew = main({ ...xx.tree, "context/Z.json": plan("Z", "skew") }, [xx], { date: 1_600_000_000 });
  const t = b.clock;
  b.clock += 60;
  const side = c({ ...skew.tree, "context/untouched.json": plan("untouched", "0") }, [skew], { date: t });
  const tie = main({ ...skew.tree, "src/x.ts": "export const x = 7;\n" }, [skew], { date: t });
  main({ ...tie.tree }, [tie, side], { date: t });
  sideHeads.push(side);
  b.setRef("refs/heads/main", mainline[mainline.length - 1] as Handle);
  b.run();
  const named = { root, s1, x1, x2, s3, x3, m5, x4, m7, x5, m8, f1, xx };
  return { builder: b, all, mainline, sideHeads, named };
}

/** The commits of `buildRandomHistory`. */
export interface RandomHistory {
  builder: HistoryBuilder;
  all: Handle[];
  merges: Handle[];
  /** Branch name → head handle at the end. */
  heads: Map<string, Handle>;
}

/**
 * A random history (seeded, reproducible): branches forking from branch heads and older commits,
 * merges resolved file by file at random (first side, second side, new content or deletion, now
 * and then an evil change), plan files under `context/` edited, renamed, deleted, re-added and
 * chmodded, about one date in six equal to the previous one and one in twenty going backwards.
 * `refs/heads/<branch>` is set for every branch; main is `main`.
 */
export function buildRandomHistory(repo: GitRepo, seed: number, commits: number): RandomHistory {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const b = new HistoryBuilder(repo);
  const all: Handle[] = [];
  const merges: Handle[] = [];
  const heads = new Map<string, Handle>();
  let date = 1_700_000_000;
  const nextDate = (): number => {
    const r = rnd();
    if (r < 0.16) return date;
    if (r < 0.21) return date - 3600;
    date += 60;
    return date;
  };
  const names = Array.from({ length: 12 }, (_, i) => `context/p${i}.json`);
  let rev = 0;
  const mutate = (tree: Tree): Tree => {
    const t = { ...tree };
    const ops = 1 + Math.floor(rnd() * 2);
    for (let i = 0; i < ops; i++) {
      const present = names.filter((n) => n in t);
      const r = rnd();
      if (r < 0.4 && present.length > 0) t[pick(present)] = plan("p", `r${++rev}`);
      else if (r < 0.5 && present.length > 0) {
        const from = pick(present);
        const to = pick(names.filter((n) => !(n in t)).concat([`context/r${rev}.json`]));
        t[to] = t[from] as FileSpec;
        delete t[from];
      } else if (r < 0.58 && present.length > 1) delete t[pick(present)];
      else if (r < 0.68) t[pick(names)] = plan("p", `r${++rev}`);
      else if (r < 0.72 && present.length > 0) {
        const n = pick(present);
        const spec = t[n] as FileSpec;
        const content = typeof spec === "string" ? spec : spec.content;
        t[n] = typeof spec === "string" ? { content, mode: "100755" } : content;
      } else t[`src/f${Math.floor(rnd() * 5)}.ts`] = `export const v = ${++rev};\n`;
    }
    return t;
  };
  const commit = (tree: Tree, parents: Handle[]): Handle => {
    const h = b.commit(tree, parents, { date: nextDate() });
    all.push(h);
    if (parents.length > 1) merges.push(h);
    return h;
  };
  const rootTree: Tree = { "README.md": "random\n", "context/keep.json": plan("keep", "0") };
  for (const n of names.slice(0, 6)) rootTree[n] = plan("p", "0");
  heads.set("main", commit(rootTree, []));
  let branchNo = 0;
  while (all.length < commits) {
    const r = rnd();
    const names_ = [...heads.keys()];
    if (r < 0.5 || heads.size === 1) {
      const br = heads.size > 1 && rnd() < 0.4 ? "main" : pick(names_);
      const h = heads.get(br) as Handle;
      heads.set(br, commit(mutate(h.tree), [h]));
      if (r > 0.4 && heads.size < 5) heads.set(`b${branchNo++}`, pick(all.slice(-20)));
    } else if (r < 0.6 && heads.size < 5) {
      heads.set(`b${branchNo++}`, pick(all));
    } else {
      const into = rnd() < 0.6 ? "main" : pick(names_);
      const from = pick(names_.filter((n) => n !== into));
      const a = heads.get(into) as Handle;
      const o = heads.get(from) as Handle;
      if (a.mark === o.mark) continue;
      const tree: Tree = {};
      for (const path of new Set([...Object.keys(a.tree), ...Object.keys(o.tree)])) {
        const x = rnd();
        const spec = x < 0.45 ? a.tree[path] : x < 0.85 ? o.tree[path] : x < 0.95 ? plan("p", `m${++rev}`) : undefined;
        if (spec !== undefined) tree[path] = spec;
      }
      if (rnd() < 0.1) tree[pick(names)] = plan("p", `evil${++rev}`);
      heads.set(into, commit(tree, rnd() < 0.85 ? [a, o] : [o, a]));
      if (rnd() < 0.5 && from !== "main") heads.delete(from);
    }
  }
  for (const [name, h] of heads) b.setRef(`refs/heads/${name}`, h);
  b.run();
  return { builder: b, all, merges, heads };
}
