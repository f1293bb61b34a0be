// Generates the npm packages: `claude-coord` (a Node launcher with optionalDependencies) and one package per target carrying its binary (os/cpu/libc).
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { binaryName, GITHUB_REPO, NPM_PACKAGE, npmOs, npmPackageName, type Target, TARGETS, targetId } from "./targets.ts";

/** Where the launcher template lives (copied to the main package's `bin/claude-coord.js`). */
export const LAUNCHER = join(import.meta.dir, "npm", "launcher.cjs");

const repository = { type: "git", url: `git+https://github.com/${GITHUB_REPO}.git` };
const description = "Coordinate parallel AI coding sessions on one repository: atomic task claims over HTTP";

/** The package.json of a target's package: its binary only, installable only where `os`, `cpu` (and on Linux `libc`) match. */
export function platformManifest(t: Target, version: string): Record<string, unknown> {
  return {
    name: npmPackageName(t),
    version,
    description: `The ${targetId(t)} binary of claude-coord (installed by the claude-coord package; not meant to be installed directly).`,
    repository,
    os: [npmOs(t)],
    cpu: [t.arch],
    ...(t.os === "linux" ? { libc: [t.libc === "musl" ? "musl" : "glibc"] } : {}),
    preferUnplugged: true,
    files: ["bin/"],
  };
}

/** The package.json of the main package: the launcher as `claude-coord`, every target package as an optional dependency at the same version. */
export function mainManifest(version: string): Record<string, unknown> {
  return {
    name: NPM_PACKAGE,
    version,
    description,
    repository,
    bin: { "claude-coord": "bin/claude-coord.js" },
    files: ["bin/"],
    engines: { node: ">=18" },
    optionalDependencies: Object.fromEntries(TARGETS.map((t) => [npmPackageName(t), version])),
  };
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * Writes the npm packages into `out_dir` (emptied first): `<out_dir>/claude-coord/` and
 * `<out_dir>/<platform package>/` for each target in `binaries` (target id → path of its compiled
 * binary). The main package always names every target of the table. Returns the package folders,
 * platform packages first (the order to publish in: the main package must come last).
 */
export function writeNpmPackages(opts: { version: string; out_dir: string; binaries: ReadonlyMap<string, string> }): string[] {
  rmSync(opts.out_dir, { recursive: true, force: true });
  const dirs: string[] = [];
  for (const t of TARGETS) {
    const bin = opts.binaries.get(targetId(t));
    if (bin === undefined) continue;
    const dir = join(opts.out_dir, npmPackageName(t));
    mkdirSync(join(dir, "bin"), { recursive: true });
    writeFileSync(join(dir, "package.json"), json(platformManifest(t, opts.version)));
    writeFileSync(join(dir, "README.md"), `# ${npmPackageName(t)}\n\nThe ${targetId(t)} binary of [claude-coord](https://github.com/${GITHUB_REPO}). Install \`claude-coord\` instead; npm picks this package on ${targetId(t)} machines.\n`);
    copyFileSync(bin, join(dir, "bin", binaryName(t)));
    chmodSync(join(dir, "bin", binaryName(t)), 0o755);
    dirs.push(dir);
  }
  const main = join(opts.out_dir, NPM_PACKAGE);
  mkdirSync(join(main, "bin"), { recursive: true });
  writeFileSync(join(main, "package.json"), json(mainManifest(opts.version)));
  writeFileSync(
    join(main, "README.md"),
    `# claude-coord\n\n${description}.\n\n\`\`\`bash\nnpx claude-coord --help\nnpm install -g claude-coord\n\`\`\`\n\nnpm installs the binary for this machine from the matching platform package (an optional dependency); nothing is downloaded from outside the registry. Documentation: https://github.com/${GITHUB_REPO}\n`,
  );
  copyFileSync(LAUNCHER, join(main, "bin", "claude-coord.js"));
  chmodSync(join(main, "bin", "claude-coord.js"), 0o755);
  dirs.push(main);
  return dirs;
}
