// The npm packages end to end: `npm pack`ed tarballs installed into an empty project offline, `npm i -g` and `npx` from a registry on 127.0.0.1 that lists every platform.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostTarget, NPM_PACKAGE, npmPackageName, TARGETS } from "../../scripts/targets.ts";
import { tempDir } from "../helpers/e2e.ts";
import { FIXTURE_TIMEOUT_MS, type HostReleases, hostReleases } from "../scripts/fixtures.ts";
import { type ReleaseServer, startReleaseServer } from "../scripts/release-server.ts";

setDefaultTimeout(60_000);
const HOST_PKG = npmPackageName(hostTarget());
let root: string;
let fx: HostReleases;
let server: ReleaseServer;
let userconfig: string;

beforeAll(async () => {
  root = tempDir("npm");
  fx = await hostReleases();
  server = startReleaseServer({ releases: [], latest: fx.version, packages: fx.packages });
  userconfig = join(root, "npmrc");
  writeFileSync(userconfig, "");
}, FIXTURE_TIMEOUT_MS);
afterAll(() => {
  server?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Runs an npm CLI (`npm`, `npx`) in `cwd` with an isolated config and cache; `registry` defaults to a closed port, so a fetch would fail. */
async function npm(cmd: string[], cwd: string, opts: { registry?: string; cache: string; offline?: boolean }): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, {
    cwd,
    env: {
      ...process.env,
      npm_config_userconfig: userconfig,
      npm_config_cache: opts.cache,
      npm_config_registry: opts.registry ?? "http://127.0.0.1:9/",
      npm_config_offline: opts.offline ? "true" : "false",
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
      npm_config_audit: "false",
      npm_config_loglevel: "error",
    },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

function emptyProject(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name, version: "1.0.0", private: true })}\n`);
  return dir;
}

describe("npm packages", () => {
  test("the packed tarballs install offline into an empty project, and npx claude-coord runs the binary with its arguments and exit codes", async () => {
    const proj = emptyProject("offline-project");
    const cache = join(root, "cache-offline");
    const add = await npm(["npm", "install", "--offline", fx.main_tgz, fx.platform_tgz], proj, { cache, offline: true });
    expect([add.code, add.stderr]).toEqual([0, ""]);
    expect(readdirSync(join(proj, "node_modules")).filter((f) => !f.startsWith(".")).sort()).toEqual([NPM_PACKAGE, HOST_PKG].sort());
    const v = await npm(["npx", "claude-coord", "--version"], proj, { cache, offline: true });
    expect([v.code, v.stdout, v.stderr]).toEqual([0, `${fx.version}\n`, ""]);
    const claims = await npm(["npx", "claude-coord", "claims"], proj, { cache, offline: true });
    expect([claims.code, claims.stdout, claims.stderr]).toEqual([
      78,
      "",
      `ERROR: ${proj} is not inside a git checkout.\n\nACTION REQUIRED: Run claude-coord from inside a clone or worktree of the repository.\n`,
    ]);
  });

  test("npm i -g from a registry listing all seven platforms fetches only the main package and this machine's binary", async () => {
    const prefix = join(root, "global");
    const before = server.requests.length;
    const add = await npm(["npm", "install", "-g", "--prefix", prefix, NPM_PACKAGE], root, { cache: join(root, "cache-global"), registry: server.registry });
    expect([add.code, add.stderr]).toEqual([0, ""]);
    const tarballs = server.requests.slice(before).filter((p) => p.includes("/-/"));
    expect(tarballs.sort()).toEqual([`/npm/${NPM_PACKAGE}/-/${NPM_PACKAGE}-${fx.version}.tgz`, `/npm/${HOST_PKG}/-/${HOST_PKG}-${fx.version}.tgz`].sort());
    expect(readdirSync(join(prefix, "lib", "node_modules"))).toEqual([NPM_PACKAGE]);
    expect(readdirSync(join(prefix, "lib", "node_modules", NPM_PACKAGE, "node_modules"))).toEqual([HOST_PKG]);
    const r = Bun.spawnSync([join(prefix, "bin", "claude-coord"), "--version"]);
    expect([r.exitCode, r.stdout.toString()]).toEqual([0, `${fx.version}\n`]);
    // Every platform package was considered: npm read the manifests of all seven.
    const looked = new Set(server.requests.slice(before).map((p) => p.split("/")[2]));
    for (const t of TARGETS) expect(looked.has(npmPackageName(t))).toBe(true);
  });

  test("npx -y claude-coord@<version> outside any project downloads from the registry only and runs", async () => {
    const dir = join(root, "bare");
    mkdirSync(dir);
    const r = await npm(["npx", "-y", `${NPM_PACKAGE}@${fx.version}`, "--version"], dir, { cache: join(root, "cache-npx"), registry: server.registry });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${fx.version}\n`, ""]);
  });

  test("without its platform package the launcher exits 78 and says how to fix it", async () => {
    const proj = emptyProject("no-optional");
    const cache = join(root, "cache-no-optional");
    const add = await npm(["npm", "install", "--offline", "--omit=optional", fx.main_tgz], proj, { cache, offline: true });
    expect(add.code).toBe(0);
    const r = await npm(["npx", "claude-coord", "--version"], proj, { cache, offline: true });
    expect([r.code, r.stdout]).toEqual([78, ""]);
    expect(r.stderr).toBe(
      [
        `ERROR: claude-coord has no binary for ${process.platform}-${process.arch} in this installation.`,
        "",
        `The npm package ${HOST_PKG} should have been installed with claude-coord as an optional dependency.`,
        "",
        "ACTION REQUIRED: Reinstall with optional dependencies (npm install claude-coord --include=optional),",
        "or install the binary with install.sh (see the README).",
        "",
      ].join("\n"),
    );
  });
});
