// Tests of src/sources/create.ts and the sources it builds (local-source.ts, http-source.ts) against real repositories: freshness, mirrors, branch lists and failures.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isCoordError } from "../../src/core/errors.ts";
import { createRepoSource, safeName } from "../../src/sources/create.ts";
import type { RepoConfig } from "../../src/sources/source.ts";
import { GitRepo, removeTempDirs, tempDir } from "../helpers/git-fixture.ts";
import { startGitHttpServer } from "../helpers/git-http-server.ts";
import { oracleToken } from "../helpers/git-oracle.ts";
import { rejection } from "../helpers/errors.ts";

afterAll(removeTempDirs);

const entry = (source: string, extra: Partial<RepoConfig> = {}): RepoConfig => ({
  name: "owner/repo",
  source,
  plan_path: "context",
  main_branch: "main",
  head_ttl_ms: 10_000,
  ...extra,
});

function seeded(repo: GitRepo): void {
  repo.commit("one", { "context/a.json": "{}", "context/current-task.json": '{"task":"t"}' });
  repo.commit("two", { "context/a.json": '{"tasks":[]}' });
}

describe("local path source", () => {
  test("sees a new commit on main immediately, in a working repo and through file://", async () => {
    const repo = GitRepo.init();
    seeded(repo);
    const data_dir = tempDir();
    for (const source of [repo.dir, pathToFileURL(repo.dir).href]) {
      const reader = createRepoSource(entry(source), { data_dir, now: () => 0 });
      const first = await reader.current("");
      expect(first).toEqual({ head_sha: repo.rev("main"), token: oracleToken(repo.dir, repo.rev("main"), "context") });
      const next = repo.commit(`more for ${source}`, { "context/b.json": "{}" });
      const second = await reader.current(next);
      expect(second).toEqual({ head_sha: next, token: oracleToken(repo.dir, next, "context") });
    }
    expect(readdirSync(join(data_dir, "cache"))).toEqual([safeName("owner/repo")]);
  });

  test("reads refs/heads/<main> of a bare repository, not what HEAD names", async () => {
    const bare = GitRepo.init({ bare: true });
    const work = GitRepo.clone(bare.dir);
    seeded(work);
    work.git(["push", "-q", "origin", "main"]);
    work.git(["push", "-q", "origin", "main:other"]);
    work.commit("on other", { "context/x.json": "{}" });
    work.git(["push", "-q", "origin", "HEAD:other"]);
    bare.git(["symbolic-ref", "HEAD", "refs/heads/other"]);
    const reader = createRepoSource(entry(bare.dir), { data_dir: tempDir(), now: () => 0 });
    const main = bare.rev("main");
    expect(await reader.current(main)).toEqual({ head_sha: main, token: oracleToken(bare.dir, main, "context") });
    expect(await reader.listBranches()).toEqual(["main", "other"]);
  });

  test("lists loose and packed branches", async () => {
    const repo = GitRepo.init();
    seeded(repo);
    repo.git(["branch", "feature/a"]);
    repo.git(["pack-refs", "--all"]);
    repo.git(["branch", "feature/b"]);
    const reader = createRepoSource(entry(repo.dir), { data_dir: tempDir(), now: () => 0 });
    expect(await reader.listBranches()).toEqual(["feature/a", "feature/b", "main"]);
  });

  test("a missing path, a missing main branch or a broken repository is upstream_unavailable naming the repo", async () => {
    const repo = GitRepo.init();
    seeded(repo);
    const data_dir = tempDir();
    for (const e of [entry(join(tempDir(), "gone")), entry(repo.dir, { main_branch: "trunk" }), entry(tempDir())]) {
      const err = await rejection(createRepoSource(e, { data_dir, now: () => 0 }).current(""));
      expect(err.code).toBe("upstream_unavailable");
      expect(err.message).toContain('"owner/repo"');
    }
  });
});

