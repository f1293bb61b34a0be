// The target table and install.sh agree: asset, package and binary names, and platform detection (musl, Rosetta, Windows shells) under dash and bash.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assetName, binaryName, findTarget, GITHUB_REPO, hostTarget, NPM_PACKAGE, npmOs, npmPackageName, TARGETS, targetId } from "../../scripts/targets.ts";
import { tempDir } from "../helpers/e2e.ts";
import { requireCommand } from "../../scripts/system-packages.ts";

const INSTALL_SH = join(import.meta.dir, "..", "..", "scripts", "install.sh");
const SHELLS = ["dash", "bash"] as const;
let fake: string;

beforeAll(() => {
  fake = tempDir("fake-uname");
  // Stand-ins for the commands install.sh detects the platform with, driven by FAKE_* variables.
  const tools: Record<string, string> = {
    uname: 'case "$1" in -s) echo "$FAKE_S" ;; -m) echo "$FAKE_M" ;; *) echo "$FAKE_S" ;; esac',
    ldd: 'if [ "$FAKE_MUSL" = 1 ]; then echo "musl libc (x86_64)" >&2; exit 1; fi; echo "ldd (GNU libc) 2.36"',
    sysctl: 'if [ -n "$FAKE_TRANSLATED" ]; then echo "$FAKE_TRANSLATED"; else echo "sysctl: unknown oid" >&2; exit 1; fi',
  };
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(fake, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(fake, name), 0o755);
  }
});
afterAll(() => rmSync(fake, { recursive: true, force: true }));

