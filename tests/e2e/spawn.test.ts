// spawn and prune end to end: the compiled binary in real repositories (git CLI, a bare origin), workers in worktrees acting as their own sessions.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { binary, commitAll, git, makeOrigin, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

// Each test runs several git commands and binaries; on a loaded machine that takes longer than bun's 5 s default.
setDefaultTimeout(60_000);

const SIX = ["task-1", "task-2", "task-3", "task-4", "task-5", "task-6"];
let root: string;
let service: ServiceProcess;
let origin: string;
let author: string;
let orch: string;
let env: Record<string, string>;

/** A repository whose only plan file holds `tasks`, pushed to a bare origin. */
function repoWith(dir: string, tasks: string[]): { origin: string; author: string } {
  const made = makeOrigin(dir, tasks);
  rmSync(join(made.work, "context", "extra.json"));
  rmSync(join(made.work, "context", "old.json"));
  commitAll(made.work, "only plan.json");
  git(made.work, "push", "-q", "origin", "main");
  return { origin: made.origin, author: made.work };
}

const wt = (task: string) => join(root, "orch-worktrees", task);
const branches = (cwd: string) => git(cwd, "branch", "--format=%(refname:short)").split("\n").filter(Boolean).sort();
const worktreePaths = (cwd: string) =>
  git(cwd, "worktree", "list", "--porcelain")
    .split("\n")
    .filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice("worktree ".length))
    .slice(1)
    .sort();

