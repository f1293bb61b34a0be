// Tests of src/jobs/branch-check.ts: exactly the deleted branches' claims are completed, nothing on failures, one listing per repo per run (GitHub fake, git over HTTP, local path).
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { claimTask, DEFAULT_POLICY } from "../../src/core/claims.ts";
import type { ClaimStore } from "../../src/core/store.ts";
import { GitHubApi, gitBaseUrl } from "../../src/sources/github-api.ts";
import { createCredentials } from "../../src/sources/github-auth.ts";
import { createRepoSource } from "../../src/sources/create.ts";
import type { RepoConfig, RepoSource, WhitelistedRepo } from "../../src/sources/source.ts";
import { branchLister, whitelistEntry } from "../helpers/fake-reader.ts";
import { runBranchCheck } from "../../src/jobs/branch-check.ts";
import { createBranchSightings, type BranchSightingStore } from "../../src/storage/branch-sightings.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { startFakeGitHub, type FakeFailure, type FakeGitHub } from "../helpers/fake-github.ts";
import { GitRepo, removeTempDirs, tempDir } from "../helpers/git-fixture.ts";
import { startGitHttpServer } from "../helpers/git-http-server.ts";

afterAll(removeTempDirs);

let db: CoordDatabase;
let store: ClaimStore;
let sightings: BranchSightingStore;
let clock: number;
let logs: string[];
const now = (): number => clock;
const log = { info: (m: string) => logs.push(`info ${m}`), warn: (m: string) => logs.push(`warn ${m}`) };

beforeEach(() => {
  db = openDatabase(":memory:");
  store = createClaimStore(db);
  sightings = createBranchSightings(db);
  clock = Date.parse("2026-01-05T20:00:00Z");
  logs = [];
});
afterEach(() => db.close());

const entry = (name: string, source: string): RepoConfig => ({ name, source, plan_path: "context", main_branch: "main", head_ttl_ms: 10_000 });

async function claim(repo: string, n: number, branch: string): Promise<void> {
  await claimTask(store, { repo, session_id: `session-${repo}-${n}`, task_id: `task-${n}`, branch, plan_file: "" }, () => clock, DEFAULT_POLICY);
}

function state(repo: string): Record<string, string | null> {
  const rows = db.sqlite.query<{ task_id: string; completion_reason: string | null }, [string]>("SELECT task_id, completion_reason FROM claims WHERE repo = ? ORDER BY id").all(repo);
  return Object.fromEntries(rows.map((r) => [r.task_id, r.completion_reason]));
}

/** A bare repository with main and the given branches, pushed from a work clone. */
function origin(bare: string, branches: string[]): GitRepo {
  const work = GitRepo.clone(bare);
  work.commit("initial", { "context/plan.json": "{}" });
  work.git(["push", "-q", "origin", "main", ...branches.map((b) => `main:refs/heads/${b}`)]);
  return work;
}

