// Compiles claude-coord (bun build --compile) with the version injected: the host binary into dist/, or every release target with archives, SHA256SUMS and npm packages.
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { tarGz, zip } from "./archive.ts";
import { writeNpmPackages } from "./npm-packages.ts";
import { smokeTest } from "./smoke.ts";
import { assetName, binaryName, findTarget, hostTarget, type Target, TARGETS, targetId } from "./targets.ts";

const ROOT = join(import.meta.dir, "..");

/** Where the host binary lands. */
export const HOST_BINARY = join(ROOT, "dist", process.platform === "win32" ? "claude-coord.exe" : "claude-coord");

/** Where `--all` puts the release: archives, SHA256SUMS, VERSION, and `npm/` with the packages. */
export const RELEASE_DIR = join(ROOT, "dist", "release");

/**
 * Compiles `src/main.ts` into `outfile` for `target` (undefined: this machine) with `version`
 * injected as `__CLAUDE_COORD_VERSION__`. Flags measured fastest to start:
 * `--minify --bytecode --format=esm --splitting` (`--bytecode` needs `--format=esm`; never strip the
 * result). Cross-compiling fetches the target's Bun runtime from the npm registry once.
 * Throws an Error with the compiler's output when the build fails.
 */
export async function compile(target: Target | undefined, version: string, outfile: string): Promise<string> {
  mkdirSync(join(outfile, ".."), { recursive: true });
  const proc = Bun.spawn(
    [
      process.execPath,
      "build",
      "--compile",
      ...(target ? [`--target=${target.bun}`] : []),
      "--minify",
      "--bytecode",
      "--format=esm",
      "--splitting",
      "--define",
      `__CLAUDE_COORD_VERSION__=${JSON.stringify(version)}`,
      join(ROOT, "src", "main.ts"),
      "--outfile",
      outfile,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`bun build failed (exit ${code}):\n${out}\n${err}`);
  return outfile;
}

/** Builds the binary for this machine at `HOST_BINARY`. Throws when the build fails, with the compiler's output. */
export async function buildHost(version: string = pkg.version): Promise<string> {
  return compile(undefined, version, HOST_BINARY);
}

/** The version text a release may carry: semver (npm requires it), a leading `v` (a tag) removed. Throws an Error otherwise. */
export function releaseVersion(text: string): string {
  const v = text.replace(/^v/, "");
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(v)) throw new Error(`'${text}' is not a semver version (such as 1.2.3 or 1.2.3-rc.1).`);
  return v;
}

/** Hex SHA-256 of bytes. */
export function sha256(data: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

/** The archive bytes of one target's binary: `.tar.gz`, or `.zip` for Windows, with the binary at the top, mode 0755. */
export function archiveBinary(t: Target, binary: Uint8Array, level = 9): Uint8Array {
  const entry = { name: binaryName(t), data: binary, mode: 0o755 };
  return t.os === "windows" ? zip([entry], level) : tarGz([entry], level);
}

/** One release asset as written. */
export interface Asset {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

/** What `buildRelease` wrote. */
export interface Release {
  version: string;
  out_dir: string;
  /** The archives, in the order of the target table. */
  assets: Asset[];
  /** `<out_dir>/SHA256SUMS`: `<hex>  <asset>` lines sorted by name (the format `sha256sum -c` reads). */
  sums: string;
  /** Each target's compiled binary, by target id. */
  binaries: Map<string, string>;
  /** The npm package folders, platform packages first, the main package last (the publish order). */
  npm_dirs: string[];
}

/**
 * Builds a release of `version` for `targets` into `out_dir` (emptied first): each binary under
 * `bin/<target id>/`, its archive (see `assetName`), `SHA256SUMS`, `VERSION` (the version and a
 * newline: install.sh reads it to learn the latest version), and the npm packages under `npm/`.
 * `prebuilt` maps a target id to a binary already compiled with this version (tests pass the host
 * binary so nothing is compiled twice); `level` is the compression level (release: 9).
 * Throws an Error when a compile fails.
 */
export async function buildRelease(opts: { version: string; targets: readonly Target[]; out_dir: string; prebuilt?: ReadonlyMap<string, string>; level?: number }): Promise<Release> {
  const version = releaseVersion(opts.version);
  rmSync(opts.out_dir, { recursive: true, force: true });
  mkdirSync(opts.out_dir, { recursive: true });
  const binaries = new Map<string, string>();
  const assets: Asset[] = [];
  for (const t of opts.targets) {
    const id = targetId(t);
    const bin = opts.prebuilt?.get(id) ?? (await compile(t, version, join(opts.out_dir, "bin", id, binaryName(t))));
    binaries.set(id, bin);
    const data = archiveBinary(t, new Uint8Array(readFileSync(bin)), opts.level ?? 9);
    const path = join(opts.out_dir, assetName(t));
    writeFileSync(path, data);
    assets.push({ name: assetName(t), path, bytes: data.length, sha256: sha256(data) });
  }
  const sums = join(opts.out_dir, "SHA256SUMS");
  const lines = [...assets].sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => `${a.sha256}  ${a.name}\n`);
  writeFileSync(sums, lines.join(""));
  writeFileSync(join(opts.out_dir, "VERSION"), `${version}\n`);
  const npm_dirs = writeNpmPackages({ version, out_dir: join(opts.out_dir, "npm"), binaries });
  return { version, out_dir: opts.out_dir, assets, sums, binaries, npm_dirs };
}

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** The targets `--targets a,b` names (`host` = this machine); every target for `--all`. Throws for an unknown id. */
export function selectTargets(argv: readonly string[]): Target[] {
  const list = flag(argv, "--targets");
  if (list === undefined) return [...TARGETS];
  return list.split(",").map((id) => {
    if (id === "host") return hostTarget();
    const t = findTarget(id);
    if (!t) throw new Error(`unknown target '${id}'; the targets are ${TARGETS.map(targetId).join(", ")}, host`);
    return t;
  });
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const started = performance.now();
  const version = releaseVersion(flag(argv, "--version") ?? process.env.CLAUDE_COORD_VERSION ?? pkg.version);
  if (!argv.includes("--all") && flag(argv, "--targets") === undefined) {
    const path = await compile(undefined, version, HOST_BINARY);
    console.log(`built ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } else {
    const out_dir = flag(argv, "--out") ?? RELEASE_DIR;
    const release = await buildRelease({ version, targets: selectTargets(argv), out_dir });
    for (const a of release.assets) {
      const bin = release.binaries.get(a.name.replace(/^claude-coord-|\.(tar\.gz|zip)$/g, ""));
      const binBytes = bin ? statSync(bin).size : 0;
      console.log(`${a.name.padEnd(36)} ${(a.bytes / 1e6).toFixed(1).padStart(6)} MB  (binary ${(binBytes / 1e6).toFixed(1)} MB)  ${a.sha256}`);
    }
    const host = release.binaries.get(targetId(hostTarget()));
    if (host) {
      chmodSync(host, 0o755);
      await smokeTest(host, release.version);
      console.log(`smoke run of ${host}: --version and a claim against a throwaway service passed`);
    } else {
      console.log("smoke run skipped: the host target was not built");
    }
    console.log(`release ${release.version} in ${release.out_dir} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}