beforeAll(async () => {
  root = tempDir("spawn");
  ({ origin, author } = repoWith(root, SIX));
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/spawn=${origin}`]);
  orch = join(root, "orch");
  git(root, "clone", "-q", origin, orch);
  env = { CLAUDE_COORD_REPO: "acme/spawn", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_TIMEOUT: "30" };
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("spawn", () => {
  test("spawn --count 3 makes 3 worktrees on 3 branches with 3 distinct claimed tasks, each registered with its worktree", async () => {
    const r = await runClient(["spawn", "--count", "3", "--json"], { cwd: orch, env });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const doc = JSON.parse(r.stdout);
    expect(doc.spawned.map((w: { task_id: string; branch: string; worktree: string }) => [w.task_id, w.branch, w.worktree])).toEqual(
      ["task-1", "task-2", "task-3"].map((t) => [t, `claude/${t}`, wt(t)]),
    );
    expect([doc.base_ref, doc.base_sha, doc.requested, doc.skipped, doc.warnings]).toEqual(["origin/main", git(orch, "rev-parse", "origin/main"), 3, [], []]);
    expect(worktreePaths(orch)).toEqual(["task-1", "task-2", "task-3"].map(wt));
    expect(branches(orch)).toEqual(["claude/task-1", "claude/task-2", "claude/task-3", "main"]);
    const db = new Database(join(root, "coord.db"), { readonly: true });
    const rows = db.query("SELECT task_id, session_id, branch FROM claims WHERE completed_at_ms IS NULL ORDER BY task_id").all() as { task_id: string; session_id: string; branch: string }[];
    db.close();
    expect(rows.map((x) => [x.task_id, x.branch])).toEqual(["task-1", "task-2", "task-3"].map((t) => [t, `claude/${t}`]));
    for (const [i, w] of doc.spawned.entries()) {
      // The full id is saved for the worktree (a UUID), printed nowhere; the claim is held by it.
      const id = readFileSync(w.session_file, "utf8").trim();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(rows[i]!.session_id).toBe(id);
      expect(w.session).toBe(id.slice(0, 8));
      expect(r.stdout).not.toContain(id);
      expect(git(w.worktree, "rev-parse", "HEAD")).toBe(doc.base_sha);
      // The prompt is there and out of git's view.
      const prompt = readFileSync(join(w.worktree, ".claude-coord", "prompt.md"), "utf8");
      expect(prompt).toStartWith(`# Task ${w.task_id}: Task ${w.task_id}\n`);
      expect(prompt).toContain(`## Steps\n\n1. do ${w.task_id}\n`);
      expect(prompt).toContain(`## Acceptance criteria\n\n- ${w.task_id} works\n`);
      expect(git(w.worktree, "status", "--porcelain", "--untracked-files=all")).toBe("");
    }
    const sessions = JSON.parse((await runClient(["sessions", "--json"], { cwd: orch, env })).stdout).sessions as { session: string; state: string; task_id: string; worktree: string; branch: string }[];
    expect(sessions.map((s) => [s.task_id, s.state, s.branch, s.worktree]).sort()).toEqual(["task-1", "task-2", "task-3"].map((t) => [t, "registered", `claude/${t}`, wt(t)]));
  });

  test("in each worktree 'claims' marks its own claim '(this session)' and 'tasks' names it, with no session variable set", async () => {
    for (const t of ["task-1", "task-2", "task-3"]) {
      const r = await runClient(["claims"], { cwd: wt(t), env });
      expect(r.code).toBe(0);
      const mine = r.stdout.split("\n").filter((l) => l.includes("(this session)"));
      expect(mine.length).toBe(1);
      expect(mine[0]).toStartWith(`  - ${t} on claude/${t} (session `);
      expect(r.stdout).toContain(`This session holds '${t}'.`);
      expect((await runClient(["tasks"], { cwd: wt(t), env })).stdout).toContain(`Next: this session holds '${t}'.`);
    }
    // The prompt's reserve and unreserve lines work as the worktree's session too.
    const reserve = await runClient(["reserve", "src/task-1/**", "--reason", "task-1", "--json"], { cwd: wt("task-1"), env });
    expect([reserve.code, JSON.parse(reserve.stdout).status]).toEqual([0, "reserved"]);
    const held = await runClient(["reserve", "src/task-1/a.ts", "--json"], { cwd: wt("task-2"), env });
    expect(held.code).toBe(1);
    expect((await runClient(["unreserve", "--all"], { cwd: wt("task-1"), env })).code).toBe(0);
    // The orchestrator's own checkout is none of them.
    expect((await runClient(["claims"], { cwd: orch, env })).stdout).not.toContain("(this session)");
  });

  test("--exec runs the command in the worktree as the worktree's session, even when the orchestrator has a session variable; its output goes to the log", async () => {
    const bin = await binary();
    const r = await runClient(["spawn", "--task", "task-4", "--exec", `'${bin}' heartbeat --state working --note from-exec; echo "prompt: $CLAUDE_COORD_PROMPT_FILE"`], {
      cwd: orch,
      env: { ...env, CLAUDE_COORD_SESSION_ID: "orchestrator-session-0000", CLAUDE_CODE_SESSION_ID: "orchestrator-claude-0000" },
    });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const id = readFileSync(join(git(wt("task-4"), "rev-parse", "--absolute-git-dir"), "claude-coord-session-id"), "utf8").trim();
    expect(r.stdout).toContain(`task-4  claude/task-4  ${wt("task-4")}  ${id.slice(0, 8)}`);
    expect(r.stdout).toContain("The --exec command runs in each worktree; its output goes to .claude-coord/exec.log there.");
    const log = join(wt("task-4"), ".claude-coord", "exec.log");
    const deadline = Date.now() + 20_000;
    let seen: { state: string; note: string | null } | undefined;
    while (Date.now() < deadline) {
      const s = JSON.parse((await runClient(["sessions", "--json"], { cwd: orch, env })).stdout).sessions as { session: string; state: string; note: string | null }[];
      seen = s.find((x) => x.session === id.slice(0, 8));
      if (seen?.state === "working" && existsSync(log) && readFileSync(log, "utf8").includes("prompt:")) break;
      await Bun.sleep(200);
    }
    expect([seen?.state, seen?.note]).toEqual(["working", "from-exec"]);
    const text = readFileSync(log, "utf8");
    expect(text).toContain(`Heartbeat recorded: session ${id.slice(0, 8)} is working on branch claude/task-4`);
    expect(text).toContain(`prompt: ${join(wt("task-4"), ".claude-coord", "prompt.md")}`);
    const orchestrator = JSON.parse((await runClient(["sessions", "--json"], { cwd: orch, env })).stdout).sessions.filter((x: { session: string }) => x.session === "orchestr");
    expect(orchestrator).toEqual([]);
  });

  test("Claude Code starting in a spawned worktree with its own session id takes the claim over through the SessionStart hook", async () => {
    const fresh = "c1aude00-1111-4222-8333-444455556666";
    const proc = Bun.spawn([await binary(), "hook", "session-start"], { cwd: wt("task-3"), env: { ...process.env, ...env }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    proc.stdin.write(JSON.stringify({ session_id: fresh, cwd: wt("task-3"), hook_event_name: "SessionStart", source: "startup" }));
    proc.stdin.end();
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    expect(readFileSync(join(git(wt("task-3"), "rev-parse", "--absolute-git-dir"), "claude-coord-session-id"), "utf8").trim()).toBe(fresh);
    const claims = await runClient(["claims"], { cwd: wt("task-3"), env });
    expect([claims.code, claims.stdout.split("\n").filter((l) => l.includes("(this session)"))]).toEqual([0, [expect.stringMatching(/^  - task-3 on claude\/task-3 \(session c1aude00 \(this session\)/)]]);
    expect(out).toContain("task-3");
  });

  test("spawning a task whose branch exists already skips it, says why, and exits 1", async () => {
    const r = await runClient(["spawn", "--task", "task-1"], { cwd: orch, env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("=== Spawned 0 of 1 requested workers for acme/spawn");
    expect(r.stdout).toContain("  - task-1: branch claude/task-1 already exists (an earlier spawn? 'claude-coord prune' removes finished ones)");
    expect(r.stderr).toStartWith("ERROR: spawned 0 of 1 requested workers: the tasks listed under Skipped were not started.\n\nACTION REQUIRED: Run 'claude-coord tasks'");
  });

  test("bad flags exit 64 naming the flag; outside a repository 78", async () => {
    const cases: [string[], string][] = [
      [["spawn", "--count", "0"], "ERROR: --count must be an integer from 1 to 50, got '0'."],
      [["spawn", "--count", "2", "--task", "task-5"], "ERROR: 'claude-coord spawn' takes --count or --task, not both."],
      [["spawn", "--task", "task-5", "--task", "task-5"], "ERROR: A task is named twice: one worker per task."],
      [["spawn", "--exec", " "], "ERROR: --exec needs a command."],
      [["prune", "--force"], "ERROR: Unknown flag '--force' for 'claude-coord prune'."],
    ];
    for (const [args, first] of cases) {
      const r = await runClient(args, { cwd: orch, env });
      expect([args, r.code, r.stderr.split("\n")[0]]).toEqual([args, 64, first]);
    }
    expect((await runClient(["spawn"], { cwd: root, env })).code).toBe(78);
    expect(branches(orch)).toEqual(["claude/task-1", "claude/task-2", "claude/task-3", "claude/task-4", "main"]);
  });

  test("with the service down, a named task's worktree and branch are undone and spawn exits 2", async () => {
    const r = await runClient(["spawn", "--task", "task-5"], { cwd: orch, env: { ...env, CLAUDE_COORD_URL: "http://127.0.0.1:9", CLAUDE_COORD_TIMEOUT: "2" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith("ERROR: Coordination service is unavailable.");
    expect(existsSync(wt("task-5"))).toBe(false);
    expect(branches(orch)).not.toContain("claude/task-5");
  });
});

describe("two orchestrators at once", () => {
  test("two 'spawn --count 3' from two checkouts over 5 tasks never claim one task twice: 3 + 2, the loser of each race undone", async () => {
    const dir = join(root, "race");
    rmSync(dir, { recursive: true, force: true });
    git(root, "init", "-q", dir);
    const five = repoWith(dir, ["r-1", "r-2", "r-3", "r-4", "r-5"]);
    const race = await startService(["--port", "0", "--db", join(dir, "race.db"), "--repo", `acme/race=${five.origin}`]);
    try {
      const renv = { CLAUDE_COORD_REPO: "acme/race", CLAUDE_COORD_URL: race.url, CLAUDE_COORD_TIMEOUT: "30" };
      const a = join(dir, "a");
      const b = join(dir, "b");
      git(dir, "clone", "-q", five.origin, a);
      git(dir, "clone", "-q", five.origin, b);
      const [ra, rb] = await Promise.all([runClient(["spawn", "--count", "3", "--json"], { cwd: a, env: renv }), runClient(["spawn", "--count", "3", "--json"], { cwd: b, env: renv })]);
      const docs = [JSON.parse(ra.stdout), JSON.parse(rb.stdout)];
      const won = docs.flatMap((d) => d.spawned.map((w: { task_id: string }) => w.task_id));
      expect(won.sort()).toEqual(["r-1", "r-2", "r-3", "r-4", "r-5"]);
      expect([ra.code, rb.code].sort()).toEqual([0, 1]);
      expect(docs.map((d) => d.spawned.length).sort()).toEqual([2, 3]);
      for (const [d, cwd] of [[docs[0], a] as const, [docs[1], b] as const]) {
        const mine = d.spawned.map((w: { task_id: string }) => w.task_id).sort();
        // Lost races are skipped and said so; nothing of them is left behind.
        for (const s of d.skipped) expect([s.reason, s.detail]).toEqual(["claimed", expect.stringMatching(/^claimed by another session \([0-9a-f]{8}\)$/)]);
        expect(readdirSync(join(dir, `${cwd === a ? "a" : "b"}-worktrees`)).sort()).toEqual(mine);
        expect(branches(cwd)).toEqual([...mine.map((t: string) => `claude/${t}`), "main"].sort());
      }
      const db = new Database(join(dir, "race.db"), { readonly: true });
      expect(db.query("SELECT COUNT(*) AS n, COUNT(DISTINCT task_id) AS t FROM claims").get()).toEqual({ n: 5, t: 5 });
      db.close();
    } finally {
      await race.stop();
    }
  });
});

describe("prune", () => {
  const bin = () => binary();
  const inWorktree = (t: string, args: string[]) => runClient(args, { cwd: wt(t), env });
  const completes = async (t: string) => {
    const r = await inWorktree(t, ["complete", "--task", t]);
    return [r.code, r.stderr];
  };

  test("after one task is completed and its branch merged, prune removes exactly that worktree and branch; uncommitted and unpushed work is refused and named; --dry-run changes nothing", async () => {
    // task-1: work committed, pushed, merged on origin's main, claim completed.
    write(join(wt("task-1"), "feature-1.txt"), "done\n");
    commitAll(wt("task-1"), "task-1: the feature");
    git(wt("task-1"), "push", "-q", "origin", "claude/task-1");
    git(author, "pull", "-q", "--no-rebase", "origin", "main");
    git(author, "fetch", "-q", "origin", "claude/task-1");
    git(author, "merge", "-q", "--no-ff", "-m", "merge task-1", "FETCH_HEAD");
    git(author, "push", "-q", "origin", "main");
    // Main moved: the worktrees share the orchestrator's refs, one fetch serves them all.
    git(orch, "fetch", "-q", "origin", "main");
    expect(await completes("task-1")).toEqual([0, ""]);
    // task-2: still working (claim held, nothing merged), though a new session id was saved in its
    // worktree without taking the claim over (as a SessionStart hook does when the handover fails). task-3: claim completed, a file left uncommitted.
    expect(await completes("task-3")).toEqual([0, ""]);
    writeFileSync(join(wt("task-3"), "wip.txt"), "half done\n");
    // task-4: claim completed, one commit never pushed.
    write(join(wt("task-4"), "local.txt"), "local only\n");
    commitAll(wt("task-4"), "task-4: local work");
    expect(await completes("task-4")).toEqual([0, ""]);

    const saved2 = join(git(wt("task-2"), "rev-parse", "--absolute-git-dir"), "claude-coord-session-id");
    const spawned2 = readFileSync(saved2, "utf8");
    writeFileSync(saved2, "77777777-aaaa-4bbb-8ccc-123456789abc\n");
    const before = [worktreePaths(orch), branches(orch)];
    const dry = await runClient(["prune", "--dry-run", "--json"], { cwd: orch, env });
    expect(dry.code).toBe(1);
    const plan = JSON.parse(dry.stdout);
    expect([plan.dry_run, plan.main_ref, plan.claims_known]).toEqual([true, "origin/main", true]);
    expect(plan.worktrees.map((e: { task_id: string; result: string }) => [e.task_id, e.result])).toEqual([
      ["task-1", "would_remove"],
      ["task-2", "kept"],
      ["task-3", "refused"],
      ["task-4", "refused"],
    ]);
    expect(plan.worktrees[0].why).toMatch(/^its claim ended \((done, )?client_completed at .+\) and its branch is merged into origin\/main$/);
    expect([worktreePaths(orch), branches(orch)]).toEqual(before);

    const r = await runClient(["prune"], { cwd: orch, env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Removed with its branch (1):\n  - task-1: ${wt("task-1")} (branch claude/task-1): its claim ended`);
    expect(r.stdout).toContain(`Kept (1):\n  - task-2: ${wt("task-2")} (branch claude/task-2): its claim on task-2 is still active and the branch is not merged\n`);
    const errors = r.stderr.split("\n").filter((l) => l !== "");
    expect(errors).toEqual([
      `ERROR: Worktree ${wt("task-3")} (task task-3, branch claude/task-3) was not removed: 1 uncommitted change (wip.txt).`,
      `ACTION REQUIRED: git -C '${wt("task-3")}' stash push --include-untracked -m 'claude-coord prune task-3' && claude-coord prune`,
      `ERROR: Worktree ${wt("task-4")} (task task-4, branch claude/task-4) was not removed: 1 unpushed commit (on no remote and not in origin/main).`,
      `ACTION REQUIRED: git -C '${wt("task-4")}' push -u origin claude/task-4 && claude-coord prune`,
    ]);
    expect(worktreePaths(orch)).toEqual(["task-2", "task-3", "task-4"].map(wt));
    expect(branches(orch)).toEqual(["claude/task-2", "claude/task-3", "claude/task-4", "main"]);
    expect(existsSync(wt("task-1"))).toBe(false);
    writeFileSync(saved2, spawned2);

    // Each ACTION, run as printed, resolves its refusal (the work is kept: in the stash, on origin).
    const path = `${dirname(await bin())}:${process.env.PATH}`;
    const act = (action: string) =>
      Bun.spawnSync(["sh", "-c", action.slice("ACTION REQUIRED: ".length)], { cwd: orch, env: { ...process.env, ...env, PATH: path }, stdout: "pipe", stderr: "pipe" });
    // The first resolves task-3 (its prune still exits 1: task-4 is not resolved yet), the second task-4.
    const first = act(errors[1]!);
    expect([first.exitCode, worktreePaths(orch)]).toEqual([1, ["task-2", "task-4"].map(wt)]);
    expect(act(errors[3]!).exitCode).toBe(0);
    expect(worktreePaths(orch)).toEqual([wt("task-2")]);
    expect(branches(orch)).toEqual(["claude/task-2", "main"]);
    expect(git(orch, "stash", "list")).toContain("claude-coord prune task-3");
    expect(git(orch, "ls-remote", "origin", "claude/task-4")).not.toBe("");
  });

  test("prune run inside a finished worktree refuses it and says to run from the main checkout", async () => {
    expect(await completes("task-2")).toEqual([0, ""]);
    const r = await inWorktree("task-2", ["prune", "--json"]);
    expect(r.code).toBe(1);
    const e = JSON.parse(r.stdout).worktrees[0];
    expect([e.task_id, e.result, e.problems, e.action]).toEqual(["task-2", "refused", ["prune runs inside it"], `cd '${orch}' && claude-coord prune`]);
    const ok = await runClient(["prune"], { cwd: orch, env });
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
    expect(worktreePaths(orch)).toEqual([]);
    expect(branches(orch)).toEqual(["main"]);
    expect((await runClient(["prune"], { cwd: orch, env })).stdout).toBe("=== Prune: 0 spawned worktrees ===\n(none: no worktree made by 'claude-coord spawn' is left)\n");
  });
});

describe("without origin", () => {
  test("spawn branches from the local main and says so; prune refuses a local-only commit and its ACTION removes the worktree, keeping the branch", async () => {
    const local = join(root, "local");
    git(root, "init", "-q", "-b", "main", local);
    write(join(local, "context", "plan.json"), JSON.stringify({ plan_name: "p", tasks: [{ id: "solo", name: "Solo", status: "pending", steps: [], acceptance_criteria: [] }] }));
    commitAll(local, "plan");
    const svc = await startService(["--port", "0", "--db", join(root, "local.db"), "--repo", `acme/local=${local}`]);
    try {
      const lenv = { CLAUDE_COORD_REPO: "acme/local", CLAUDE_COORD_URL: svc.url, CLAUDE_COORD_TIMEOUT: "30" };
      const r = await runClient(["spawn", "--json"], { cwd: local, env: lenv });
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      const tree = join(root, "local-worktrees", "solo");
      expect([doc.base_ref, doc.warnings, doc.spawned.map((w: { worktree: string }) => w.worktree)]).toEqual(["main", ["no remote 'origin': branching from the local main."], [tree]]);
      write(join(tree, "solo.txt"), "local work\n");
      commitAll(tree, "solo: work");
      expect((await runClient(["complete", "--task", "solo"], { cwd: tree, env: lenv })).code).toBe(0);
      const p = await runClient(["prune"], { cwd: local, env: lenv });
      expect(p.code).toBe(1);
      const action = p.stderr.split("\n").find((l) => l.startsWith("ACTION REQUIRED: "))!;
      expect(action).toBe(`ACTION REQUIRED: git -C '${local}' worktree remove '${tree}' && claude-coord prune`);
      const run = Bun.spawnSync(["sh", "-c", action.slice("ACTION REQUIRED: ".length)], {
        cwd: local,
        env: { ...process.env, ...lenv, PATH: `${dirname(await binary())}:${process.env.PATH}` },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(run.exitCode).toBe(0);
      expect([existsSync(tree), worktreePaths(local), branches(local)]).toEqual([false, [], ["claude/solo", "main"]]);
    } finally {
      await svc.stop();
    }
  });
});
