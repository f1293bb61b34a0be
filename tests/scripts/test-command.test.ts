// `npm test` (scripts/test.ts): typecheck, build, tests, the closing line — and a type error fails it before any test runs.
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const copy = mkdtempSync(join(tmpdir(), "coord-test-command-"));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

/** A copy of the checkout's tracked files (as they are in the working tree), sharing node_modules. */
function copyCheckout(): void {
  const files = Bun.spawnSync(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT }).stdout.toString().split("\0").filter(Boolean);
  for (const f of files) {
    if (f === "node_modules") continue;
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    try {
      cpSync(join(ROOT, f), join(copy, f));
    } catch {
      // a file deleted in the working tree but still in the index
    }
  }
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
}
copyCheckout();

/** Runs `npm test` in the copy: its exit code, stdout (where the closing line goes) and both streams together. */
function npmTest(args: string[]): { code: number; stdout: string; out: string } {
  const r = Bun.spawnSync(["npm", "test", "--silent", "--", ...args], {
    cwd: copy,
    env: { ...process.env, CLAUDE_COORD_TEST_NO_APT: "1", PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), out: r.stdout.toString() + r.stderr.toString() };
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

describe("npm test", () => {
  test("typechecks, builds and runs the tests, ending with the closing line", () => {
    const r = npmTest(["tests/core/time-token.test.ts"]);
    expect(r.code).toBe(0);
    expect(lastLine(r.stdout)).toMatch(/^tests: [1-9]\d* passed, 0 failed$/);
  }, 120_000);

  test("a deliberate type error fails it before any test runs, with the closing line", () => {
    writeFileSync(join(copy, "src", "deliberate-type-error.ts"), 'export const n: number = "not a number";\n');
    const r = npmTest(["tests/core/time-token.test.ts"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("deliberate-type-error.ts");
    expect(r.out).toContain("typecheck failed");
    expect(r.out).not.toContain("pass\n");
    expect(lastLine(r.stdout)).toBe("tests: 0 passed, 1 failed");
  }, 120_000);
});
