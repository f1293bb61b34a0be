// Temp directories for the storage tests: one per test file, removed after it.

import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Returns a function giving a fresh, empty directory under one temp root that is removed after the file's tests. */
export function tempDirs(label: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `claude-coord-${label}-`));
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return () => mkdtempSync(join(root, `${n++}-`));
}
