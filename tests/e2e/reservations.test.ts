// End to end on the compiled binary: reserve, the PreToolUse guard, the pre-commit guard, release with the claim, shared reservations, fail-open and guard = "closed".
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { binary, cloneSession, git, makeOrigin, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

const A_ID = "aaaaaaaa-e2e-session-0001";
const B_ID = "bbbbbbbb-e2e-session-0002";
let root: string;
let service: ServiceProcess;
let a: string;
let b: string;
let envA: Record<string, string>;
let envB: Record<string, string>;

beforeAll(async () => {
  root = tempDir("resv");
  const { origin } = makeOrigin(root);
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `demo/repo=${origin}`]);
  a = cloneSession(origin, root, "a");
  b = cloneSession(origin, root, "b");
  const env = { CLAUDE_COORD_REPO: "demo/repo", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_NO_FETCH: "1" };
  envA = { ...env, CLAUDE_COORD_SESSION_ID: A_ID };
  envB = { ...env, CLAUDE_COORD_SESSION_ID: B_ID };
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Runs `claude-coord hook pre-tool-use` in `cwd` with Claude Code's PreToolUse JSON for `tool` on stdin. */
async function preToolUse(cwd: string, session_id: string, tool: string, tool_input: Record<string, unknown>, env: Record<string, string>) {
  const input = { session_id, transcript_path: join(root, "t.jsonl"), cwd, permission_mode: "default", hook_event_name: "PreToolUse", tool_name: tool, tool_input };
  const proc = Bun.spawn([await binary(), "hook", "pre-tool-use"], { cwd, env: { ...process.env, ...env }, stdin: Buffer.from(JSON.stringify(input)), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
const edit = (cwd: string, session_id: string, rel: string, env: Record<string, string>) =>
  preToolUse(cwd, session_id, "Edit", { file_path: join(cwd, rel), old_string: "a", new_string: "b" }, env);

/** Runs a shell command line as printed (`claude-coord ...`) with the compiled binary first on PATH. */
async function runPrinted(line: string, cwd: string, env: Record<string, string>) {
  const bin = await binary();
  const proc = Bun.spawn(["sh", "-c", line], { cwd, env: { ...process.env, ...env, PATH: `${dirname(bin)}:${process.env.PATH}` }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

describe("two sessions, one reservation", () => {
  let expiresAt: string;

  test("A claims a task and reserves src/ui/**; the listing shows it with A's prefix", async () => {
    expect((await runClient(["claim", "--task", "task-a"], { cwd: a, env: envA })).code).toBe(0);
    const r = await runClient(["reserve", "src/ui/**", "--reason", "frontend", "--json"], { cwd: a, env: envA });
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { status: string; reservations: Array<{ path: string; session: string; exclusive: boolean; expires_at: string }> };
    expect(body.status).toBe("reserved");
    expect(body.reservations.map((v) => [v.path, v.session, v.exclusive])).toEqual([["src/ui/**", "aaaaaaaa", true]]);
    expiresAt = body.reservations[0]!.expires_at;
    const list = await runClient(["reservations"], { cwd: b, env: envB });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`src/ui/**  session aaaaaaaa, exclusive, until ${expiresAt}`);
  });

  test("B's Edit of <repo>/src/ui/button.tsx exits 2 with A's prefix, the pattern and the expiry on stderr, and the command to ask A", async () => {
    const r = await edit(b, B_ID, "src/ui/button.tsx", envB);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("BLOCKED: src/ui/button.tsx is reserved by another session");
    expect(r.stderr).toContain(`'src/ui/button.tsx' is reserved by session aaaaaaaa (pattern src/ui/**, exclusive, until ${expiresAt}, reason: "frontend")`);
    expect(r.stderr).toContain("ACTION REQUIRED: Work on paths outside src/ui/** for now, or ask the holder to release it:");
    const ask = r.stderr.split("\n").find((l) => l.startsWith("claude-coord send --to-session aaaaaaaa "));
    expect(ask).toBeDefined();
    // The printed command runs as printed and reaches A.
    const sent = await runPrinted(ask!, b, envB);
    expect(sent.code).toBe(0);
    const inbox = await runClient(["inbox", "--json"], { cwd: a, env: envA });
    const msgs = (JSON.parse(inbox.stdout) as { messages: Array<{ from: string; subject: string; body: string }> }).messages;
    expect(msgs.map((m) => [m.from, m.subject])).toEqual([["bbbbbbbb", "Reservation src/ui/**"]]);
    expect(msgs[0]!.body).toContain("claude-coord unreserve src/ui/**");
  });

  test("Write, MultiEdit and NotebookEdit inside src/ui are refused too; other tools, other paths, paths outside the repo and A's own edits pass silently", async () => {
    expect((await preToolUse(b, B_ID, "Write", { file_path: join(b, "src/ui/new.tsx"), content: "x" }, envB)).code).toBe(2);
    expect((await preToolUse(b, B_ID, "MultiEdit", { file_path: join(b, "src/ui/a.tsx"), edits: [{ old_string: "a", new_string: "b" }] }, envB)).code).toBe(2);
    expect((await preToolUse(b, B_ID, "NotebookEdit", { notebook_path: join(b, "src/ui/n.ipynb"), new_source: "x" }, envB)).code).toBe(2);
    const silent = { code: 0, stdout: "", stderr: "" };
    expect(await edit(b, B_ID, "src/api/x.ts", envB)).toEqual(silent);
    expect(await preToolUse(b, B_ID, "Read", { file_path: join(b, "src/ui/button.tsx") }, envB)).toEqual(silent);
    expect(await preToolUse(b, B_ID, "Edit", { file_path: join(root, "elsewhere", "src", "ui", "x.tsx"), old_string: "a", new_string: "b" }, envB)).toEqual(silent);
    expect(await edit(a, A_ID, "src/ui/button.tsx", envA)).toEqual(silent);
  });

  test("B reserving inside src/ui exits 1, reserves nothing, and names the holder and the command to ask", async () => {
    const r = await runClient(["reserve", "src/ui/button.tsx", "lib/b.ts"], { cwd: b, env: envB });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ERROR: Nothing was reserved: a path overlaps a reservation of another session.");
    expect(r.stderr).toContain(`'src/ui/button.tsx' is reserved by session aaaaaaaa (pattern src/ui/**, exclusive, until ${expiresAt}, reason: "frontend")`);
    expect(r.stderr).toContain("claude-coord send --to-session aaaaaaaa --subject 'Reservation src/ui/**'");
    const list = JSON.parse((await runClient(["reservations", "--json"], { cwd: b, env: envB })).stdout) as { reservations: Array<{ path: string }> };
    expect(list.reservations.map((v) => v.path)).toEqual(["src/ui/**"]);
  });

  test("B's git commit touching src/ui/ is refused by the pre-commit guard; one outside it commits", async () => {
    const bin = await binary();
    const hook = join(b, ".git", "hooks", "pre-commit");
    writeFileSync(hook, `#!/bin/sh\nexec "${bin}" guard pre-commit\n`);
    chmodSync(hook, 0o755);
    write(join(b, "src", "ui", "button.tsx"), "export const Button = 1;\n");
    git(b, "add", "src/ui/button.tsx");
    const refused = Bun.spawnSync(["git", "commit", "-q", "-m", "ui"], { cwd: b, env: { ...process.env, ...envB }, stdout: "pipe", stderr: "pipe" });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.toString()).toContain("BLOCKED: src/ui/button.tsx is reserved by another session");
    expect(refused.stderr.toString()).toContain("The commit was refused; your changes stay staged.");
    expect(git(b, "diff", "--cached", "--name-only")).toBe("src/ui/button.tsx");
    git(b, "reset", "-q");
    write(join(b, "src", "api", "x.ts"), "export const x = 1;\n");
    git(b, "add", "src/api/x.ts");
    const ok = Bun.spawnSync(["git", "commit", "-q", "-m", "api"], { cwd: b, env: { ...process.env, ...envB }, stdout: "pipe", stderr: "pipe" });
    expect([ok.exitCode, ok.stderr.toString()]).toEqual([0, ""]);
  });

  test("after A completes its task, its reservation is gone: B's edit and commit in src/ui are allowed", async () => {
    expect((await runClient(["complete", "--task", "task-a"], { cwd: a, env: envA })).code).toBe(0);
    expect(await edit(b, B_ID, "src/ui/button.tsx", envB)).toEqual({ code: 0, stdout: "", stderr: "" });
    git(b, "add", "src/ui/button.tsx");
    const ok = Bun.spawnSync(["git", "commit", "-q", "-m", "ui"], { cwd: b, env: { ...process.env, ...envB }, stdout: "pipe", stderr: "pipe" });
    expect([ok.exitCode, ok.stderr.toString()]).toEqual([0, ""]);
  });

  test("a shared reservation lets both edit; unreserve --all releases A's", async () => {
    expect((await runClient(["reserve", "docs/**", "--shared", "--ttl", "2h"], { cwd: a, env: envA })).code).toBe(0);
    expect((await runClient(["reserve", "docs/**", "--shared"], { cwd: b, env: envB })).code).toBe(0);
    const silent = { code: 0, stdout: "", stderr: "" };
    expect(await edit(b, B_ID, "docs/a.md", envB)).toEqual(silent);
    expect(await edit(a, A_ID, "docs/a.md", envA)).toEqual(silent);
    const un = await runClient(["unreserve", "--all", "--json"], { cwd: a, env: envA });
    expect(JSON.parse(un.stdout)).toMatchObject({ status: "released", released: [{ path: "docs/**", session: "aaaaaaaa", exclusive: false }], not_held: [] });
  });
});

describe("when the service cannot answer", () => {
  test("fail-open: allowed with a one-line warning; guard = \"closed\" in .claude-coord.toml blocks instead", async () => {
    await service.stop();
    const open = await edit(b, B_ID, "src/ui/button.tsx", envB);
    expect(open.code).toBe(0);
    expect(open.stdout).toBe("");
    expect(open.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(open.stderr).toStartWith("claude-coord guard: reservations not checked (service_unavailable at http://127.0.0.1:");
    writeFileSync(join(b, ".claude-coord.toml"), 'guard = "closed"\n');
    const closed = await edit(b, B_ID, "src/ui/button.tsx", envB);
    expect(closed.code).toBe(2);
    expect(closed.stderr).toContain('guard = "closed" in .claude-coord.toml blocks changes until it can.');
    expect(closed.stderr).toContain("ACTION REQUIRED: Ask the user to start the coordination service");
  });
});
