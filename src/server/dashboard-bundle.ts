// Bundles the dashboard's TypeScript (dashboard/app.browser.ts) for the browser: a Bun macro, run when dashboard.ts is transpiled.
import { join } from "node:path";

/** The dashboard script's entry point. */
export const DASHBOARD_ENTRY = join(import.meta.dir, "dashboard", "app.browser.ts");

/**
 * The dashboard script as one browser script (an IIFE, no imports; unminified, so the browser shows it as written), made by Bun's bundler
 * (`bun build --target=browser --format=iife`). dashboard.ts imports this with
 * `{ type: "macro" }`, so it runs when dashboard.ts is transpiled: at `bun build --compile` (the
 * result is embedded in the binary as a string) and when the service runs from source. It spawns
 * the running Bun synchronously because a macro's result must be ready when the call is replaced.
 * `entry` is for tests. Throws an Error with the bundler's output when the script does not bundle; the build fails then.
 */
export function bundleDashboardScript(entry: string = DASHBOARD_ENTRY): string {
  const r = Bun.spawnSync([process.execPath, "build", "--target=browser", "--format=iife", entry], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (r.exitCode !== 0) throw new Error(`bundling ${entry} failed (exit ${r.exitCode}):\n${r.stdout.toString()}${r.stderr.toString()}`);
  return r.stdout.toString();
}
