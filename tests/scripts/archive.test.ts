// The archive writers, checked with the system's tar and unzip: contents, modes, reproducibility.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tarGz, zip } from "../../scripts/archive.ts";
import { archiveBinary } from "../../scripts/build.ts";
import { findTarget } from "../../scripts/targets.ts";
import { tempDir } from "../helpers/e2e.ts";
import { requireCommand } from "../../scripts/system-packages.ts";

let dir: string;
beforeAll(() => {
  dir = tempDir("archive");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const enc = new TextEncoder();
const exe = new Uint8Array(1500).map((_, i) => (i * 7) % 251);
const entries = [
  { name: "claude-coord", data: exe, mode: 0o755 },
  { name: "docs/README.md", data: enc.encode("hello\n"), mode: 0o644 },
  { name: "empty", data: new Uint8Array(0), mode: 0o600 },
];

function sh(cmd: string[], cwd: string): string {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

describe("tarGz", () => {
  test("the system tar lists and extracts every entry with its mode, root owner and epoch time", () => {
    const file = join(dir, "a.tar.gz");
    writeFileSync(file, tarGz(entries));
    expect(sh(["tar", "-tvzf", file], dir).trim().split("\n").map((l) => l.replace(/\s+/g, " "))).toEqual([
      "-rwxr-xr-x root/root 1500 1970-01-01 00:00 claude-coord",
      "-rw-r--r-- root/root 6 1970-01-01 00:00 docs/README.md",
      "-rw------- root/root 0 1970-01-01 00:00 empty",
    ]);
    const out = join(dir, "tar-out");
    mkdirSync(out);
    sh(["tar", "-xzf", file, "-C", out], dir);
    expect(new Uint8Array(readFileSync(join(out, "claude-coord")))).toEqual(exe);
    expect(readFileSync(join(out, "docs", "README.md"), "utf8")).toBe("hello\n");
    expect(statSync(join(out, "empty")).size).toBe(0);
    expect(statSync(join(out, "claude-coord")).mode & 0o777).toBe(0o755);
  });

  test("the same entries give the same bytes (reproducible releases), at any level", () => {
    expect(tarGz(entries)).toEqual(tarGz(entries));
    expect(tarGz(entries, 1)).toEqual(tarGz(entries, 1));
  });

  test("a name over ustar's 100 bytes is refused", () => {
    expect(() => tarGz([{ name: "x".repeat(101), data: exe, mode: 0o644 }])).toThrow(`archive entry name over 100 bytes: ${"x".repeat(101)}`);
  });
});

describe("zip", () => {
  test("unzip extracts every entry; zipinfo shows Unix modes", () => {
    requireCommand("unzip");
    requireCommand("zipinfo");
    const file = join(dir, "a.zip");
    writeFileSync(file, zip(entries));
    const info = sh(["zipinfo", file], dir).split("\n").filter((l) => /^-/.test(l)).map((l) => l.split(/\s+/));
    expect(info.map((f) => [f[0], f[2], f[3], f[8]])).toEqual([
      ["-rwxr-xr-x", "unx", "1500", "claude-coord"],
      ["-rw-r--r--", "unx", "6", "docs/README.md"],
      ["-rw-------", "unx", "0", "empty"],
    ]);
    const out = join(dir, "zip-out");
    sh(["unzip", "-q", file, "-d", out], dir);
    expect(new Uint8Array(readFileSync(join(out, "claude-coord")))).toEqual(exe);
    expect(readFileSync(join(out, "docs", "README.md"), "utf8")).toBe("hello\n");
    expect(statSync(join(out, "claude-coord")).mode & 0o777).toBe(0o755);
    expect(sh(["unzip", "-tq", file], dir)).toBe(`No errors detected in compressed data of ${file}.\n`);
  });

  test("the same entries give the same bytes", () => {
    expect(zip(entries)).toEqual(zip(entries));
  });
});

describe("archiveBinary", () => {
  test("puts claude-coord at the top of a tarball, and claude-coord.exe in a zip for Windows", () => {
    const linux = join(dir, "l.tar.gz");
    writeFileSync(linux, archiveBinary(findTarget("linux-arm64")!, exe, 1));
    expect(sh(["tar", "-tzf", linux], dir)).toBe("claude-coord\n");
    const win = join(dir, "w.zip");
    writeFileSync(win, archiveBinary(findTarget("windows-x64")!, exe, 1));
    expect(sh(["unzip", "-Z1", win], dir)).toBe("claude-coord.exe\n");
  });
});
