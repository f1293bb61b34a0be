// The README's first hour, as written: a fresh clone, the service command, then the "Try it" block, each exit code as the README states it.
import { afterAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { git, tempDir } from "../helpers/e2e.ts";

const ROOT = join(import.meta.dir, "..", "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const root = tempDir("quick-start");
let stopService: (() => Promise<void>) | undefined;
afterAll(async () => {
  await stopService?.();
  rmSync(root, { recursive: true, force: true });
});

/** The first ```bash block after `marker` in the README. */
function blockAfter(marker: string): string {
  const at = README.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no '${marker}'`);
  const m = /```bash\n([\s\S]*?)```/.exec(README.slice(at));
  if (!m) throw new Error(`README.md has no bash block after '${marker}'`);
  return m[1]!;
}

/** The environment of a fresh terminal: npm's cache of this user (not the test's temp HOME), nothing of claude-coord's. */
function freshEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("CLAUDE_COORD_") && !k.startsWith("npm_")) env[k] = v;
  env.npm_config_cache = join(userInfo().homedir, ".npm");
  env.npm_config_update_notifier = "false";
  return env;
}

test("on a fresh clone, the service command starts the service and the Try-it block exits as the README says", async () => {
  const serviceCommand = blockAfter("**Run the service**").trim();
  expect(serviceCommand).toBe("npm ci && npm run serve -- --repo local/claude-coord=.");
  const busy = await fetch("http://127.0.0.1:8787/health").then(() => true, () => false);
  if (busy) throw new Error("port 8787 (the README's default) is in use by another process: stop it and run this test again");

  // A fresh clone of the project as a newcomer gets it: main is the commit under test.
  const origin = join(root, "origin.git");
  git(root, "init", "-q", "--bare", "-b", "main", origin);
  git(ROOT, "push", "-q", origin, "HEAD:refs/heads/main");
  const clone = join(root, "claude-coord");
  git(root, "clone", "-q", origin, clone);
  const env = freshEnv();
  const service = spawn("bash", ["-c", serviceCommand], { cwd: clone, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  service.stdout.on("data", (b: Buffer) => (output += b.toString()));
  service.stderr.on("data", (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((resolve) => service.on("exit", () => resolve()));
  stopService = async () => {
    try {
      process.kill(-service.pid!, "SIGTERM");
    } catch {
      return;
    }
    await Promise.race([exited, Bun.sleep(10_000)]);
  };
  const deadline = Date.now() + 240_000;
  // Its own service, not just any answer on 8787 (another test run's service may hold the port): ours made its database in the clone.
  while (!existsSync(join(clone, "claude-coord.db")) || !(await fetch("http://127.0.0.1:8787/health").then((r) => r.ok, () => false))) {
    if (service.exitCode !== null || Date.now() > deadline) throw new Error(`the service command did not start the service:\n${output}`);
    await Bun.sleep(250);
  }

  // Each command line with "# exit N" gets its exit code echoed; the other lines (exports) run as they are.
  const lines = blockAfter("## Try it").trimEnd().split("\n");
  const expected: number[] = [];
  const script = ["set +e"];
  for (const line of lines) {
    const m = /^(.*?)\s+# exit (\d+)\b/.exec(line);
    if (!m) {
      script.push(line);
      continue;
    }
    script.push(`${m[1]}; echo "quick-start-exit:${expected.length}:$?"`);
    expected.push(Number(m[2]));
  }
  expect(expected).toEqual([0, 0, 1, 0]);
  const r = Bun.spawnSync(["bash", "-c", script.join("\n")], { cwd: clone, env, stdout: "pipe", stderr: "pipe" });
  const out = r.stdout.toString();
  const got = [...out.matchAll(/^quick-start-exit:(\d+):(\d+)$/gm)].map((m) => Number(m[2]));
  expect({ got, stderr: r.stderr.toString() }).toEqual({ got: expected, stderr: expect.any(String) as unknown as string });
  expect(out).toContain("=== Coordination State: local/claude-coord (main at ");
  expect(r.stderr.toString()).toContain("ERROR: Task 'try-it' is already claimed.");
  // The conflict's ACTION names a claude-coord command: on the PATH the block set up, it runs as printed.
  const action = /ACTION REQUIRED: Run '(claude-coord [^']+)'/.exec(r.stderr.toString());
  expect(action).not.toBeNull();
  const rerun = Bun.spawnSync(["bash", "-c", `${lines.filter((l) => l.startsWith("export ")).join("\n")}\n${action![1]}`], { cwd: clone, env, stdout: "pipe", stderr: "pipe" });
  expect([rerun.exitCode, rerun.stderr.toString()]).toEqual([0, ""]);
}, 300_000);
