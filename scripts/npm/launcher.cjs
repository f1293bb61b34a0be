#!/usr/bin/env node
// claude-coord's npm launcher: runs the binary of the platform package npm installed beside it (the esbuild / Bun pattern).
"use strict";
const { spawnSync } = require("node:child_process");
const { dirname, join } = require("node:path");

/** The platform packages that can serve this machine, best first (on Linux: this libc's build, then the other). */
function candidates() {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const base = `claude-coord-${os}-${process.arch}`;
  if (process.platform !== "linux") return [base];
  const report = process.report && typeof process.report.getReport === "function" ? process.report.getReport() : undefined;
  const glibc = report && report.header && report.header.glibcVersionRuntime;
  return glibc ? [base, `${base}-musl`] : [`${base}-musl`, base];
}

/** The binary's path, or undefined when no platform package for this machine is installed. */
function findBinary() {
  const exe = process.platform === "win32" ? "claude-coord.exe" : "claude-coord";
  for (const name of candidates()) {
    try {
      return join(dirname(require.resolve(`${name}/package.json`)), "bin", exe);
    } catch {
      // not installed: try the next candidate
    }
  }
  return undefined;
}

const binary = findBinary();
if (!binary) {
  const wanted = candidates()[0];
  process.stderr.write(
    [
      `ERROR: claude-coord has no binary for ${process.platform}-${process.arch} in this installation.`,
      "",
      `The npm package ${wanted} should have been installed with claude-coord as an optional dependency.`,
      "",
      "ACTION REQUIRED: Reinstall with optional dependencies (npm install claude-coord --include=optional),",
      "or install the binary with install.sh (see the README).",
      "",
    ].join("\n"),
  );
  process.exit(78);
}
const result = spawnSync(binary, process.argv.slice(2), { stdio: "inherit" });
if (result.error) {
  process.stderr.write(`ERROR: cannot run ${binary}: ${result.error.message}\n`);
  process.exit(78);
}
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status === null ? 1 : result.status);
