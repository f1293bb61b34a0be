// Tests of src/sources/github-*.ts against the fake GitHub: token parity with the client, request counts warm and cold, App tokens, failures and rate limits.
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { CoordError } from "../../src/core/errors.ts";
import { planToken } from "../../src/git/checkout.ts";
import { GitHubApi, GitHubError, gitBaseUrl, graphqlBaseUrl, parseRepoName } from "../../src/sources/github-api.ts";
import { checkGitHubAuth, createCredentials, TOKEN_REFRESH_MARGIN_MS } from "../../src/sources/github-auth.ts";
import type { GitHubContext } from "../../src/sources/github-source.ts";
import { createRepoSource } from "../../src/sources/create.ts";
import type { RepoConfig, RepoSource } from "../../src/sources/source.ts";
import { startFakeGitHub, type FakeGitHub, type FakeRequest } from "../helpers/fake-github.ts";
import { GitRepo, removeTempDirs, tempDir } from "../helpers/git-fixture.ts";
import { oracleToken } from "../helpers/git-oracle.ts";
import { rejection } from "../helpers/errors.ts";

afterAll(removeTempDirs);

const REPO = "octo-org/private-repo";

const entry = (extra: Partial<RepoConfig> = {}): RepoConfig => ({
  name: REPO,
  source: "github",
  plan_path: "context",
  main_branch: "main",
  head_ttl_ms: 10_000,
  ...extra,
});

/** A request as the counts below compare it: kind, method, path without the repo prefix, status. */
function short(r: FakeRequest): string {
  const path = r.path.replace(`/api/v3/repos/${REPO}`, "").replace(`/${REPO}.git`, "");
  return `${r.kind} ${r.method} ${path} ${r.status}${r.conditional ? " (conditional)" : ""}`;
}

let fake: FakeGitHub;
let bare: string;
let work: GitRepo;
let clock: number;
const now = (): number => clock;
let warnings: string[];

/** A history with a merge: a feature branch changing a plan file merged with --no-ff while main moved on. */
function seed(): void {
  work.commit("initial", { "context/a.json": "{}", "context/current-task.json": '{"task":null}', "README.md": "x" });
  work.git(["checkout", "-q", "-b", "feature"]);
  work.commit("feature: plan", { "context/b.json": '{"tasks":[]}' });
  work.git(["checkout", "-q", "main"]);
  work.commit("main moves", { "notes.txt": "n" });
  work.git(["merge", "-q", "--no-ff", "-m", "merge feature", "feature"], { date: work.tick() });
  work.git(["push", "-q", "origin", "main", "feature"]);
}

function context(kind: "pat" | "app" | "none" = "pat"): GitHubContext {
  const credentials = createCredentials({
    api_url: fake.api_url,
    now,
    ...(kind === "pat" ? { token: fake.pat } : kind === "app" ? { app_id: fake.app.id, private_key: fake.app.private_key } : {}),
  });
  const api = new GitHubApi({ api_url: fake.api_url, credentials, now, log: { warn: (m) => warnings.push(m) } });
  return { api, credentials, git_base_url: gitBaseUrl(fake.api_url) };
}

function reader(github: GitHubContext, extra: Partial<RepoConfig> = {}): RepoSource {
  return createRepoSource(entry(extra), { data_dir: tempDir(), now, github });
}

/** The token the client computes from its clone (the client's own code), checked against git itself. */
async function clientToken(clone: GitRepo): Promise<{ head_sha: string; token: string }> {
  clone.git(["fetch", "-q", "origin"]);
  const t = await planToken({ gitdir: clone.gitdir, main_branch: "main", plan_path: "context" });
  expect(t.token).toBe(oracleToken(clone.dir, t.state.head_sha, "context"));
  return { head_sha: t.state.head_sha, token: t.token };
}

beforeEach(() => {
  clock = Date.now();
  warnings = [];
  fake = startFakeGitHub({ now });
  bare = fake.createRepo(REPO);
  work = GitRepo.clone(bare);
  seed();
});

afterEach(() => fake.stop());

