// scripts/build.ts: versions, target selection, the release layout (archives, SHA256SUMS, VERSION, npm packages) and the smoke run, on the host binary only.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildRelease, compile, releaseVersion, selectTargets, sha256 } from "../../scripts/build.ts";
import { smokeTest } from "../../scripts/smoke.ts";
import { findTarget, hostTarget, TARGETS } from "../../scripts/targets.ts";
import { binary, tempDir } from "../helpers/e2e.ts";

setDefaultTimeout(30_000);
let dir: string;
beforeAll(() => {
  dir = tempDir("build");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe("releaseVersion", () => {
  test.each([
    ["1.2.3", "1.2.3"],
    ["v1.2.3", "1.2.3"],
    ["0.1.0-rc.1", "0.1.0-rc.1"],
    ["1.0.0+build.5", "1.0.0+build.5"],
  ])("%s is release version %s", (text, v) => {
    expect(releaseVersion(text)).toBe(v);
  });

  test.each(["1.2", "latest", "1.2.3 ", "v", "1.2.3-"])("%p is refused", (text) => {
    expect(() => releaseVersion(text)).toThrow(`'${text}' is not a semver version (such as 1.2.3 or 1.2.3-rc.1).`);
  });
});

describe("selectTargets", () => {
  test("no --targets means every target; 'host' is this machine; ids in either flag form", () => {
    expect(selectTargets(["--all"])).toEqual([...TARGETS]);
    expect(selectTargets(["--targets", "host"])).toEqual([hostTarget()]);
    expect(selectTargets(["--targets=linux-arm64-musl,windows-x64"])).toEqual([findTarget("linux-arm64-musl")!, findTarget("windows-x64")!]);
  });

  test("an unknown target id is refused with the list of ids", () => {
    expect(() => selectTargets(["--targets", "linux-x64,solaris-sparc"])).toThrow(
      "unknown target 'solaris-sparc'; the targets are linux-x64, linux-arm64, linux-x64-musl, linux-arm64-musl, darwin-x64, darwin-arm64, windows-x64, host",
    );
  });
});

describe("buildRelease", () => {
  test("writes each archive, SHA256SUMS that sha256sum -c accepts, VERSION, and npm packages (platforms first, main last)", async () => {
    const fakeLinux = script("fake-linux", "echo linux");
    const fakeWin = script("fake-win", "echo windows");
    const out = join(dir, "release");
    const r = await buildRelease({
      version: "v2.0.0",
      targets: [findTarget("windows-x64")!, findTarget("linux-arm64")!],
      out_dir: out,
      prebuilt: new Map([
        ["linux-arm64", fakeLinux],
        ["windows-x64", fakeWin],
      ]),
      level: 1,
    });
    expect(r.version).toBe("2.0.0");
    expect(r.assets.map((a) => a.name)).toEqual(["claude-coord-windows-x64.zip", "claude-coord-linux-arm64.tar.gz"]);
    for (const a of r.assets) {
      const data = new Uint8Array(readFileSync(a.path));
      expect([a.bytes, a.sha256]).toEqual([data.length, sha256(data)]);
    }
    expect(readFileSync(r.sums, "utf8")).toBe(`${r.assets[1]!.sha256}  claude-coord-linux-arm64.tar.gz\n${r.assets[0]!.sha256}  claude-coord-windows-x64.zip\n`);
    const check = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: out, stdout: "pipe" });
    expect([check.exitCode, check.stdout.toString()]).toEqual([0, "claude-coord-linux-arm64.tar.gz: OK\nclaude-coord-windows-x64.zip: OK\n"]);
    expect(readFileSync(join(out, "VERSION"), "utf8")).toBe("2.0.0\n");
    expect(r.npm_dirs).toEqual([join(out, "npm", "claude-coord-linux-arm64"), join(out, "npm", "claude-coord-windows-x64"), join(out, "npm", "claude-coord")]);
    expect(readdirSync(out).sort()).toEqual(["SHA256SUMS", "VERSION", "claude-coord-linux-arm64.tar.gz", "claude-coord-windows-x64.zip", "npm"]);
    const tar = Bun.spawnSync(["tar", "-xzOf", join(out, "claude-coord-linux-arm64.tar.gz"), "claude-coord"], { stdout: "pipe" });
    expect(tar.stdout.toString()).toBe(readFileSync(fakeLinux, "utf8"));
  });

  test("a version that is not semver is refused before anything is written", async () => {
    const out = join(dir, "never");
    await expect(buildRelease({ version: "next", targets: [hostTarget()], out_dir: out })).rejects.toThrow("'next' is not a semver version (such as 1.2.3 or 1.2.3-rc.1).");
    expect(readdirSync(dir)).not.toContain("never");
  });

  test("a failing compile throws with the compiler's output", async () => {
    await expect(compile({ os: "linux", arch: "x64", bun: "bun-plan9-x64" }, "1.0.0", join(dir, "nope"))).rejects.toThrow(/^bun build failed \(exit 1\):/);
  });
});

describe("smokeTest", () => {
  test("the host binary prints its version and claims a task against a throwaway service", async () => {
    const bin = await binary();
    const version = Bun.spawnSync([bin, "--version"]).stdout.toString().trim();
    await smokeTest(bin, version);
  });

  test("a binary reporting another version fails the smoke run", async () => {
    const bin = await binary();
    await expect(smokeTest(bin, "99.0.0")).rejects.toThrow(/^smoke: '.+ --version' gave exit 0, '.+'; expected '99\.0\.0'\./);
  });

  test("a service that exits, one that never listens, and a failing claim each fail it, naming the step", async () => {
    const bin = await binary();
    const version = Bun.spawnSync([bin, "--version"]).stdout.toString().trim();
    const exits = script("exits", `[ "$1" = --version ] && { echo ${version}; exit 0; }; echo "no serve here" >&2; exit 3`);
    await expect(smokeTest(exits, version)).rejects.toThrow("smoke: serve exited with 3:\nno serve here\n");
    const silent = script("silent", `[ "$1" = --version ] && { echo ${version}; exit 0; }; exec sleep 30`);
    await expect(smokeTest(silent, version, 300)).rejects.toThrow("smoke: serve did not listen within 300 ms:\n");
    const noClaim = script("no-claim", `[ "$1" = claim ] && { echo '{"status":"nope"}'; exit 1; }; exec "${bin}" "$@"`);
    await expect(smokeTest(noClaim, version)).rejects.toThrow('smoke: claim gave exit 1:\n{"status":"nope"}\n');
  });
});
