// Compiles the host binary into dist/ (bun build --compile), with the version injected at build time.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

/** Where the host binary lands. */
export const HOST_BINARY = join(import.meta.dir, "..", "dist", process.platform === "win32" ? "claude-coord.exe" : "claude-coord");

/**
 * Builds the binary for this machine at `HOST_BINARY`. Flags measured fastest to start:
 * `--minify --bytecode --format=esm --splitting` (`--bytecode` needs `--format=esm`; never strip the result).
 * Throws when the build fails, with the compiler's output.
 */
export async function buildHost(version: string = pkg.version): Promise<string> {
  mkdirSync(join(import.meta.dir, "..", "dist"), { recursive: true });
  const proc = Bun.spawn(
    [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      "--bytecode",
      "--format=esm",
      "--splitting",
      "--define",
      `__CLAUDE_COORD_VERSION__=${JSON.stringify(version)}`,
      join(import.meta.dir, "..", "src", "main.ts"),
      "--outfile",
      HOST_BINARY,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`bun build failed (exit ${code}):\n${out}\n${err}`);
  return HOST_BINARY;
}

if (import.meta.main) {
  const started = performance.now();
  const path = await buildHost(process.env.CLAUDE_COORD_VERSION ?? pkg.version);
  console.log(`built ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
