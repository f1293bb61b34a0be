// End to end with source = "github": the compiled service against the fake GitHub, clients on clones of the same bare repository; request counts per claim, webhooks, an App, secrets kept out.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { startFakeGitHub, type FakeGitHub, type FakeRequest } from "../helpers/fake-github.ts";
import { cloneSession, commitAll, git, makeOrigin, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

const REPO = "octo-org/app";
const SECRET = "whsec-0123456789abcdef-e2e";
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const C = "cccccccc-3333-4333-8333-333333333333";

/** `kind method path status`, the repo prefix cut. */
function short(r: FakeRequest): string {
  const path = r.path.replace(`/api/v3/repos/${REPO}`, "").replace(`/${REPO}.git`, "");
  return `${r.kind} ${r.method} ${path} ${r.status}`;
}

/** A fake GitHub serving the e2e origin's history as `octo-org/app`; sessions clone it like GitHub. */
function setUp(root: string): { fake: FakeGitHub; bare: string; author: string } {
  const fake = startFakeGitHub();
  const bare = fake.createRepo(REPO);
  const { origin, work: author } = makeOrigin(root);
  git(origin, "push", "-q", "--mirror", bare);
  git(author, "remote", "set-url", "origin", bare);
  git(author, "fetch", "-q", "origin");
  return { fake, bare, author };
}

async function webhook(url: string, event: string, payload: unknown, opts: { id: string; secret?: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${url}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": opts.id,
      "x-hub-signature-256": await sign(opts.secret ?? SECRET, body),
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const repository = { full_name: REPO };

describe("a private GitHub repository through a personal access token", () => {
  let root: string;
  let fake: FakeGitHub;
  let bare: string;
  let author: string;
  let service: ServiceProcess;
  let sa: string;
  let sb: string;
  let env: (session: string) => Record<string, string>;
  /** Requests to the fake since the last call. */
  let mark = 0;
  const since = (): string[] => {
    const out = fake.requests.slice(mark).map(short);
    mark = fake.requests.length;
    return out;
  };

  beforeAll(async () => {
    root = tempDir("github");
    ({ fake, bare, author } = setUp(root));
    const config = join(root, "service.toml");
    writeFileSync(
      config,
      `[server]\nport = 0\ndatabase = "coord.db"\n[github]\ntoken = "${fake.pat}"\napi_url = "${fake.api_url}"\nwebhook_secret = "${SECRET}"\n[[repos]]\nname = "${REPO}"\nhead_ttl = "1h"\n`,
    );
    service = await startService(["--config", config]);
    sa = cloneSession(bare, root, "a");
    sb = cloneSession(bare, root, "b");
    // Fetching on a stale token is off: these tests count the requests the fake GitHub gets, and a client fetch would be one.
    env = (session) => ({ CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: session, CLAUDE_COORD_NO_FETCH: "1" });
  });
  afterAll(async () => {
    await service?.stop();
    fake?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test("cold: the first claim costs one head check and one clone; the service accepts the client's token", async () => {
    const r = await runClient(["claim", "--task", "task-a", "--json"], { cwd: sa, env: env(A) });
    expect([r.code, JSON.parse(r.stdout).status]).toEqual([0, "claimed"]);
    expect(since()).toEqual(["rest GET /commits/main 200", "git GET /info/refs 200", "git POST /git-upload-pack 200"]);
    expect(fake.requests.every((q) => q.auth === "pat")).toBe(true);
  });

  test("warm: claims, listings and completions while main is unchanged cost no GitHub request", async () => {
    expect((await runClient(["claim", "--task", "task-b"], { cwd: sb, env: env(B) })).code).toBe(0);
    expect((await runClient(["claim", "--task", "task-d"], { cwd: sa, env: env(C) })).code).toBe(0);
    expect((await runClient(["complete", "--task", "task-d"], { cwd: sa, env: env(C) })).code).toBe(0);
    expect((await runClient(["claims"], { cwd: sa, env: env(A) })).code).toBe(0);
    expect((await runClient(["claims", "--json"], { cwd: sb, env: env(B) })).code).toBe(0);
    expect(since()).toEqual([]);
  });

  test("a push webhook refreshes the mirror at once; the old token is stale (exit 4) and the pulled one costs nothing", async () => {
    write(join(author, "context", "plan.json"), '{"tasks":[{"id":"task-z","status":"pending"}]}\n');
    const next = commitAll(author, "plan moves on");
    git(author, "push", "-q", "origin", "main");
    const res = await webhook(service.url, "push", { ref: "refs/heads/main", after: next, deleted: false, repository }, { id: "push-1" });
    expect(res).toEqual({ status: 200, body: { status: "ok", event: "push", delivery: "push-1", completed: [], refresh: "refreshed" } });
    expect(since()).toEqual(["rest GET /commits/main 200", "git GET /info/refs 200", "git POST /git-upload-pack 200"]);

    const stale = await runClient(["claims"], { cwd: sa, env: env(A) });
    expect(stale.code).toBe(4);
    expect(stale.stderr).toContain(next);
    git(sa, "fetch", "-q", "origin");
    const fresh = await runClient(["claims", "--json"], { cwd: sa, env: env(A) });
    expect(fresh.code).toBe(0);
    expect(since()).toEqual([]);
  });

  test("without a webhook, a client presenting the new main makes the service look it up and fetch once", async () => {
    write(join(author, "notes.txt"), "more\n");
    commitAll(author, "main moves without a webhook");
    git(author, "push", "-q", "origin", "main");
    git(sb, "fetch", "-q", "origin");
    expect((await runClient(["claims"], { cwd: sb, env: env(B) })).code).toBe(0);
    expect(since()).toEqual(["rest GET /commits/main 200", "git GET /info/refs 200", "git POST /git-upload-pack 200"]);
    // Session A has not fetched: stale, and no request.
    expect((await runClient(["claims"], { cwd: sa, env: env(A) })).code).toBe(4);
    expect(since()).toEqual([]);
  });

  test("the API failing falls back to git; only when git fails too does the client get exit 2", async () => {
    write(join(author, "notes.txt"), "again\n");
    commitAll(author, "main moves again");
    git(author, "push", "-q", "origin", "main");
    git(sa, "fetch", "-q", "origin");
    fake.fail(500, { kinds: ["rest", "git"], times: 2 });
    const down = await runClient(["claims"], { cwd: sa, env: env(A) });
    expect(down.code).toBe(2);
    expect(down.stderr).toContain(REPO);
    expect(since()).toEqual(["rest GET /commits/main 500", "git GET /info/refs 500"]);
    fake.fail(500, { kinds: ["rest"], times: 1 });
    expect((await runClient(["claims"], { cwd: sa, env: env(A) })).code).toBe(0);
    expect(since()).toEqual(["rest GET /commits/main 500", "git GET /info/refs 200", "git GET /info/refs 200", "git POST /git-upload-pack 200"]);
  });

  test("a webhook with a bad signature is refused and changes nothing; a branch deletion completes its claim at once; a replay is ignored", async () => {
    const forged = await webhook(service.url, "delete", { ref: "claude/b", ref_type: "branch", repository }, { id: "del-1", secret: "guessed" });
    expect([forged.status, forged.body.status]).toEqual([401, "unauthorized"]);
    git(sb, "fetch", "-q", "origin");
    const before = JSON.parse((await runClient(["claims", "--json"], { cwd: sb, env: env(B) })).stdout);
    expect(before.active.map((c: { task_id: string }) => c.task_id).sort()).toEqual(["task-a", "task-b"]);

    const real = await webhook(service.url, "delete", { ref: "claude/b", ref_type: "branch", repository }, { id: "del-1" });
    expect(real.body).toEqual({ status: "ok", event: "delete", delivery: "del-1", completed: ["task-b"] });
    const after = JSON.parse((await runClient(["claims", "--json"], { cwd: sb, env: env(B) })).stdout);
    expect(after.active.map((c: { task_id: string }) => c.task_id)).toEqual(["task-a"]);
    expect(after.recently_completed.map((c: { task_id: string; completion_reason: string }) => [c.task_id, c.completion_reason])).toEqual([
      ["task-d", "client_completed"],
      ["task-b", "branch_removed"],
    ]);

    // B claims again on the same branch name; a replay of the deletion changes nothing.
    expect((await runClient(["claim", "--task", "task-c"], { cwd: sb, env: env(B) })).code).toBe(0);
    const replay = await webhook(service.url, "delete", { ref: "claude/b", ref_type: "branch", repository }, { id: "del-1" });
    expect(replay.body.status).toBe("duplicate");
    const still = JSON.parse((await runClient(["claims", "--json"], { cwd: sb, env: env(B) })).stdout);
    expect(still.active.map((c: { task_id: string }) => c.task_id).sort()).toEqual(["task-a", "task-c"]);
    expect(since()).toEqual([]);
  });

  test("no secret appears in the service's output, in /health or in error bodies", async () => {
    const health = await (await fetch(`${service.url}/health`)).text();
    const err = await (await fetch(`${service.url}/claims?repo=${REPO}&token=sha256:${"0".repeat(64)}&commit_sha=${"0".repeat(40)}`)).text();
    for (const text of [service.output(), health, err]) {
      expect(text).not.toContain(fake.pat);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(Buffer.from(`x-access-token:${fake.pat}`).toString("base64"));
    }
    expect(JSON.parse(health)).toEqual({ status: "ok", version: expect.any(String), backend: "sqlite" });
  });
});

describe("a GitHub App", () => {
  test("mints an installation token, uses it for the API and git, and mints a new one when GitHub refuses the old", async () => {
    const root = tempDir("github-app");
    const { fake, bare, author } = setUp(root);
    let service: ServiceProcess | undefined;
    try {
      writeFileSync(join(root, "app.pem"), fake.app.private_key);
      const config = join(root, "service.toml");
      writeFileSync(
        config,
        `[server]\nport = 0\ndatabase = "coord.db"\n[github]\napp_id = ${fake.app.id}\nprivate_key_path = "app.pem"\napi_url = "${fake.api_url}"\nwebhook_secret = "${SECRET}"\n[[repos]]\nname = "${REPO}"\nhead_ttl = "1h"\n`,
      );
      service = await startService(["--config", config]);
      const sa = cloneSession(bare, root, "a");
      const env = { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: A };
      expect((await runClient(["claim", "--task", "task-a"], { cwd: sa, env })).code).toBe(0);
      expect(fake.requests.map(short)).toEqual([
        "app GET /installation 200",
        "app POST /api/v3/app/installations/777/access_tokens 201",
        "rest GET /commits/main 200",
        "git GET /info/refs 200",
        "git POST /git-upload-pack 200",
      ]);
      expect(fake.requests.map((r) => r.auth)).toEqual(["jwt", "jwt", "installation", "installation", "installation"]);

      // GitHub stops accepting the token (expired or revoked): the next refresh mints a new one and goes on.
      fake.expireTokens();
      commitAll(author, "main moves");
      git(author, "push", "-q", "origin", "main");
      const mark = fake.requests.length;
      const res = await webhook(service.url, "push", { ref: "refs/heads/main", deleted: false, repository }, { id: "app-push-1" });
      expect(res.body.refresh).toBe("refreshed");
      expect(fake.requests.slice(mark).map(short)).toEqual([
        "rest GET /commits/main 401",
        "app POST /api/v3/app/installations/777/access_tokens 201",
        "rest GET /commits/main 200",
        "git GET /info/refs 200",
        "git POST /git-upload-pack 200",
      ]);
      git(sa, "fetch", "-q", "origin");
      expect((await runClient(["claims"], { cwd: sa, env })).code).toBe(0);
      expect(fake.mintedTokens()).toHaveLength(2);
      const out = service.output();
      expect(out).toContain(`GitHub: App ${fake.app.id} (installation tokens)`);
      for (const t of fake.mintedTokens()) expect(out).not.toContain(t);
      expect(out).not.toContain("PRIVATE KEY");
    } finally {
      await service?.stop();
      fake.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("an unreadable private key refuses to start (exit 78) naming the key, not its content", async () => {
    const root = tempDir("github-app-bad");
    try {
      writeFileSync(join(root, "bad.pem"), "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END RSA PRIVATE KEY-----\n");
      const config = join(root, "service.toml");
      writeFileSync(config, `[server]\nport = 0\ndatabase = "coord.db"\n[github]\napp_id = 1\nprivate_key_path = "bad.pem"\n[[repos]]\nname = "${REPO}"\n`);
      const r = await runClient(["serve", "--config", config], { cwd: root });
      expect(r.code).toBe(78);
      expect(r.stderr + r.stdout).toContain("github.private_key_path");
      expect(r.stderr + r.stdout).not.toContain("c2VjcmV0LWJ5dGVz");
      const missing = join(root, "missing.toml");
      writeFileSync(missing, `[github]\napp_id = 1\nprivate_key_path = "nope.pem"\n[[repos]]\nname = "${REPO}"\n`);
      const m = await runClient(["serve", "--config", missing], { cwd: root });
      expect(m.code).toBe(78);
      expect(m.stderr + m.stdout).toContain("cannot read");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the branch lifecycle job in the running service", () => {
  test("completes the claim whose pushed branch was deleted, with one GraphQL listing per run, and keeps the never-pushed one", async () => {
    const root = tempDir("github-job");
    const { fake, bare } = setUp(root);
    let service: ServiceProcess | undefined;
    try {
      const config = join(root, "service.toml");
      writeFileSync(
        config,
        `[server]\nport = 0\ndatabase = "coord.db"\n[github]\ntoken = "${fake.pat}"\napi_url = "${fake.api_url}"\n[jobs]\nbranch_check = "* * * * * *"\n[[repos]]\nname = "${REPO}"\nhead_ttl = "1h"\n`,
      );
      service = await startService(["--config", config]);
      const sa = cloneSession(bare, root, "a");
      const sb = cloneSession(bare, root, "b");
      git(sa, "push", "-q", "origin", "claude/a");
      const env = (s: string) => ({ CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service!.url, CLAUDE_COORD_SESSION_ID: s });
      expect((await runClient(["claim", "--task", "task-a"], { cwd: sa, env: env(A) })).code).toBe(0);
      expect((await runClient(["claim", "--task", "task-b"], { cwd: sb, env: env(B) })).code).toBe(0);
      const listings = () => fake.requests.filter((r) => r.kind === "graphql").length;
      const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
        for (let i = 0; i < 100; i++) {
          if (await ok()) return;
          await Bun.sleep(50);
        }
        throw new Error(`timed out waiting for ${what}:\n${service!.output()}`);
      };
      await until("a first branch listing", () => listings() >= 1);
      git(sa, "push", "-q", "origin", "--delete", "claude/a");
      const seenBefore = listings();
      const completed = async () => {
        const r = await runClient(["claims", "--json"], { cwd: sb, env: env(B) });
        return (JSON.parse(r.stdout).recently_completed as { task_id: string }[]).length > 0;
      };
      await until("task-a completed by the job", completed);
      const r = JSON.parse((await runClient(["claims", "--json"], { cwd: sb, env: env(B) })).stdout);
      expect(r.active.map((c: { task_id: string; branch: string }) => [c.task_id, c.branch])).toEqual([["task-b", "claude/b"]]);
      expect(r.recently_completed.map((c: { task_id: string; completion_reason: string }) => [c.task_id, c.completion_reason])).toEqual([["task-a", "branch_removed"]]);
      expect(listings()).toBeGreaterThan(seenBefore);
      // The job asked GraphQL only (tests/jobs/branch-check.test.ts counts exactly one listing per repository per run).
      expect(fake.requests.filter((q) => q.kind === "graphql").every((q) => q.status === 200 && q.method === "POST")).toBe(true);
      expect(service.output()).toContain(`branch_check: completed ${REPO} task-a`);
    } finally {
      await service?.stop();
      fake.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