describe("token recomputation with a personal access token", () => {
  test("the service computes the client's token on a merge history; warm checks cost nothing, a new main one head check and one fetch", async () => {
    const source = reader(context("pat"));
    const client = GitRepo.clone(bare);
    const first = await clientToken(client);

    // Cold: one head check, one clone (ref advertisement + upload-pack).
    expect(await source.current(first.head_sha)).toEqual(first);
    expect(fake.requests.map(short)).toEqual([
      "rest GET /commits/main 200",
      "git GET /info/refs 200",
      "git POST /git-upload-pack 200",
    ]);
    expect(fake.requests.every((r) => r.auth === "pat")).toBe(true);

    // Warm, within head_ttl: no request at all.
    let seen = fake.requests.length;
    clock += 9_000;
    for (let i = 0; i < 5; i++) expect(await source.current(first.head_sha)).toEqual(first);
    expect(fake.requests.length).toBe(seen);

    // Warm, after head_ttl, main unchanged: one conditional head check answered 304, shared by concurrent calls.
    clock += 2_000;
    const answers = await Promise.all([1, 2, 3].map(() => source.current(first.head_sha)));
    expect(answers).toEqual([first, first, first]);
    expect(fake.requests.slice(seen).map(short)).toEqual(["rest GET /commits/main 304 (conditional)"]);

    // A push: the client presents the new commit; one head check, one incremental fetch, the new token.
    work.commit("plan change", { "context/a.json": '{"tasks":[{"id":"x"}]}' });
    work.git(["push", "-q", "origin", "main"]);
    const second = await clientToken(client);
    seen = fake.requests.length;
    expect(await source.current(second.head_sha)).toEqual(second);
    expect(fake.requests.slice(seen).map(short)).toEqual([
      "rest GET /commits/main 200 (conditional)",
      "git GET /info/refs 200",
      "git POST /git-upload-pack 200",
    ]);

    // The old token is stale now: the service answers with the new main.
    expect((await source.current(first.head_sha)).head_sha).toBe(second.head_sha);
  });

  test("a session that has not pulled gets main's new head once head_ttl passed, so its old token is stale", async () => {
    const source = reader(context("pat"));
    const client = GitRepo.clone(bare);
    const first = await clientToken(client);
    await source.current(first.head_sha);
    const next = work.commit("moves", { "src.txt": "y" });
    work.git(["push", "-q", "origin", "main"]);
    clock += 10_000;
    const main = await source.current(first.head_sha);
    expect(main.head_sha).toBe(next);
    expect(main.token).not.toBe(first.token);
    expect(main.token).toBe(oracleToken(bare, next, "context"));
  });

  test("refreshNow (a push webhook) fetches at once, after which a token check costs no request", async () => {
    const source = reader(context("pat"));
    await source.current("");
    const next = work.commit("pushed", { "context/c.json": "{}" });
    work.git(["push", "-q", "origin", "main"]);
    const seen = fake.requests.length;
    await source.refreshNow?.();
    expect(fake.requests.slice(seen).map(short)).toEqual([
      "rest GET /commits/main 200 (conditional)",
      "git GET /info/refs 200",
      "git POST /git-upload-pack 200",
    ]);
    const after = fake.requests.length;
    expect(await source.current(next)).toEqual({ head_sha: next, token: oracleToken(bare, next, "context") });
    expect(fake.requests.length).toBe(after);
  });

  test("a restarted service sends its mirror's head as the validator: one 304, no fetch", async () => {
    const data_dir = tempDir();
    const github = context("pat");
    await createRepoSource(entry(), { data_dir, now, github }).current("");
    const seen = fake.requests.length;
    const again = createRepoSource(entry(), { data_dir, now, github: context("pat") });
    expect((await again.current("")).head_sha).toBe(work.rev("main"));
    expect(fake.requests.slice(seen).map(short)).toEqual(["rest GET /commits/main 304 (conditional)"]);
  });

  test("without credentials a private repository is upstream_unavailable naming it", async () => {
    const err = await rejection(reader(context("none")).current(""));
    expect(err.code).toBe("upstream_unavailable");
    expect(err.message).toContain(`"${REPO}"`);
    expect(fake.requests.map(short)).toEqual(["rest GET /commits/main 404"]);
  });

  test("a missing main branch or repository is upstream_unavailable", async () => {
    const noMain = await rejection(reader(context("pat"), { main_branch: "trunk" }).current(""));
    expect(noMain).toBeInstanceOf(GitHubError);
    expect((noMain as GitHubError).failure).toBe("invalid_response");
    const noRepo = await rejection(reader(context("pat"), { name: "octo-org/nope" }).current(""));
    expect((noRepo as GitHubError).failure).toBe("not_found");
  });
});

