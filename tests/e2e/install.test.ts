// install.sh end to end under dash and bash: built archives served on 127.0.0.1, checksums, pinned and latest versions, the npm fallback behind a 403.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { assetName, hostTarget, npmPackageName, targetId } from "../../scripts/targets.ts";
import { tempDir } from "../helpers/e2e.ts";
import { FIXTURE_TIMEOUT_MS, type HostReleases, hostReleases } from "../scripts/fixtures.ts";
import { type ReleaseServer, startReleaseServer } from "../scripts/release-server.ts";
import { requireCommand } from "../../scripts/system-packages.ts";

const INSTALL_SH = join(import.meta.dir, "..", "..", "scripts", "install.sh");
const SHELLS = ["dash", "bash"] as const;
type Shell = (typeof SHELLS)[number];
const host = hostTarget();
const ASSET = assetName(host);
const PKG = npmPackageName(host);
const ID = targetId(host);
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";
setDefaultTimeout(60_000);

let root: string;
let fx: HostReleases;
let server: ReleaseServer;
let V: string;
let OLD: string;

beforeAll(async () => {
  root = tempDir("install");
  fx = await hostReleases();
  V = fx.version;
  OLD = fx.old_version;
  server = startReleaseServer({
    releases: [
      { version: OLD, dir: fx.old.out_dir },
      { version: V, dir: fx.latest.out_dir },
    ],
    latest: V,
    packages: fx.packages,
  });
}, FIXTURE_TIMEOUT_MS);
afterAll(() => {
  server?.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The bin dir the run installs into (--bin-dir, else CLAUDE_COORD_INSTALL_DIR, else ~/.local/bin); the test does not create it. */
  bin: string;
  home: string;
}

let n = 0;
/** Runs install.sh under `shell` with its own HOME and TMPDIR; asserts TMPDIR is left empty (the script cleans up on every exit). */
async function install(shell: Shell, args: string[], opts: { env?: Record<string, string>; home?: string; path?: string } = {}): Promise<Run> {
  const dir = join(root, `${shell}-${++n}`);
  const home = opts.home ?? join(dir, "home");
  const tmp = join(dir, "tmp");
  mkdirSync(home, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  const flag = args.indexOf("--bin-dir");
  const bin = flag >= 0 ? args[flag + 1]! : (opts.env?.CLAUDE_COORD_INSTALL_DIR ?? join(home, ".local", "bin"));
  const proc = Bun.spawn([shell, INSTALL_SH, ...args], {
    env: { PATH: opts.path ?? SYSTEM_PATH, HOME: home, TMPDIR: tmp, ...opts.env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(readdirSync(tmp)).toEqual([]);
  return { code, stdout, stderr, bin, home };
}

/** Both shells, concurrently (the machine has two cores). */
function both(run: (shell: Shell) => Promise<void>): Promise<void[]> {
  return Promise.all(SHELLS.map(run));
}

function versionOf(file: string): string {
  return Bun.spawnSync([file, "--version"]).stdout.toString().trim();
}

const pathHint = (bin: string) => `\n${bin} is not on your PATH. Add it (and put the same line in ~/.profile, ~/.bashrc or ~/.zshrc):\n  export PATH="${bin}:$PATH"\n`;

describe("install.sh from the GitHub release", () => {
  beforeAll(() => {
    for (const c of ["dash", "curl", "wget"]) requireCommand(c);
  });
  test("installs the latest release into --bin-dir: checksum verified, the binary runs, and it says how to add the dir to PATH", async () => {
    await both(async (shell) => {
      const bin = join(root, `${shell}-latest-bin`);
      const r = await install(shell, ["--base-url", server.releases, "--npm-registry", server.registry, "--bin-dir", bin]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(
        `Downloading ${ASSET} (claude-coord ${V}) from ${server.releases}/download/v${V} ...\nInstalled claude-coord ${V} (${ID}, from the GitHub release v${V}) at ${bin}/claude-coord\n${pathHint(bin)}`,
      );
      expect(r.code).toBe(0);
      expect(versionOf(join(bin, "claude-coord"))).toBe(V);
      expect(statSync(join(bin, "claude-coord")).mode & 0o777).toBe(0o755);
      expect(readdirSync(bin)).toEqual(["claude-coord"]);
    });
  });

  test("a second run with that version installed is a no-op: one line, the file untouched", async () => {
    await both(async (shell) => {
      const bin = join(root, `${shell}-latest-bin`);
      const before = statSync(join(bin, "claude-coord"));
      const r = await install(shell, ["--base-url", server.releases, "--bin-dir", bin], { path: `${bin}:${SYSTEM_PATH}` });
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `claude-coord ${V} is already installed at ${bin}/claude-coord; nothing to do.\n`, ""]);
      const after = statSync(join(bin, "claude-coord"));
      expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    });
  });

  test("a pinned version from the environment goes to the default ~/.local/bin; installing latest afterwards upgrades it", async () => {
    await both(async (shell) => {
      const dir = join(root, `${shell}-pinned`);
      const home = join(dir, "home");
      const bin = join(home, ".local", "bin");
      const env = { CLAUDE_COORD_RELEASE_URL: server.releases, CLAUDE_COORD_NPM_REGISTRY: server.registry };
      const pinned = await install(shell, [], { home, env: { ...env, CLAUDE_COORD_INSTALL_VERSION: `v${OLD}` } });
      expect(pinned.stdout).toBe(
        `Downloading ${ASSET} (claude-coord ${OLD}) from ${server.releases}/download/v${OLD} ...\nInstalled claude-coord ${OLD} (${ID}, from the GitHub release v${OLD}) at ${bin}/claude-coord\n${pathHint(bin)}`,
      );
      expect([pinned.code, pinned.stderr]).toEqual([0, ""]);
      expect(versionOf(join(bin, "claude-coord"))).toBe(OLD);
      const again = await install(shell, ["--version", OLD], { home, env, path: `${bin}:${SYSTEM_PATH}` });
      expect([again.code, again.stdout]).toEqual([0, `claude-coord ${OLD} is already installed at ${bin}/claude-coord; nothing to do.\n`]);
      const latest = await install(shell, ["--version", "latest"], { home, env, path: `${bin}:${SYSTEM_PATH}` });
      expect([latest.code, latest.stderr]).toEqual([0, ""]);
      expect(latest.stdout).toBe(`Downloading ${ASSET} (claude-coord ${V}) from ${server.releases}/download/v${V} ...\nInstalled claude-coord ${V} (${ID}, from the GitHub release v${V}) at ${bin}/claude-coord\n`);
      expect(versionOf(join(bin, "claude-coord"))).toBe(V);
    });
  });

  test("a wrong checksum is refused with exit 2, nothing is installed, and npm is not tried", async () => {
    const before = server.requests.length;
    const good = fx.latest.assets[0]!.sha256;
    const bad = (good[0] === "0" ? "1" : "0") + good.slice(1);
    await both(async (shell) => {
      const r = await install(shell, ["--base-url", server.badsum, "--npm-registry", server.registry]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe(`Downloading ${ASSET} (claude-coord ${V}) from ${server.badsum}/download/v${V} ...\n`);
      expect(r.stderr).toBe(
        `ERROR: Checksum mismatch for ${ASSET}: SHA256SUMS says ${bad}, the download is ${good}. Nothing was installed.\n\nACTION REQUIRED: Run the installer again; if it still fails, the download was tampered with or corrupted: report it.\n`,
      );
      expect(existsSync(r.bin)).toBe(false);
      expect(existsSync(join(r.home, ".local"))).toBe(false);
    });
    expect(server.requests.slice(before).filter((p) => p.startsWith("/npm"))).toEqual([]);
  });

  test("a pinned version the release and the registry lack fails with exit 1 and names both places", async () => {
    await both(async (shell) => {
      const r = await install(shell, ["--base-url", server.releases, "--npm-registry", server.registry, "--version", "9.9.9"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(
        `Downloading ${ASSET} (claude-coord 9.9.9) from ${server.releases}/download/v9.9.9 ...\nCannot download ${server.releases}/download/v9.9.9/SHA256SUMS (blocked or missing); trying the npm registry.\nLooking up ${PKG}@9.9.9 on ${server.registry} ...\n`,
      );
      expect(r.stderr).toBe(
        `ERROR: Cannot download claude-coord: neither the release (${server.releases}) nor the npm registry (${server.registry}/${PKG}/9.9.9) answered.\n\nACTION REQUIRED: Check the network (a sandbox may need github.com or registry.npmjs.org on its allowlist), or run 'npx claude-coord@9.9.9 --version'.\n`,
      );
      expect(existsSync(r.bin)).toBe(false);
    });
  });

  test("--source github does not fall back: a 403 is exit 1", async () => {
    await both(async (shell) => {
      const r = await install(shell, ["--base-url", server.forbidden, "--npm-registry", server.registry, "--source", "github"]);
      expect([r.code, r.stdout]).toEqual([1, ""]);
      expect(r.stderr).toBe(`ERROR: Cannot download claude-coord from ${server.forbidden}.\n\nACTION REQUIRED: Check the network, or run the installer with --source npm.\n`);
      expect(existsSync(r.bin)).toBe(false);
    });
  });
});

describe("install.sh falls back to the npm registry", () => {
  test("when the release server answers 403, the latest platform package is installed from the registry, its sha512 checked", async () => {
    await both(async (shell) => {
      const bin = join(root, `${shell}-npm-bin`);
      const r = await install(shell, ["--base-url", server.forbidden, "--npm-registry", server.registry, "--bin-dir", bin], { path: `${bin}:${SYSTEM_PATH}` });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(
        [
          `Cannot download ${server.forbidden}/latest/download/VERSION (blocked or missing); trying the npm registry.`,
          `Looking up ${PKG}@latest on ${server.registry} ...`,
          `Downloading ${PKG}@${V} from ${server.registry}/${PKG}/-/${PKG}-${V}.tgz ...`,
          `Installed claude-coord ${V} (${ID}, from the npm package ${PKG}@${V}) at ${bin}/claude-coord`,
          "",
        ].join("\n"),
      );
      expect(r.code).toBe(0);
      expect(versionOf(join(bin, "claude-coord"))).toBe(V);
    });
  });

  test("a pinned version behind a 403 comes from the registry too; --source npm skips the release", async () => {
    await both(async (shell) => {
      const r = await install(shell, ["--base-url", server.forbidden, "--npm-registry", server.registry, "--version", V]);
      expect(r.stdout.split("\n").slice(0, 2)).toEqual([`Downloading ${ASSET} (claude-coord ${V}) from ${server.forbidden}/download/v${V} ...`, `Cannot download ${server.forbidden}/download/v${V}/SHA256SUMS (blocked or missing); trying the npm registry.`]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(versionOf(join(r.bin, "claude-coord"))).toBe(V);
    });
    const before = server.requests.length;
    const direct = await install("dash", ["--source", "npm", "--base-url", server.releases, "--npm-registry", server.registry]);
    expect([direct.code, direct.stdout.split("\n")[0]]).toEqual([0, `Looking up ${PKG}@latest on ${server.registry} ...`]);
    expect(server.requests.slice(before).filter((p) => p.includes("/releases/"))).toEqual([]);
  });

  test("a tarball that does not match the registry's integrity is refused with exit 2 and nothing is installed", async () => {
    await both(async (shell) => {
      const r = await install(shell, ["--base-url", server.forbidden, "--npm-registry", server.registry_badint]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^ERROR: Integrity mismatch for ${PKG}@${V.replace(/\./g, "\\.")}: the registry says sha512 [0-9a-f]{128}, the download is [0-9a-f]{128}\\. Nothing was installed\\.\n\nACTION REQUIRED: Run the installer again; if it still fails, report it\\.\n$`));
      expect(existsSync(r.bin)).toBe(false);
    });
  });

  test("with both the release and the registry refusing, exit 1 says where it tried", async () => {
    await both(async (shell) => {
      const r = await install(shell, ["--base-url", server.forbidden, "--npm-registry", `${server.url}/nothing-here`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `ERROR: Cannot download claude-coord: neither the release (${server.forbidden}) nor the npm registry (${server.url}/nothing-here/${PKG}/latest) answered.\n\nACTION REQUIRED: Check the network (a sandbox may need github.com or registry.npmjs.org on its allowlist), or run 'npx claude-coord@latest --version'.\n`,
      );
    });
  });
});

describe("install.sh without curl", () => {
  test("downloads with wget: a 403 from the release still falls back to the registry and installs", async () => {
    // A PATH with every system tool except curl.
    const noCurl = join(root, "no-curl-bin");
    mkdirSync(noCurl);
    for (const d of ["/usr/bin", "/bin"]) {
      for (const f of readdirSync(d)) {
        if (f === "curl" || existsSync(join(noCurl, f))) continue;
        symlinkSync(join(d, f), join(noCurl, f));
      }
    }
    expect(Bun.spawnSync(["dash", "-c", "command -v curl || echo none"], { env: { PATH: noCurl } }).stdout.toString()).toBe("none\n");
    await both(async (shell) => {
      const r = await install(shell, ["--base-url", server.forbidden, "--npm-registry", server.registry], { path: noCurl });
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout.split("\n")[0]).toBe(`Cannot download ${server.forbidden}/latest/download/VERSION (blocked or missing); trying the npm registry.`);
      expect(versionOf(join(r.bin, "claude-coord"))).toBe(V);
    });
  });
});

describe("install.sh usage errors exit 64", () => {
  test.each([
    [["--version"], "ERROR: --version needs a value.\n\nACTION REQUIRED: See the flags at the top of install.sh.\n"],
    [["--version", "banana"], "ERROR: 'banana' is not a version such as 0.2.0.\n\nACTION REQUIRED: Pass --version X.Y.Z (or nothing for the latest release).\n"],
    [["--source=ftp"], "ERROR: --source must be auto, github or npm, got 'ftp'.\n\nACTION REQUIRED: Pass --source auto.\n"],
    [["--frobnicate"], "ERROR: Unknown argument '--frobnicate'.\n\nACTION REQUIRED: Flags: --version V, --bin-dir DIR, --source auto|github|npm, --base-url URL, --npm-registry URL.\n"],
  ])("%p", async (args, stderr) => {
    await both(async (shell) => {
      const r = await install(shell, args);
      expect([r.code, r.stdout, r.stderr]).toEqual([64, "", stderr]);
    });
  });

  test("--help prints the flags and exits 0", async () => {
    await both(async (shell) => {
      const r = await install(shell, ["--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n")[1]).toBe("Usage: install.sh [--version V] [--bin-dir DIR] [--source auto|github|npm] [--base-url URL] [--npm-registry URL]");
    });
  });
});
