// Token parity: the compiled client's token equals the git CLI oracle's at several commits of a merge-heavy history, and the service accepts it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { oraclePlanState, oracleToken } from "../helpers/git-oracle.ts";
import { cloneSession, commitAll, git, makeOrigin, mergeNoFf, planJson, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

let root: string;
let origin: string;
let author: string;
let service: ServiceProcess;

beforeAll(async () => {
  root = tempDir("parity");
  ({ origin, work: author } = makeOrigin(root));
  // More history: a side branch edits plan.json while main renames old.json and deletes nothing yet;
  // then a merge where main keeps its own plan.json (the side's change is dropped: -s ours).
  git(author, "checkout", "-q", "-b", "side");
  write(join(author, "context", "plan.json"), planJson("side", ["side-1"]));
  commitAll(author, "side: rewrite plan");
  git(author, "checkout", "-q", "main");
  renameSync(join(author, "context", "old.json"), join(author, "context", "renamed.json"));
  commitAll(author, "main: rename old.json");
  git(author, "merge", "-q", "-s", "ours", "-m", "merge side keeping main's plan", "side");
  write(join(author, "context", "late.json"), planJson("late", ["late-1"]));
  commitAll(author, "main: add late.json");
  rmSync(join(author, "context", "extra.json"));
  commitAll(author, "main: delete extra.json");
  git(author, "checkout", "-q", "-b", "side2");
  write(join(author, "context", "late.json"), planJson("late", ["late-1", "late-2"]));
  commitAll(author, "side2: grow late.json");
  git(author, "checkout", "-q", "main");
  write(join(author, "notes.txt"), "more\n");
  commitAll(author, "main: notes again");
  mergeNoFf(author, "side2", "merge side2");
  git(author, "push", "-q", "origin", "main");
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/parity=${origin}`]);
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("at every first-parent commit of main the client's token equals git's, and the service accepts it", async () => {
  const commits = git(author, "rev-list", "--first-parent", "--reverse", "main").split("\n");
  expect(commits.length).toBeGreaterThanOrEqual(9);
  const session = cloneSession(origin, root, "parity");
  const env = { CLAUDE_COORD_REPO: "acme/parity", CLAUDE_COORD_URL: service.url };
  const checked: string[] = [];
  for (const sha of commits) {
    git(author, "push", "-q", "-f", "origin", `${sha}:refs/heads/main`);
    git(session, "fetch", "-q", "origin");
    const r = await runClient(["token", "--json"], { cwd: session, env });
    expect(r.code).toBe(0);
    const mine = JSON.parse(r.stdout) as { head_sha: string; plan_files: { path: string; sha: string }[]; token: string };
    expect({ head_sha: mine.head_sha, plan_files: mine.plan_files }).toEqual(oraclePlanState(session, sha, "context"));
    expect(mine.token).toBe(oracleToken(session, sha, "context"));
    const claims = await runClient(["claims", "--json"], { cwd: session, env });
    expect(claims.code).toBe(0);
    checked.push(sha);
  }
  expect(checked).toEqual(commits);
});