describe("failures and rate limits of the head check", () => {
  test("401 and 403 are upstream_unavailable at once, with no fallback and no secret in the message", async () => {
    for (const status of [401, 403] as const) {
      fake.fail(status, { kinds: ["rest"] });
      const seen = fake.requests.length;
      const err = await rejection(reader(context("pat")).current(""));
      expect(err.code).toBe("upstream_unavailable");
      expect((err as GitHubError).failure).toBe(status === 401 ? "unauthorized" : "forbidden");
      expect(err.message).toContain(`HTTP ${status}`);
      expect(err.message).not.toContain(fake.pat);
      expect(fake.requests.slice(seen).map(short)).toEqual([`rest GET /commits/main ${status}`]);
    }
  });

  test("a 500 from the API falls back to git's ref advertisement and the claim is still verified", async () => {
    const source = reader(context("pat"));
    fake.fail(500, { kinds: ["rest"] });
    expect((await source.current("")).head_sha).toBe(work.rev("main"));
    expect(fake.requests.map(short)).toEqual([
      "rest GET /commits/main 500",
      "git GET /info/refs 200",
      "git GET /info/refs 200",
      "git POST /git-upload-pack 200",
    ]);
  });

  test("a primary rate limit backs off until the reset: no REST request meanwhile, heads come from git", async () => {
    const source = reader(context("pat"));
    await source.current("");
    fake.fail("rate_limit", { kinds: ["rest"] });
    clock += 10_000;
    expect((await source.current("")).head_sha).toBe(work.rev("main"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("primary rate limit");
    clock += 10_000;
    const seen = fake.requests.length;
    expect((await source.current("")).head_sha).toBe(work.rev("main"));
    expect(fake.requests.slice(seen).map(short)).toEqual(["git GET /info/refs 200"]);
    // After the reset (a minute), REST is asked again.
    clock += 60_000;
    const later = fake.requests.length;
    await source.current("");
    expect(fake.requests.slice(later).map(short)).toEqual(["rest GET /commits/main 304 (conditional)"]);
  });

  test("a secondary rate limit honours retry-after", async () => {
    const github = context("pat");
    const repo = parseRepoName(REPO);
    fake.fail("secondary_rate_limit", { kinds: ["rest"] });
    const err = await rejection(github.api.mainHead(repo, "main"));
    expect((err as GitHubError).failure).toBe("rate_limited");
    expect(warnings[0]).toContain("retry-after 60 s");
    clock += 59_000;
    const seen = fake.requests.length;
    expect(((await rejection(github.api.mainHead(repo, "main"))) as GitHubError).failure).toBe("rate_limited");
    expect(fake.requests.length).toBe(seen);
    clock += 2_000;
    expect(await github.api.mainHead(repo, "main")).toBe(work.rev("main"));
  });

  test("429 backs off too", async () => {
    const github = context("pat");
    fake.fail(429, { kinds: ["rest"] });
    const err = await rejection(github.api.mainHead(parseRepoName(REPO), "main"));
    expect((err as GitHubError).failure).toBe("rate_limited");
    expect(warnings[0]).toContain("retry-after 30 s");
  });

  test("when both the API and git fail, the client gets upstream_unavailable", async () => {
    const source = reader(context("pat"));
    fake.fail(502, { kinds: ["rest", "git"], times: 2 });
    const err = await rejection(source.current(""));
    expect(err.code).toBe("upstream_unavailable");
    expect((err as GitHubError).failure).toBe("server_error");
  });

  test("a GitHub that cannot be reached is upstream_unavailable (network)", async () => {
    const source = reader(context("pat"));
    fake.stop();
    const err = await rejection(source.current(""));
    expect(err.code).toBe("upstream_unavailable");
    expect((err as GitHubError).failure).toBe("network");
  });
});

describe("branch listing", () => {
  test("one GraphQL request lists every branch", async () => {
    const source = reader(context("pat"));
    expect(await source.listBranches()).toEqual(["feature", "main"]);
    expect(fake.requests.map(short)).toEqual(["graphql POST /api/graphql 200"]);
  });

  test("more than 100 branches take one request per 100, and the listing is complete", async () => {
    work.git(["push", "-q", "origin", ...Array.from({ length: 150 }, (_, i) => `main:refs/heads/topic/${String(i).padStart(3, "0")}`)]);
    const names = await reader(context("pat")).listBranches();
    expect(names).toHaveLength(152);
    expect(fake.requests.map(short)).toEqual(["graphql POST /api/graphql 200", "graphql POST /api/graphql 200"]);
  });

  test("401, 403, 500, rate limits and an unreadable repository throw; none returns a partial list", async () => {
    const cases = [
      [401, "unauthorized"],
      [403, "forbidden"],
      [500, "server_error"],
      ["rate_limit", "rate_limited"],
      ["secondary_rate_limit", "rate_limited"],
      ["graphql_rate_limited", "rate_limited"],
    ] as const;
    for (const [failure, kind] of cases) {
      fake.fail(failure, { kinds: ["graphql"] });
      const err = await rejection(reader(context("pat")).listBranches());
      expect({ failure, kind: (err as GitHubError).failure }).toEqual({ failure, kind });
    }
    expect(((await rejection(reader(context("none")).listBranches())) as GitHubError).failure).toBe("not_found");
    expect(((await rejection(reader(context("pat"), { name: "octo-org/gone" }).listBranches())) as GitHubError).failure).toBe("not_found");
  });
});

describe("GitHub App credentials", () => {
  test("an App finds the installation, mints a token, and mints again when it nears expiry", async () => {
    const github = context("app");
    expect(await checkGitHubAuth(github.credentials)).toBeUndefined();
    const source = reader(github);
    const head = work.rev("main");
    expect((await source.current(head)).head_sha).toBe(head);
    expect(fake.requests.map(short)).toEqual([
      "app GET /installation 200",
      "app POST /api/v3/app/installations/777/access_tokens 201",
      "rest GET /commits/main 200",
      "git GET /info/refs 200",
      "git POST /git-upload-pack 200",
    ]);
    expect(fake.requests.filter((r) => r.kind === "app").every((r) => r.auth === "jwt")).toBe(true);
    expect(fake.requests.filter((r) => r.kind !== "app").every((r) => r.auth === "installation")).toBe(true);
    expect(fake.mintedTokens()).toHaveLength(1);

    // Within the token's life: reused.
    clock += 30 * 60_000;
    let seen = fake.requests.length;
    await source.current(head);
    expect(fake.requests.slice(seen).map(short)).toEqual(["rest GET /commits/main 304 (conditional)"]);

    // Less than the margin left: a new token is minted before the request, and used.
    clock += 60 * 60_000 - 30 * 60_000 - TOKEN_REFRESH_MARGIN_MS + 1;
    seen = fake.requests.length;
    await source.current(head);
    expect(fake.requests.slice(seen).map(short)).toEqual([
      "app POST /api/v3/app/installations/777/access_tokens 201",
      "rest GET /commits/main 304 (conditional)",
    ]);
    expect(fake.mintedTokens()).toHaveLength(2);
    expect(fake.requests.at(-1)?.auth).toBe("installation");
  });

  test("a token GitHub refuses (401) is minted again and the request retried once", async () => {
    const github = context("app");
    const repo = parseRepoName(REPO);
    expect(await github.api.mainHead(repo, "main")).toBe(work.rev("main"));
    fake.expireTokens();
    const seen = fake.requests.length;
    expect(await github.api.mainHead(repo, "main")).toBe(work.rev("main"));
    expect(fake.requests.slice(seen).map(short)).toEqual([
      "rest GET /commits/main 401 (conditional)",
      "app POST /api/v3/app/installations/777/access_tokens 201",
      "rest GET /commits/main 304 (conditional)",
    ]);
  });

  test("an App not installed on the repository, or a wrong key, is upstream_unavailable naming no secret", async () => {
    const github = context("app");
    const err = await rejection(reader(github, { name: "octo-org/elsewhere" }).current(""));
    expect(err.code).toBe("upstream_unavailable");
    expect(err.message).toContain("installed");
    const bad = createCredentials({ api_url: fake.api_url, now, app_id: fake.app.id, private_key: "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----\n" });
    const why = await checkGitHubAuth(bad);
    expect(why).toContain("private key");
    expect(why).not.toContain("nope");
  });

  test("installation tokens never appear in errors", async () => {
    const github = context("app");
    const repo = parseRepoName(REPO);
    await github.api.mainHead(repo, "main");
    const token = fake.mintedTokens()[0]!;
    expect(github.credentials.redact(`x ${token} y`)).toBe("x *** y");
    expect(github.credentials.redact(Buffer.from(`x-access-token:${token}`).toString("base64"))).toBe("***");
  });
});

describe("names and URLs", () => {
  test("api_url gives GitHub's git URL: github.com, or the Enterprise Server host", () => {
    expect(gitBaseUrl("https://api.github.com")).toBe("https://github.com");
    expect(gitBaseUrl("https://api.github.com/")).toBe("https://github.com");
    expect(gitBaseUrl("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com");
    expect(gitBaseUrl("http://127.0.0.1:9/prefix/api/v3/")).toBe("http://127.0.0.1:9/prefix");
    expect(graphqlBaseUrl("https://api.github.com")).toBe("https://api.github.com");
    expect(graphqlBaseUrl("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com/api");
    for (const bad of ["ftp://x/api/v3", "https://example.com", "not a url", "https://user:pw@ghe.example.com/api/v3"]) {
      let caught: unknown;
      try {
        gitBaseUrl(bad);
      } catch (e) {
        caught = e;
      }
      expect((caught as CoordError).code).toBe("config_error");
      expect((caught as CoordError).message).not.toContain("pw@");
    }
  });

  test("a github source needs an owner/name", () => {
    for (const name of ["just-a-name", "a/b/c", "-bad/x", "o/..", "o/has space"]) {
      let caught: unknown;
      try {
        parseRepoName(name);
      } catch (e) {
        caught = e;
      }
      expect((caught as CoordError).code).toBe("config_error");
    }
    expect(parseRepoName("Octo-Org/repo.js")).toEqual({ owner: "Octo-Org", name: "repo.js" });
  });
});

describe("unexpected answers", () => {
  test("a head that is no sha, a 304 to an unconditional request, and a branch list of the wrong shape are invalid_response", async () => {
    const github = context("pat");
    const repo = parseRepoName(REPO);
    fake.fail("garbage", { kinds: ["rest"] });
    expect(((await rejection(github.api.mainHead(repo, "main"))) as GitHubError).failure).toBe("invalid_response");
    fake.fail(304, { kinds: ["rest"] });
    expect(((await rejection(github.api.mainHead(repo, "main"))) as GitHubError).failure).toBe("invalid_response");
    fake.fail("garbage", { kinds: ["graphql"] });
    const err = await rejection(github.api.listBranches(repo));
    expect([(err as GitHubError).failure, err.message]).toEqual(["invalid_response", `Repository "${REPO}": GitHub answered the branch list in an unexpected shape.`]);
  });

  test("App endpoints failing are upstream_unavailable; a 404 on minting (the App was uninstalled) makes the next call look the installation up again", async () => {
    const github = context("app");
    const repo = parseRepoName(REPO);
    fake.fail(500, { kinds: ["app"] });
    const lookup = await rejection(github.api.mainHead(repo, "main"));
    expect([lookup.code, (lookup as GitHubError).failure]).toEqual(["upstream_unavailable", "server_error"]);
    expect(await github.api.mainHead(repo, "main")).toBe(work.rev("main"));
    expect(fake.requests.map(short)).toEqual([
      "app GET /installation 500",
      "app GET /installation 200",
      "app POST /api/v3/app/installations/777/access_tokens 201",
      "rest GET /commits/main 200",
    ]);
    // GitHub refuses the token and minting answers 404: the installation is gone.
    fake.expireTokens();
    fake.fail(404, { kinds: ["app"] });
    const gone = await rejection(github.api.mainHead(repo, "main"));
    expect([(gone as GitHubError).failure, gone.message]).toEqual([
      "not_found",
      `Repository "${REPO}": GitHub answered HTTP 404 asking for an installation token (Not Found). Is the App installed on this repository?`,
    ]);
    fake.requests.length = 0;
    expect(await github.api.mainHead(repo, "main")).toBe(work.rev("main"));
    expect(fake.requests.map(short)).toEqual([
      "app GET /installation 200",
      "app POST /api/v3/app/installations/777/access_tokens 201",
      "rest GET /commits/main 304 (conditional)",
    ]);
  });

  test("git answering 401 drops the App's token: the next attempt mints a new one", async () => {
    const github = context("app");
    const source = reader(github);
    fake.fail(401, { kinds: ["git"] });
    const err = await rejection(source.current(""));
    expect(err.code).toBe("upstream_unavailable");
    expect(err.message).toContain("HTTP 401");
    expect(fake.mintedTokens()).toHaveLength(1);
    expect((await source.current("")).head_sha).toBe(work.rev("main"));
    expect(fake.mintedTokens()).toHaveLength(2);
    for (const t of fake.mintedTokens()) expect(err.message).not.toContain(t);
  });
});

