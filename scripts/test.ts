// `npm test`: installs the Debian packages the tests need (as root, when missing), typechecks, builds the binary, runs every test, and ends with `tests: N passed, N failed`.
import { join } from "node:path";
import { missingPackages } from "./system-packages.ts";

const ROOT = join(import.meta.dir, "..");
process.chdir(ROOT);
const bun = process.execPath;

/** Runs a command with the terminal's stdio; returns its exit code. */
async function run(cmd: string[]): Promise<number> {
  return await Bun.spawn(cmd, { stdio: ["inherit", "inherit", "inherit"] }).exited;
}

function finish(passed: number, failed: number, code: number): never {
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exit(code);
}

const missing = [...new Set(missingPackages().map((p) => p.package))];
if (missing.length > 0) {
  const root = process.getuid?.() === 0;
  const apt = Bun.which("apt-get") !== null;
  if (root && apt && process.env.CLAUDE_COORD_TEST_NO_APT !== "1") {
    console.log(`installing Debian packages the tests need: ${missing.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const update = await Bun.spawn(["apt-get", "update", "-qq"], { stdio: ["ignore", "inherit", "inherit"], env }).exited;
    const install = update === 0 ? await Bun.spawn(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: ["ignore", "inherit", "inherit"], env }).exited : update;
    if (install !== 0) console.warn(`warning: could not install ${missing.join(" ")}; the tests that need them will say so`);
  } else {
    console.warn(`warning: missing Debian packages: ${missing.join(" ")} (apt-get install -y ${missing.join(" ")}); the tests that need them will fail naming the package`);
  }
}

if ((await run([join(ROOT, "node_modules", ".bin", "tsc"), "--noEmit", "-p", "."])) !== 0) {
  console.log("typecheck failed");
  finish(0, 1, 1);
}
if ((await run([bun, "scripts/build.ts"])) !== 0) {
  console.log("build failed");
  finish(0, 1, 1);
}

// bun test prints its summary (` N pass`, ` N fail`) on stderr: tee both streams and read the counts.
// Tests are not timed (speed is checked by scripts/bench*.ts): 60 s per test keeps the process-heavy e2e tests from
// failing on a loaded machine. Given here because Bun 1.4 applies neither bunfig's [test] timeout nor a preload's
// setDefaultTimeout to every file of a run.
const proc = Bun.spawn([bun, "test", "--timeout", "60000", ...process.argv.slice(2)], { stdio: ["inherit", "pipe", "pipe"] });
let passed = 0;
let failed = 0;
async function tee(stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    out.write(chunk);
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^\s*(\d+) (pass|fail)$/.exec(line);
      if (m?.[2] === "pass") passed = Number(m[1]);
      if (m?.[2] === "fail") failed = Number(m[1]);
    }
  }
}
await Promise.all([tee(proc.stdout, process.stdout), tee(proc.stderr, process.stderr)]);
const code = await proc.exited;
finish(passed, code !== 0 && failed === 0 ? 1 : failed, code === 0 ? 0 : 1);
