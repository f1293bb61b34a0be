// Temp paths removed when the whole test run ends: tests/preload.ts's run-wide afterAll removes them (bun test fires no process "exit" handler).
import { rmSync } from "node:fs";

const paths = new Set<string>();

/** Registers `path` (a file or directory) for removal at the end of the test run; returns it. */
export function removeAtEnd(path: string): string {
  paths.add(path);
  return path;
}

/** Removes every registered path (missing ones are fine). Called once by the preload's afterAll. */
export function removeRegistered(): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
  paths.clear();
}
