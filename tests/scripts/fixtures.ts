// Test helper: host-only release builds (the compiled binary at two versions) and packed npm tarballs, made once per test process and shared by the install, npm and hook tests.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRelease, compile, type Release } from "../../scripts/build.ts";
import { hostTarget, NPM_PACKAGE, npmPackageName, TARGETS, targetId } from "../../scripts/targets.ts";
import { platformManifest } from "../../scripts/npm-packages.ts";
import { removeAtEnd } from "../helpers/cleanup.ts";
import { binary } from "../helpers/e2e.ts";
import { type NpmVersion, npmPack } from "./release-server.ts";

/** The shared fixture. */
export interface HostReleases {
  root: string;
  /** The version of dist/claude-coord (the latest release served). */
  version: string;
  /** An older release, compiled with this version. */
  old_version: string;
  latest: Release;
  old: Release;
  /** npm packages by name for the registry: the host platform package and the main one packed; the other targets listed without tarballs. */
  packages: Map<string, NpmVersion[]>;
  /** The packed tarballs of the latest version: main package and host platform package. */
  main_tgz: string;
  platform_tgz: string;
}

let shared: Promise<HostReleases> | undefined;

/** The beforeAll timeout for tests that wait for the fixture (Bun's hook default is 5 s). */
export const FIXTURE_TIMEOUT_MS = 120_000;

async function make(): Promise<HostReleases> {
  const bin = await binary();
  const version = Bun.spawnSync([bin, "--version"]).stdout.toString().trim();
  const old_version = "0.0.9";
  // Shared by several test files: removed when the whole run ends (bun test fires no "exit" handler).
  const root = removeAtEnd(mkdtempSync(join(tmpdir(), "coord-releases-")));
  const host = hostTarget();
  const oldBin = await compile(undefined, old_version, join(root, "old-bin", "claude-coord"));
  const [latest, old] = await Promise.all([
    buildRelease({ version, targets: [host], out_dir: join(root, `release-${version}`), prebuilt: new Map([[targetId(host), bin]]), level: 1 }),
    buildRelease({ version: old_version, targets: [host], out_dir: join(root, `release-${old_version}`), prebuilt: new Map([[targetId(host), oldBin]]), level: 1 }),
  ]);
  const packed = join(root, "packed");
  mkdirSync(packed);
  const cache = join(root, "npm-cache");
  const [platform_tgz, main_tgz] = await Promise.all([
    npmPack(join(latest.out_dir, "npm", npmPackageName(host)), packed, join(cache, "platform")),
    npmPack(join(latest.out_dir, "npm", NPM_PACKAGE), packed, join(cache, "main")),
  ]);
  const packages = new Map<string, NpmVersion[]>();
  for (const t of TARGETS) {
    packages.set(npmPackageName(t), [{ manifest: platformManifest(t, version), ...(t === host ? { tgz: platform_tgz } : {}) }]);
  }
  const mainManifest = (await Bun.file(join(latest.out_dir, "npm", NPM_PACKAGE, "package.json")).json()) as Record<string, unknown>;
  packages.set(NPM_PACKAGE, [{ manifest: mainManifest, tgz: main_tgz }]);
  return { root, version, old_version, latest, old, packages, main_tgz, platform_tgz };
}

/** The shared fixture, built on first use (about 10 s: one compile, two archives at gzip level 1, two npm packs); callers' beforeAll needs a timeout of FIXTURE_TIMEOUT_MS. */
export function hostReleases(): Promise<HostReleases> {
  shared ??= make();
  return shared;
}