describe("GitHub source", () => {
  let fake: FakeGitHub;
  let work: GitRepo;
  let other: GitRepo;
  let repos: Map<string, WhitelistedRepo>;

  beforeEach(async () => {
    fake = startFakeGitHub({ now });
    work = origin(fake.createRepo("octo/one"), ["claude/a", "claude/b", "claude/c"]);
    other = origin(fake.createRepo("octo/two"), ["claude/x"]);
    fake.createRepo("octo/idle");
    const credentials = createCredentials({ api_url: fake.api_url, now, token: fake.pat });
    const github = { api: new GitHubApi({ api_url: fake.api_url, credentials, now, log }), credentials, git_base_url: gitBaseUrl(fake.api_url) };
    repos = new Map();
    for (const name of ["octo/one", "octo/two", "octo/idle"]) {
      repos.set(name, whitelistEntry(name, createRepoSource(entry(name, "github"), { data_dir: tempDir(), now, github })));
    }
    await claim("octo/one", 1, "claude/a");
    await claim("octo/one", 2, "claude/b");
    await claim("octo/one", 3, "claude/c");
    await claim("octo/one", 4, "claude/never-pushed");
    await claim("octo/two", 1, "claude/x");
  });
  afterEach(() => fake.stop());

  const run = () => runBranchCheck({ store, sightings, repos, now, log });
  const graphqlRequests = () => fake.requests.filter((r) => r.kind === "graphql").length;

  test("completes exactly the claims whose branches were deleted, with one listing per repo with claims per run", async () => {
    const first = await run();
    expect(first).toEqual([
      { repo: "octo/one", claims: 4, branches: 4, completed: [] },
      { repo: "octo/two", claims: 1, branches: 2, completed: [] },
    ]);
    expect(fake.requests.map((r) => `${r.kind} ${r.status}`)).toEqual(["graphql 200", "graphql 200"]);

    work.git(["push", "-q", "origin", "--delete", "claude/a", "claude/b"]);
    clock += 3_600_000;
    const second = await run();
    expect(second).toEqual([
      { repo: "octo/one", claims: 4, branches: 2, completed: ["task-1", "task-2"] },
      { repo: "octo/two", claims: 1, branches: 2, completed: [] },
    ]);
    expect(graphqlRequests()).toBe(4);
    expect(fake.requests.length).toBe(4);
    expect(state("octo/one")).toEqual({ "task-1": "branch_removed", "task-2": "branch_removed", "task-3": null, "task-4": null });
    expect(state("octo/two")).toEqual({ "task-1": null });
    expect(db.sqlite.query("SELECT completed_at_ms FROM claims WHERE completion_reason = 'branch_removed'").all()).toEqual([{ completed_at_ms: clock }, { completed_at_ms: clock }]);
    expect(logs.filter((l) => l.startsWith("info"))).toEqual([
      "info branch_check: completed octo/one task-1 fence=1 (branch claude/a removed)",
      "info branch_check: completed octo/one task-2 fence=2 (branch claude/b removed)",
    ]);
    // Sightings of completed claims are pruned; the others are kept.
    expect(db.sqlite.query("SELECT claim_id FROM branch_sightings ORDER BY claim_id").all()).toEqual([{ claim_id: 3 }, { claim_id: 5 }]);
  });

  test("a claim whose branch was never seen on GitHub is kept, however long it waits", async () => {
    for (let i = 0; i < 3; i++) {
      await run();
      clock += 3_600_000;
    }
    expect(state("octo/one")["task-4"]).toBeNull();
  });

  const failures: FakeFailure[] = [401, 403, 500, 502, "rate_limit", "secondary_rate_limit", 429, "graphql_rate_limited"];
  const rateLimits: FakeFailure[] = ["rate_limit", "secondary_rate_limit", 429, "graphql_rate_limited"];
  for (const failure of failures) {
    test(`a listing answered ${failure} changes nothing and is logged`, async () => {
      await run();
      work.git(["push", "-q", "origin", "--delete", "claude/a"]);
      fake.fail(failure, { kinds: ["graphql"], times: 2 });
      const before = fake.requests.length;
      const results = await run();
      // After a rate limit the service backs off: the second repository's listing is not even sent.
      expect(fake.requests.length - before).toBe(rateLimits.includes(failure) ? 1 : 2);
      expect(results.map((r) => [r.repo, r.branches, r.completed])).toEqual([
        ["octo/one", null, []],
        ["octo/two", null, []],
      ]);
      expect(state("octo/one")).toEqual({ "task-1": null, "task-2": null, "task-3": null, "task-4": null });
      expect(logs.filter((l) => l.includes("branches not checked, no claim changed"))).toHaveLength(2);
      expect(logs.join("\n")).not.toContain(fake.pat);
    });
  }

  test("an unreadable repository (GraphQL NOT_FOUND: deleted, renamed, or credentials lost) changes nothing", async () => {
    await run();
    const lost = createCredentials({ api_url: fake.api_url, now });
    const github = { api: new GitHubApi({ api_url: fake.api_url, credentials: lost, now, log }), credentials: lost, git_base_url: gitBaseUrl(fake.api_url) };
    repos.set("octo/one", whitelistEntry("octo/one", createRepoSource(entry("octo/one", "github"), { data_dir: tempDir(), now, github })));
    work.git(["push", "-q", "origin", "--delete", "claude/a"]);
    const [one] = await run();
    expect(one).toMatchObject({ repo: "octo/one", branches: null, completed: [] });
    expect(state("octo/one")["task-1"]).toBeNull();
  });

  test("after a failed run, the next good run completes the deleted branches' claims", async () => {
    await run();
    work.git(["push", "-q", "origin", "--delete", "claude/c"]);
    other.git(["push", "-q", "origin", "--delete", "claude/x"]);
    fake.fail(500, { kinds: ["graphql"], times: 1 });
    const failed = await run();
    expect(failed.map((r) => r.completed)).toEqual([[], ["task-1"]]);
    const next = await run();
    expect(next.map((r) => [r.repo, r.completed])).toEqual([["octo/one", ["task-3"]]]);
  });
});