/** Loads install.sh's functions (CLAUDE_COORD_INSTALL_LIB=1) under `shell` and runs `script`. */
function lib(shell: string, script: string, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([shell, "-c", `CLAUDE_COORD_INSTALL_LIB=1 . "${INSTALL_SH}"; ${script}`], { env: { PATH: "/usr/bin:/bin", HOME: "/nonexistent", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("the target table", () => {
  test("lists the seven release targets with their asset and npm package names", () => {
    expect(TARGETS.map((t) => [targetId(t), assetName(t), npmPackageName(t), binaryName(t), npmOs(t)])).toEqual([
      ["linux-x64", "claude-coord-linux-x64.tar.gz", "claude-coord-linux-x64", "claude-coord", "linux"],
      ["linux-arm64", "claude-coord-linux-arm64.tar.gz", "claude-coord-linux-arm64", "claude-coord", "linux"],
      ["linux-x64-musl", "claude-coord-linux-x64-musl.tar.gz", "claude-coord-linux-x64-musl", "claude-coord", "linux"],
      ["linux-arm64-musl", "claude-coord-linux-arm64-musl.tar.gz", "claude-coord-linux-arm64-musl", "claude-coord", "linux"],
      ["darwin-x64", "claude-coord-darwin-x64.tar.gz", "claude-coord-darwin-x64", "claude-coord", "darwin"],
      ["darwin-arm64", "claude-coord-darwin-arm64.tar.gz", "claude-coord-darwin-arm64", "claude-coord", "darwin"],
      ["windows-x64", "claude-coord-windows-x64.zip", "claude-coord-windows-x64", "claude-coord.exe", "win32"],
    ]);
  });

  test("x64 targets use Bun's baseline runtime (no AVX2 needed); arm64 the default", () => {
    expect(TARGETS.map((t) => t.bun)).toEqual([
      "bun-linux-x64-baseline",
      "bun-linux-arm64",
      "bun-linux-x64-musl-baseline",
      "bun-linux-arm64-musl",
      "bun-darwin-x64-baseline",
      "bun-darwin-arm64",
      "bun-windows-x64-baseline",
    ]);
  });

  test("findTarget finds by id and nothing else; hostTarget is this machine's row", () => {
    expect(findTarget("linux-arm64-musl")).toBe(TARGETS[3]!);
    expect(findTarget("linux-riscv64")).toBeUndefined();
    const h = hostTarget();
    expect([h.os === "windows" ? "win32" : h.os, h.arch]).toEqual([process.platform, process.arch]);
  });
});

describe.each(SHELLS)("install.sh under %s", (shell) => {
  beforeAll(() => requireCommand(shell));
  test("computes the same asset, npm package and binary names as the table for every target", () => {
    const script = TARGETS.map((t) => `echo "$(asset_name ${t.os} ${t.arch} ${t.libc ?? '""'}) $(npm_package_name ${t.os} ${t.arch} ${t.libc ?? '""'}) $(binary_name ${t.os})"`).join("; ");
    const r = lib(shell, script);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(TARGETS.map((t) => `${assetName(t)} ${npmPackageName(t)} ${binaryName(t)}\n`).join(""));
  });

  test("names the same GitHub repository and npm package as the table", () => {
    const r = lib(shell, 'echo "$GITHUB_REPO $NPM_PACKAGE"');
    expect(r.stdout).toBe(`${GITHUB_REPO} ${NPM_PACKAGE}\n`);
  });

  test("detects this machine as the host target", () => {
    const r = lib(shell, 'os=$(detect_os); arch=$(detect_arch "$os"); libc=$(detect_libc "$os"); target_id "$os" "$arch" "$libc"');
    expect([r.code, r.stdout]).toEqual([0, `${targetId(hostTarget())}\n`]);
  });

  test.each([
    ["Linux", "x86_64", "0", "", "linux-x64"],
    ["Linux", "amd64", "0", "", "linux-x64"],
    ["Linux", "aarch64", "0", "", "linux-arm64"],
    ["Linux", "x86_64", "1", "", "linux-x64-musl"],
    ["Linux", "aarch64", "1", "", "linux-arm64-musl"],
    ["Darwin", "x86_64", "0", "0", "darwin-x64"],
    ["Darwin", "x86_64", "0", "", "darwin-x64"],
    ["Darwin", "x86_64", "0", "1", "darwin-arm64"],
    ["Darwin", "arm64", "0", "", "darwin-arm64"],
    ["MINGW64_NT-10.0-19045", "x86_64", "0", "", "windows-x64"],
    ["MSYS_NT-10.0", "x86_64", "0", "", "windows-x64"],
    ["CYGWIN_NT-10.0", "x86_64", "0", "", "windows-x64"],
    ["FreeBSD", "amd64", "0", "", "unsupported os"],
    ["Linux", "riscv64", "0", "", "unsupported cpu"],
    ["Linux", "armv7l", "0", "", "unsupported cpu"],
  ])("uname %s %s, musl=%s, Rosetta=%p → %s", (s, m, musl, translated, expected) => {
    const r = lib(
      shell,
      'os=$(detect_os) || { echo "unsupported os"; exit 0; }; arch=$(detect_arch "$os") || { echo "unsupported cpu"; exit 0; }; libc=$(detect_libc "$os"); echo "$(target_id "$os" "$arch" "$libc") $(asset_name "$os" "$arch" "$libc")"',
      { PATH: `${fake}:/usr/bin:/bin`, FAKE_S: s, FAKE_M: m, FAKE_MUSL: musl, FAKE_TRANSLATED: translated },
    );
    const t = findTarget(expected);
    expect([r.code, r.stdout]).toEqual([0, t ? `${expected} ${assetName(t)}\n` : `${expected}\n`]);
  });

  test("on an unsupported system the installer exits 1 before downloading anything", () => {
    const r = Bun.spawnSync([shell, INSTALL_SH, "--base-url", "http://127.0.0.1:9/releases"], {
      env: { PATH: `${fake}:/usr/bin:/bin`, HOME: "/nonexistent", FAKE_S: "SunOS", FAKE_M: "sun4v" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect([r.exitCode, r.stdout.toString(), r.stderr.toString()]).toEqual([
      1,
      "",
      "ERROR: Unsupported operating system 'SunOS'.\n\nACTION REQUIRED: claude-coord is released for Linux, macOS and Windows; on others run 'npx claude-coord'.\n",
    ]);
  });

  test("without HOME and --bin-dir it exits 1 naming the flag", () => {
    const r = Bun.spawnSync([shell, INSTALL_SH], { env: { PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
    expect([r.exitCode, r.stderr.toString()]).toEqual([1, "ERROR: HOME is not set, so the default bin dir ~/.local/bin is unknown.\n\nACTION REQUIRED: Pass --bin-dir DIR.\n"]);
  });

  test("json_field reads the manifest fields it needs and base64_hex decodes an integrity", () => {
    const dir = tempDir("manifest");
    const file = join(dir, "m.json");
    writeFileSync(file, JSON.stringify({ name: "x", version: "1.2.3", description: "a, b {c}", _npmVersion: "11.0.0", dist: { integrity: "sha512-AAEC", tarball: "http://h/x/-/x-1.2.3.tgz" } }, null, 2));
    const r = lib(shell, `json_field version "${file}"; json_field tarball "${file}"; json_field integrity "${file}"; base64_hex AAEC`);
    expect(r.stdout).toBe("1.2.3\nhttp://h/x/-/x-1.2.3.tgz\nsha512-AAEC\n000102");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("the hook template", () => {
  test("installs from the same repository's install.sh", () => {
    const hook = readFileSync(join(import.meta.dir, "..", "..", "templates", "session-start-hook.sh"), "utf8");
    const urls = hook.match(/https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/main\/scripts\/install\.sh/g) ?? [];
    expect(urls.length).toBe(2);
    for (const u of urls) expect(u).toBe(`https://raw.githubusercontent.com/${GITHUB_REPO}/main/scripts/install.sh`);
  });
});
