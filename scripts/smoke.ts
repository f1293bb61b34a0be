// The release smoke run: the host binary prints its version and claims a task against a throwaway service on 127.0.0.1.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GIT_ENV = {
  GIT_AUTHOR_NAME: "smoke",
  GIT_AUTHOR_EMAIL: "smoke@example.com",
  GIT_COMMITTER_NAME: "smoke",
  GIT_COMMITTER_EMAIL: "smoke@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

function git(cwd: string, ...args: string[]): void {
  const r = Bun.spawnSync(["git", "-c", "init.defaultBranch=main", ...args], { cwd, env: { ...process.env, ...GIT_ENV }, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`smoke: git ${args.join(" ")} failed: ${r.stderr.toString()}`);
}

async function run(cmd: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/**
 * Runs `binary --version` (must print `version`), then starts `binary serve --port 0` on 127.0.0.1
 * over a throwaway git origin and claims a task with the same binary (must exit 0 with status
 * `claimed`). Waits at most `timeout_ms` (default 20 000) for the service. Throws an Error saying
 * which step failed, with the output; always stops the service and removes its temp dir.
 */
export async function smokeTest(binary: string, version: string, timeout_ms = 20_000): Promise<void> {
  const v = await run([binary, "--version"], tmpdir(), {});
  if (v.code !== 0 || v.stdout.trim() !== version) throw new Error(`smoke: '${binary} --version' gave exit ${v.code}, '${v.stdout.trim()}'; expected '${version}'.\n${v.stderr}`);
  const root = mkdtempSync(join(tmpdir(), "coord-smoke-"));
  const origin = join(root, "origin.git");
  const work = join(root, "work");
  git(root, "init", "-q", "--bare", origin);
  git(root, "clone", "-q", origin, work);
  mkdirSync(join(work, "context"));
  writeFileSync(join(work, "context", "plan.json"), '{"plan_name":"smoke","tasks":[{"id":"smoke-1","name":"Smoke","status":"pending"}]}\n');
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "plan");
  git(work, "push", "-q", "origin", "HEAD:main");
  git(work, "checkout", "-q", "-b", "claude/smoke");
  const proc = Bun.spawn([binary, "serve", "--port", "0", "--db", join(root, "coord.db"), "--repo", `smoke/test=${origin}`], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out += dec.decode(chunk);
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  try {
    const deadline = Date.now() + timeout_ms;
    let url: string | undefined;
    while (url === undefined) {
      url = /listening on (http:\/\/\S+?:\d+)/.exec(out)?.[1];
      if (url) break;
      if (proc.exitCode !== null) throw new Error(`smoke: serve exited with ${proc.exitCode}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`smoke: serve did not listen within ${timeout_ms} ms:\n${out}`);
      await Bun.sleep(25);
    }
    const c = await run([binary, "claim", "--task", "smoke-1", "--json"], work, {
      CLAUDE_COORD_REPO: "smoke/test",
      CLAUDE_COORD_URL: url,
      CLAUDE_COORD_SESSION_ID: "smoke-session-0001",
    });
    let status: unknown;
    try {
      status = (JSON.parse(c.stdout) as { status?: unknown }).status;
    } catch {
      status = undefined;
    }
    if (c.code !== 0 || status !== "claimed") throw new Error(`smoke: claim gave exit ${c.code}:\n${c.stdout}${c.stderr}`);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    await pumps;
    rmSync(root, { recursive: true, force: true });
  }
}
