// The npm package manifests and the Node launcher: platform fields, optional dependencies, and arguments, stdin, exit codes and signals passed through.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LAUNCHER, mainManifest, platformManifest, writeNpmPackages } from "../../scripts/npm-packages.ts";
import { findTarget, GITHUB_REPO, TARGETS } from "../../scripts/targets.ts";
import { tempDir } from "../helpers/e2e.ts";

let dir: string;
beforeAll(() => {
  dir = tempDir("npm-packages");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const repository = { type: "git", url: `git+https://github.com/${GITHUB_REPO}.git` };

describe("manifests", () => {
  test("a platform package can only be installed where os, cpu and (on Linux) libc match", () => {
    const pick = (id: string) => {
      const m = platformManifest(findTarget(id)!, "1.2.3");
      return [m.name, m.os, m.cpu, m.libc];
    };
    expect(pick("linux-x64")).toEqual(["claude-coord-linux-x64", ["linux"], ["x64"], ["glibc"]]);
    expect(pick("linux-arm64-musl")).toEqual(["claude-coord-linux-arm64-musl", ["linux"], ["arm64"], ["musl"]]);
    expect(pick("darwin-arm64")).toEqual(["claude-coord-darwin-arm64", ["darwin"], ["arm64"], undefined]);
    expect(pick("windows-x64")).toEqual(["claude-coord-windows-x64", ["win32"], ["x64"], undefined]);
    const m = platformManifest(findTarget("linux-x64")!, "1.2.3");
    expect([m.version, m.repository, m.files, m.preferUnplugged]).toEqual(["1.2.3", repository, ["bin/"], true]);
  });

  test("the main package runs the launcher and depends optionally on every platform package at its own version", () => {
    const m = mainManifest("1.2.3");
    expect(m.name).toBe("claude-coord");
    expect(m.bin).toEqual({ "claude-coord": "bin/claude-coord.js" });
    expect(m.optionalDependencies).toEqual({
      "claude-coord-linux-x64": "1.2.3",
      "claude-coord-linux-arm64": "1.2.3",
      "claude-coord-linux-x64-musl": "1.2.3",
      "claude-coord-linux-arm64-musl": "1.2.3",
      "claude-coord-darwin-x64": "1.2.3",
      "claude-coord-darwin-arm64": "1.2.3",
      "claude-coord-windows-x64": "1.2.3",
    });
    expect([m.repository, m.engines, m.files]).toEqual([repository, { node: ">=18" }, ["bin/"]]);
  });
});

describe("writeNpmPackages", () => {
  test("writes the given platform packages with their binary (mode 0755) and the main package with the launcher", () => {
    const fake = join(dir, "fake-bin");
    writeFileSync(fake, "binary");
    const out = join(dir, "npm");
    const dirs = writeNpmPackages({ version: "1.2.3", out_dir: out, binaries: new Map([["windows-x64", fake], ["darwin-arm64", fake]]) });
    expect(dirs).toEqual([join(out, "claude-coord-darwin-arm64"), join(out, "claude-coord-windows-x64"), join(out, "claude-coord")]);
    expect(readdirSync(join(out, "claude-coord-windows-x64", "bin"))).toEqual(["claude-coord.exe"]);
    expect(readdirSync(join(out, "claude-coord-darwin-arm64", "bin"))).toEqual(["claude-coord"]);
    expect(statSync(join(out, "claude-coord-darwin-arm64", "bin", "claude-coord")).mode & 0o777).toBe(0o755);
    expect(JSON.parse(readFileSync(join(out, "claude-coord-windows-x64", "package.json"), "utf8"))).toEqual(platformManifest(findTarget("windows-x64")!, "1.2.3"));
    expect(JSON.parse(readFileSync(join(out, "claude-coord", "package.json"), "utf8"))).toEqual(mainManifest("1.2.3"));
    expect(readFileSync(join(out, "claude-coord", "bin", "claude-coord.js"), "utf8")).toBe(readFileSync(LAUNCHER, "utf8"));
    expect(statSync(join(out, "claude-coord", "bin", "claude-coord.js")).mode & 0o777).toBe(0o755);
    expect(readdirSync(out).sort()).toEqual(["claude-coord", "claude-coord-darwin-arm64", "claude-coord-windows-x64"]);
  });
});

/** A node_modules with the launcher and the given platform packages, each holding `body` as its binary. */
function layout(name: string, packages: string[], body: string): string {
  const root = join(dir, name);
  const main = join(root, "node_modules", "claude-coord", "bin");
  mkdirSync(main, { recursive: true });
  writeFileSync(join(main, "claude-coord.js"), readFileSync(LAUNCHER));
  for (const p of packages) {
    const bin = join(root, "node_modules", p, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(root, "node_modules", p, "package.json"), JSON.stringify({ name: p, version: "1.2.3" }));
    writeFileSync(join(bin, "claude-coord"), `#!/bin/sh\n${body.replace("$PKG", p)}\n`);
    chmodSync(join(bin, "claude-coord"), 0o755);
  }
  return join(main, "claude-coord.js");
}

describe.skipIf(process.platform !== "linux")("the launcher on Linux", () => {
  const native = `claude-coord-linux-${process.arch}`;

  test("passes arguments and stdin to the binary and exits with its code", () => {
    const launcher = layout("args", [native], 'printf "%s|" "$@"; cat; exit 7');
    const r = Bun.spawnSync(["node", launcher, "hook", "session-start", "--repo", "a b"], { stdin: new TextEncoder().encode('{"session_id":"x"}'), stdout: "pipe", stderr: "pipe" });
    expect([r.exitCode, r.stdout.toString(), r.stderr.toString()]).toEqual([7, 'hook|session-start|--repo|a b|{"session_id":"x"}', ""]);
  });

  test("a binary killed by a signal ends the launcher with that signal", () => {
    const launcher = layout("signal", [native], "kill -TERM $$");
    const r = Bun.spawnSync(["node", launcher], { stdout: "pipe", stderr: "pipe" });
    expect([r.exitCode as number | null, r.signalCode]).toEqual([null, "SIGTERM"]);
  });

  test("prefers this libc's package and falls back to the other libc's", () => {
    const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined;
    const [mine, other] = glibc ? [native, `${native}-musl`] : [`${native}-musl`, native];
    const both = layout("both", [native, `${native}-musl`], 'echo "$PKG"');
    expect(Bun.spawnSync(["node", both]).stdout.toString()).toBe(`${mine}\n`);
    const otherOnly = layout("other-only", [other], 'echo "$PKG"');
    expect(Bun.spawnSync(["node", otherOnly]).stdout.toString()).toBe(`${other}\n`);
  });

  test("a platform package whose binary is missing is exit 78 with the path", () => {
    const launcher = layout("broken", [native], "");
    rmSync(join(dir, "broken", "node_modules", native, "bin", "claude-coord"));
    const r = Bun.spawnSync(["node", launcher], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(78);
    expect(r.stderr.toString()).toBe(`ERROR: cannot run ${join(dir, "broken", "node_modules", native, "bin", "claude-coord")}: spawnSync ${join(dir, "broken", "node_modules", native, "bin", "claude-coord")} ENOENT\n`);
  });
});

test("TARGETS and the launcher agree on package names (the launcher builds claude-coord-<os>-<arch>[-musl])", () => {
  const src = readFileSync(LAUNCHER, "utf8");
  expect(src).toContain("const base = `claude-coord-${os}-${process.arch}`;");
  expect(src).toContain('const os = process.platform === "win32" ? "windows" : process.platform;');
  for (const t of TARGETS) expect(["linux", "darwin", "windows"]).toContain(t.os);
});
