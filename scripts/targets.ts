// The build targets as one table, and every name derived from it: release assets, npm packages, binaries (install.sh computes the same).

/** One platform claude-coord is released for. */
export interface Target {
  /** Operating system as in asset names: `linux`, `darwin`, `windows`. */
  os: "linux" | "darwin" | "windows";
  /** CPU as in asset names. */
  arch: "x64" | "arm64";
  /** `musl` for the Alpine-style Linux builds; undefined for glibc (and non-Linux). */
  libc?: "musl";
  /**
   * Bun's `--target` for `bun build --compile`. x64 uses Bun's `baseline` runtime (x86-64-v2, 2008+):
   * the default `modern` one needs AVX2 and dies with "Illegal instruction" on VPSes whose
   * virtual CPU hides it.
   */
  bun: string;
}

/** The GitHub repository the releases, install.sh and the hook template point at (`owner/name`). */
export const GITHUB_REPO = "claude-coord/claude-coord";

/** The npm name of the main package (its platform packages are `<name>-<target id>`). */
export const NPM_PACKAGE = "claude-coord";

/** Every release target: linux glibc and musl on x64 and arm64, darwin x64 and arm64, windows x64. */
export const TARGETS: readonly Target[] = [
  { os: "linux", arch: "x64", bun: "bun-linux-x64-baseline" },
  { os: "linux", arch: "arm64", bun: "bun-linux-arm64" },
  { os: "linux", arch: "x64", libc: "musl", bun: "bun-linux-x64-musl-baseline" },
  { os: "linux", arch: "arm64", libc: "musl", bun: "bun-linux-arm64-musl" },
  { os: "darwin", arch: "x64", bun: "bun-darwin-x64-baseline" },
  { os: "darwin", arch: "arm64", bun: "bun-darwin-arm64" },
  { os: "windows", arch: "x64", bun: "bun-windows-x64-baseline" },
];

/** `<os>-<arch>[-musl]`, e.g. `linux-arm64-musl`: the part every derived name shares. */
export function targetId(t: Target): string {
  return `${t.os}-${t.arch}${t.libc === "musl" ? "-musl" : ""}`;
}

/** The release asset: `claude-coord-<os>-<arch>[-musl].tar.gz`, `.zip` for Windows. */
export function assetName(t: Target): string {
  return `claude-coord-${targetId(t)}.${t.os === "windows" ? "zip" : "tar.gz"}`;
}

/** The binary's file name inside archives and npm packages: `claude-coord`, `claude-coord.exe` on Windows. */
export function binaryName(t: Target): string {
  return t.os === "windows" ? "claude-coord.exe" : "claude-coord";
}

/** The npm package carrying this target's binary: `claude-coord-<os>-<arch>[-musl]`. */
export function npmPackageName(t: Target): string {
  return `${NPM_PACKAGE}-${targetId(t)}`;
}

/** npm's `os` value (`process.platform`) for the target. */
export function npmOs(t: Target): "linux" | "darwin" | "win32" {
  return t.os === "windows" ? "win32" : t.os;
}

/** Finds a target by its id (`linux-x64`, `windows-x64`, ...); undefined for an unknown id. */
export function findTarget(id: string): Target | undefined {
  return TARGETS.find((t) => targetId(t) === id);
}

/**
 * The target of the machine running this code (musl detected from Node's report: a glibc runtime
 * reports `glibcVersionRuntime`). Throws an Error on a platform the table does not list.
 */
export function hostTarget(): Target {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const report = process.platform === "linux" ? (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined) : undefined;
  const musl = process.platform === "linux" && report?.header?.glibcVersionRuntime === undefined;
  const t = TARGETS.find((x) => x.os === os && x.arch === process.arch && (x.libc === "musl") === musl);
  if (!t) throw new Error(`No release target for ${process.platform}-${process.arch}${musl ? "-musl" : ""}.`);
  return t;
}