describe("createRepoSource", () => {
  test("github without the service's GitHub client is a config_error, and so is a transport it cannot read", () => {
    for (const source of ["github", "ssh://git@example.com/o/r.git", "git@example.com:o/r.git", "git://example.com/r"]) {
      let caught: unknown;
      try {
        createRepoSource(entry(source), { data_dir: tempDir(), now: () => 0 });
      } catch (e) {
        caught = e;
      }
      expect(isCoordError(caught, "config_error")).toBe(true);
    }
  });

  test("safe names keep readable characters and never collide for different names", () => {
    expect(safeName("owner/repo")).toMatch(/^owner_repo-[0-9a-f]{8}$/);
    expect(safeName("owner/repo")).not.toBe(safeName("owner_repo"));
    expect(safeName("../..")).not.toContain("/");
    expect(safeName("../..").startsWith(".")).toBe(false);
  });
});

describe("http source", () => {
  let root: string;
  let origin: GitRepo;
  let work: GitRepo;
  let clock: number;
  const now = (): number => clock;

  beforeEach(() => {
    root = tempDir();
    origin = GitRepo.init({ bare: true, dir: join(root, "o.git") });
    work = GitRepo.clone(origin.dir);
    seeded(work);
    work.git(["push", "-q", "origin", "main"]);
    clock = 1_000_000;
  });

  test("clones on the first call, answers from the mirror within head_ttl, and refreshes for an unknown commit", async () => {
    const server = startGitHttpServer(root);
    try {
      const data_dir = tempDir();
      const reader = createRepoSource(entry(server.repoUrl("o.git")), { data_dir, now });
      const head1 = origin.rev("main");
      expect(await reader.current(head1)).toEqual({ head_sha: head1, token: oracleToken(origin.dir, head1, "context") });
      expect(existsSync(join(data_dir, "mirrors", safeName("owner/repo"), "objects"))).toBe(true);
      const afterClone = server.requests.length;
      expect(server.requests.some((r) => r.method === "POST")).toBe(true);

      // Same head (and an older known commit) within head_ttl: no request at all.
      clock += 9_000;
      await reader.current(head1);
      await reader.current(work.rev("main~1"));
      expect(server.requests.length).toBe(afterClone);

      // A push; a client presents the new commit: lookup, fetch, new token.
      const head2 = work.commit("pushed", { "context/b.json": '{"tasks":[]}' });
      work.git(["push", "-q", "origin", "main"]);
      expect(await reader.current(head2)).toEqual({ head_sha: head2, token: oracleToken(origin.dir, head2, "context") });
      const fetched = server.requests.slice(afterClone);
      expect(fetched.filter((r) => r.method === "GET").length).toBeGreaterThanOrEqual(1);
      expect(fetched.filter((r) => r.method === "POST").length).toBe(1);

      // After head_ttl: one lookup, no fetch when main did not move; concurrent calls share it.
      clock += 10_000;
      const before = server.requests.length;
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => reader.current(head2)));
      expect(new Set(answers.map((a) => a.token)).size).toBe(1);
      expect(server.requests.slice(before)).toEqual([
        { method: "GET", path: "/o.git/info/refs", query: "service=git-upload-pack", status: 200 },
      ]);
    } finally {
      server.stop();
    }
  });

  test("concurrent first calls share one clone", async () => {
    const server = startGitHttpServer(root);
    try {
      const reader = createRepoSource(entry(server.repoUrl("o.git")), { data_dir: tempDir(), now });
      const head = origin.rev("main");
      const answers = await Promise.all([1, 2, 3, 4].map(() => reader.current(head)));
      expect(answers.every((a) => a.head_sha === head)).toBe(true);
      expect(server.requests.filter((r) => r.method === "POST").length).toBe(1);
    } finally {
      server.stop();
    }
  });

  test("a main that moved is fetched after head_ttl even when the client presents an old commit", async () => {
    const server = startGitHttpServer(root);
    try {
      const reader = createRepoSource(entry(server.repoUrl("o.git")), { data_dir: tempDir(), now });
      const head1 = origin.rev("main");
      await reader.current(head1);
      const head2 = work.commit("pushed", { "src/x.ts": "x" });
      work.git(["push", "-q", "origin", "main"]);
      expect((await reader.current(head1)).head_sha).toBe(head1);
      clock += 10_000;
      expect(await reader.current(head1)).toEqual({ head_sha: head2, token: oracleToken(origin.dir, head2, "context") });
    } finally {
      server.stop();
    }
  });

  test("a force-push of main back to an older commit is followed", async () => {
    const server = startGitHttpServer(root);
    try {
      const reader = createRepoSource(entry(server.repoUrl("o.git")), { data_dir: tempDir(), now });
      const head1 = origin.rev("main");
      const head2 = work.commit("to be undone", { "context/a.json": '{"undo":1}' });
      work.git(["push", "-q", "origin", "main"]);
      expect((await reader.current(head2)).head_sha).toBe(head2);
      work.git(["push", "-q", "--force", "origin", `${head1}:refs/heads/main`]);
      clock += 10_000;
      expect(await reader.current(head1)).toEqual({ head_sha: head1, token: oracleToken(origin.dir, head1, "context") });
    } finally {
      server.stop();
    }
  });

  test("a restarted service reuses its mirror: one lookup, no fetch", async () => {
    const server = startGitHttpServer(root);
    try {
      const data_dir = tempDir();
      const url = server.repoUrl("o.git");
      await createRepoSource(entry(url), { data_dir, now }).current("");
      const before = server.requests.length;
      const again = await createRepoSource(entry(url), { data_dir, now }).current("");
      expect(again.head_sha).toBe(origin.rev("main"));
      expect(server.requests.length - before).toBe(1);
    } finally {
      server.stop();
    }
  });

  test("lists the remote's branches", async () => {
    work.git(["push", "-q", "origin", "main:feature/x"]);
    const server = startGitHttpServer(root);
    try {
      const reader = createRepoSource(entry(server.repoUrl("o.git")), { data_dir: tempDir(), now });
      expect(await reader.listBranches()).toEqual(["feature/x", "main"]);
    } finally {
      server.stop();
    }
  });

  test("a stopped server is upstream_unavailable, naming the repo and never the credentials", async () => {
    const server = startGitHttpServer(root);
    const url = server.repoUrl("o.git").replace("http://", "http://bot:s3cret-token@");
    const data_dir = tempDir();
    const reader = createRepoSource(entry(url), { data_dir, now });
    const head1 = origin.rev("main");
    expect((await reader.current(head1)).head_sha).toBe(head1);
    server.stop();
    clock += 10_000;
    const err = await rejection(reader.current(head1));
    expect(err.code).toBe("upstream_unavailable");
    expect(err.message).toContain('"owner/repo"');
    expect(err.message).not.toContain("s3cret");
    expect(err.message).not.toContain("bot");
    const onDisk = Bun.spawnSync(["grep", "-rl", "s3cret", "."], { cwd: data_dir }).stdout.toString();
    expect(onDisk).toBe("");
    const listErr = await rejection(reader.listBranches());
    expect(listErr.code).toBe("upstream_unavailable");
    // A mirror that never cloned cannot answer either.
    const fresh = createRepoSource(entry(url, { name: "other/repo" }), { data_dir: tempDir(), now });
    expect((await rejection(fresh.current(head1))).code).toBe("upstream_unavailable");
  });

  test("a missing remote repository or branch is upstream_unavailable", async () => {
    const server = startGitHttpServer(root);
    try {
      for (const e of [entry(server.repoUrl("nope.git")), entry(server.repoUrl("o.git"), { main_branch: "trunk" })]) {
        const err = await rejection(createRepoSource(e, { data_dir: tempDir(), now }).current(""));
        expect(err.code).toBe("upstream_unavailable");
      }
    } finally {
      server.stop();
    }
  });
});