describe("git sources", () => {
  test("a git URL: one ref listing per run, and only the deleted branch's claim completes", async () => {
    const root = tempDir();
    const work = origin(GitRepo.init({ bare: true, dir: `${root}/o.git` }).dir, ["claude/a", "claude/b"]);
    const server = startGitHttpServer(root);
    try {
      const source = createRepoSource(entry("acme/x", server.repoUrl("o.git")), { data_dir: tempDir(), now });
      const repos = new Map([["acme/x", whitelistEntry("acme/x", source)]]);
      await claim("acme/x", 1, "claude/a");
      await claim("acme/x", 2, "claude/b");
      await runBranchCheck({ store, sightings, repos, now, log });
      work.git(["push", "-q", "origin", "--delete", "claude/a"]);
      const [r] = await runBranchCheck({ store, sightings, repos, now, log });
      expect(r).toEqual({ repo: "acme/x", claims: 2, branches: 2, completed: ["task-1"] });
      expect(server.requests.map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual(["GET /o.git/info/refs 200", "GET /o.git/info/refs 200"]);
      expect(state("acme/x")).toEqual({ "task-1": "branch_removed", "task-2": null });

      // The remote down: nothing changes.
      work.git(["push", "-q", "origin", "--delete", "claude/b"]);
      server.stop();
      const [down] = await runBranchCheck({ store, sightings, repos, now, log });
      expect(down).toMatchObject({ branches: null, completed: [] });
      expect(state("acme/x")).toEqual({ "task-1": "branch_removed", "task-2": null });
    } finally {
      server.stop();
    }
  });

  test("a local path is read from disk, with the same rule", async () => {
    const repo = GitRepo.init();
    repo.commit("initial", { "context/plan.json": "{}" });
    repo.git(["branch", "claude/a"]);
    const repos = new Map([["acme/local", whitelistEntry("acme/local", createRepoSource(entry("acme/local", repo.dir), { data_dir: tempDir(), now }))]]);
    await claim("acme/local", 1, "claude/a");
    await runBranchCheck({ store, sightings, repos, now, log });
    repo.git(["branch", "-D", "claude/a"]);
    const [r] = await runBranchCheck({ store, sightings, repos, now, log });
    expect(r?.completed).toEqual(["task-1"]);
  });
});

describe("guards", () => {
  test("a listing without main is not trusted, and repos not in the whitelist are skipped", async () => {
    let branches = ["main", "claude/a"];
    const repos = new Map([["acme/x", whitelistEntry("acme/x", branchLister(async () => branches))]]);
    await claim("acme/x", 1, "claude/a");
    await claim("gone/repo", 1, "claude/a");
    await runBranchCheck({ store, sightings, repos, now, log });
    branches = [];
    const results = await runBranchCheck({ store, sightings, repos, now, log });
    expect(results).toEqual([
      { repo: "acme/x", claims: 1, branches: 0, completed: [], skipped: 'the listing has no branch "main"' },
      { repo: "gone/repo", claims: 1, branches: null, completed: [], skipped: "not in the whitelist" },
    ]);
    expect(state("acme/x")).toEqual({ "task-1": null });
  });

  test("a claim granted on the removed branch while the listing runs is not completed", async () => {
    let branches = ["main", "claude/a"];
    const repos = new Map([
      [
        "acme/x",
        whitelistEntry(
          "acme/x",
          branchLister(async () => {
            if (branches.length === 1) await claim("acme/x", 2, "claude/a");
            return branches;
          }),
        ),
      ],
    ]);
    await claim("acme/x", 1, "claude/a");
    await runBranchCheck({ store, sightings, repos, now, log });
    branches = ["main"];
    const [r] = await runBranchCheck({ store, sightings, repos, now, log });
    expect(r?.completed).toEqual(["task-1"]);
    expect(state("acme/x")).toEqual({ "task-1": "branch_removed", "task-2": null });
  });

  test("repositories without active claims cost no listing", async () => {
    let calls = 0;
    const repos = new Map([["acme/x", whitelistEntry("acme/x", branchLister(async () => (calls++, ["main"])))]]);
    expect(await runBranchCheck({ store, sightings, repos, now, log })).toEqual([]);
    expect(calls).toBe(0);
  });
});
