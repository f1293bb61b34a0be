// Benchmarks the repo token on a generated 20k-commit history against the git CLI's per-file loop.
//
//   bun scripts/bench-token.ts [--commits N] [--runs N] [--keep DIR]
//
// Each of our measurements runs in a fresh process (as the CLI would), timed inside that process
// around the one call; the git loop spawns one `git log -1` per plan file, as a shell loop would.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareBytes, computeToken } from "../src/core/token.ts";
import { planTokenAt } from "../src/git/checkout.ts";
import { prng } from "../tests/helpers/git-fixture.ts";

/** Options of `benchToken`; every field has a default sized to finish in about a minute. */
export interface BenchTokenOptions {
  /** Commits in the generated history (default 20 000). */
  commits?: number;
  /** Plan files under `context/` (default 50). */
  plan_files?: number;
  /** How many of them are never touched after the root commit (default 10). */
  untouched?: number;
  /** Repetitions per measurement; the median is reported (default 3). */
  runs?: number;
  /** Work directory; a temp dir (removed afterwards) when absent. */
  dir?: string;
  /** Progress lines; default none (or stderr with `print`). */
  log?: (line: string) => void;
  /** Print progress to stderr and the table to stdout (what `scripts/bench.ts` asks for). */
  print?: boolean;
}

/** One line of the result table. */
export interface BenchRow {
  case: string;
  /** Median wall time, milliseconds. */
  ms: number;
  /** `ms` divided by the git CLI loop's `ms` (below 1 is faster than git). */
  vs_git: number;
}

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };

function git(cwd: string, args: string[], input?: string): string {
  const r = spawnSync("git", args, { cwd, env: GIT_ENV, input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString().trim();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Plan file paths of the generated history; the last `untouched` ones never change after the root. */
function planPaths(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    i === n - 1 ? "context/current-task.json" : `context/plan-${String(i).padStart(2, "0")}.json`,
  );
}

/**
 * A fast-import stream: a root commit, then direct commits on main and feature branches of 1-5
 * commits merged with a merge commit while main moved on (about one commit in six is a merge).
 * Each commit changes one or two files, a plan file three times in ten.
 */
function historyStream(commits: number, planFiles: number, untouched: number): string {
  const rnd = prng(42);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const paths = planPaths(planFiles);
  const out: string[] = [];
  let mark = 0;
  let ts = 1_600_000_000;
  const emit = (ref: string, tree: Map<string, string>, parent: Map<string, string> | null, from: number | null, merge: number | null): number => {
    mark++;
    ts += 60;
    const msg = `c${mark}`;
    out.push(`commit ${ref}\nmark :${mark}\ncommitter Bench <bench@example.com> ${ts} +0000\ndata ${msg.length}\n${msg}\n`);
    if (from !== null) out.push(`from :${from}\n`);
    if (merge !== null) out.push(`merge :${merge}\n`);
    for (const [p, c] of tree) if (parent?.get(p) !== c) out.push(`M 100644 inline ${p}\ndata ${Buffer.byteLength(c)}\n${c}\n`);
    if (parent) for (const p of parent.keys()) if (!tree.has(p)) out.push(`D ${p}\n`);
    out.push("\n");
    return mark;
  };
  const edit = (tree: Map<string, string>): Map<string, string> => {
    const t = new Map(tree);
    for (let i = 1 + pick(2); i > 0; i--) {
      if (rnd() < 0.3) {
        const p = paths[pick(planFiles - untouched)] as string;
        t.set(p, JSON.stringify({ plan_name: p, tasks: [{ id: `t-${mark}-${i}`, status: "pending" }] }));
      } else {
        t.set(`src/file-${pick(40)}.ts`, `export const v = ${mark}_${i};\n`);
      }
    }
    return t;
  };
  let main = new Map<string, string>();
  for (const p of paths) main.set(p, JSON.stringify({ plan_name: p, tasks: [] }));
  main.set("context/current-task.json", JSON.stringify({ task: "t-1", plan: "plan-00", active_plan: "plan-00" }));
  for (let i = 0; i < 40; i++) main.set(`src/file-${i}.ts`, "export const v = 0;\n");
  main.set("README.md", "bench\n");
  let mainMark = emit("refs/heads/main", main, null, null, null);
  while (mark < commits) {
    if (rnd() < 0.5) {
      const t = edit(main);
      mainMark = emit("refs/heads/main", t, main, mainMark, null);
      main = t;
      continue;
    }
    const base = main;
    let feat = main;
    let featMark = mainMark;
    for (let k = 1 + pick(5); k > 0; k--) {
      const t = edit(feat);
      featMark = emit("refs/heads/feature", t, feat, featMark, null);
      feat = t;
    }
    for (let m = pick(3); m > 0; m--) {
      const t = edit(main);
      mainMark = emit("refs/heads/main", t, main, mainMark, null);
      main = t;
    }
    const merged = new Map(main);
    for (const [p, c] of feat) if (base.get(p) !== c) merged.set(p, c);
    mainMark = emit("refs/heads/main", merged, main, mainMark, featMark);
    main = merged;
  }
  return out.join("");
}

/** Runs one token computation in a fresh process and returns the milliseconds spent inside the call. */
function childRun(args: { gitdir: string; head_sha: string; cache_dir?: string }): { ms: number; token: string } {
  const r = spawnSync(process.execPath, [import.meta.path, "--child", JSON.stringify(args)], { maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString()) as { ms: number; token: string };
}

function gitLoop(gitdir: string, head: string, paths: string[]): { ms: number; token: string } {
  const t0 = performance.now();
  const plan_files = paths.map((path) => ({ path, sha: git(gitdir, ["log", "-1", "--format=%H", head, "--", path]) }));
  const ms = performance.now() - t0;
  return { ms, token: computeToken({ head_sha: head, plan_files }) };
}

/**
 * Generates the history (`git fast-import`, then `git repack -ad` so the pack looks like a
 * clone's), checks that our token equals the git CLI's, and measures: the git CLI loop (one
 * `git log -1` per plan file; also after `git commit-graph write`, as `git gc` leaves it), our
 * cold token with no cache, our warm token (same head, cached), and our incremental token (one new
 * commit on top of a cached head). Returns the rows; throws if a token disagrees with git.
 */
export async function benchToken(opts: BenchTokenOptions = {}): Promise<BenchRow[]> {
  const commits = opts.commits ?? 20_000;
  const planFiles = opts.plan_files ?? 50;
  const untouched = opts.untouched ?? 10;
  const runs = opts.runs ?? 3;
  const log = opts.log ?? (opts.print ? (line: string) => console.error(line) : () => {});
  const work = opts.dir ?? mkdtempSync(join(tmpdir(), "bench-token-"));
  try {
    const gitdir = join(work, "repo.git");
    rmSync(gitdir, { recursive: true, force: true });
    mkdirSync(gitdir, { recursive: true });
    let t0 = performance.now();
    git(gitdir, ["init", "-q", "--bare", "-b", "main"]);
    git(gitdir, ["fast-import", "--quiet"], historyStream(commits, planFiles, untouched));
    git(gitdir, ["repack", "-adq"]);
    const head = git(gitdir, ["rev-parse", "main"]);
    const merges = git(gitdir, ["rev-list", "--merges", "--count", "main"]);
    log(`generated ${commits} commits (${merges} merges), ${planFiles} plan files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const paths = [...planPaths(planFiles)].sort(compareBytes);

    const gitRuns = Array.from({ length: runs }, () => gitLoop(gitdir, head, paths));
    const expected = gitRuns[0]?.token;
    const check = (what: string, token: string, want = expected): void => {
      if (token !== want) throw new Error(`${what}: token ${token} differs from git's ${want}`);
    };
    log(`git loop: ${gitRuns.map((r) => r.ms.toFixed(0)).join(", ")} ms`);

    const cold = Array.from({ length: runs }, () => childRun({ gitdir, head_sha: head }));
    for (const r of cold) check("cold", r.token);
    log(`cold: ${cold.map((r) => r.ms.toFixed(0)).join(", ")} ms`);

    const cache_dir = join(work, "cache");
    rmSync(cache_dir, { recursive: true, force: true });
    check("cache fill", childRun({ gitdir, head_sha: head, cache_dir }).token);
    const warm = Array.from({ length: runs }, () => childRun({ gitdir, head_sha: head, cache_dir }));
    for (const r of warm) check("warm", r.token);
    log(`warm: ${warm.map((r) => r.ms.toFixed(2)).join(", ")} ms`);

    const stamp = 1_600_000_000 + 60 * (commits + 10);
    const body = '{"plan_name":"next","tasks":[]}';
    git(gitdir, ["fast-import", "--quiet"], `commit refs/heads/next\ncommitter Bench <bench@example.com> ${stamp} +0000\ndata 4\nnext\nfrom ${head}\nM 100644 inline context/plan-00.json\ndata ${body.length}\n${body}\n\n`);
    const next = git(gitdir, ["rev-parse", "next"]);
    const nextToken = gitLoop(gitdir, next, paths).token;
    const inc = Array.from({ length: runs }, (_, i) => {
      const dir = join(work, `cache-inc-${i}`);
      rmSync(dir, { recursive: true, force: true });
      cpSync(cache_dir, dir, { recursive: true });
      return childRun({ gitdir, head_sha: next, cache_dir: dir });
    });
    for (const r of inc) check("incremental", r.token, nextToken);
    log(`incremental: ${inc.map((r) => r.ms.toFixed(1)).join(", ")} ms`);

    t0 = performance.now();
    git(gitdir, ["commit-graph", "write", "--reachable"]);
    log(`commit-graph written in ${(performance.now() - t0).toFixed(0)} ms`);
    const graphRuns = Array.from({ length: runs }, () => gitLoop(gitdir, head, paths));
    for (const r of graphRuns) check("git with commit-graph", r.token);

    const base = median(gitRuns.map((r) => r.ms));
    const row = (name: string, ms: number): BenchRow => ({ case: name, ms, vs_git: ms / base });
    const rows = [
      row(`git CLI loop (${planFiles} × git log -1)`, base),
      row("git CLI loop, commit-graph written", median(graphRuns.map((r) => r.ms))),
      row("ours cold (no cache, fresh process)", median(cold.map((r) => r.ms))),
      row("ours warm (cached, same head)", median(warm.map((r) => r.ms))),
      row("ours incremental (+1 commit on cached head)", median(inc.map((r) => r.ms))),
    ];
    if (opts.print) console.log(formatBenchTable(rows));
    return rows;
  } finally {
    if (opts.dir === undefined) rmSync(work, { recursive: true, force: true });
  }
}

/** The rows as a fixed-width text table. */
export function formatBenchTable(rows: BenchRow[]): string {
  const w = Math.max(...rows.map((r) => r.case.length));
  const lines = [`${"case".padEnd(w)}  ${"ms".padStart(9)}  ${"vs git".padStart(7)}`];
  for (const r of rows) {
    const ms = r.ms < 10 ? r.ms.toFixed(2) : r.ms.toFixed(0);
    lines.push(`${r.case.padEnd(w)}  ${ms.padStart(9)}  ${r.vs_git.toFixed(3).padStart(7)}`);
  }
  return lines.join("\n");
}

async function child(json: string): Promise<void> {
  const args = JSON.parse(json) as { gitdir: string; head_sha: string; cache_dir?: string };
  const t0 = performance.now();
  const { token } = await planTokenAt({ ...args, plan_path: "context" });
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, token }));
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const childArgs = flag("--child");
  if (childArgs !== undefined) {
    await child(childArgs);
  } else {
    const commits = flag("--commits");
    const runs = flag("--runs");
    await benchToken({
      commits: commits === undefined ? undefined : Number(commits),
      runs: runs === undefined ? undefined : Number(runs),
      dir: flag("--keep"),
      print: true,
    });
  }
}
