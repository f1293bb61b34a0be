// The Debian packages the test suite uses beyond Node, npm and git: one table, read by `npm test` (scripts/test.ts) and by the tests.
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

/** One system command the tests run, the Debian package that provides it, and what needs it. */
export interface SystemPackage {
  command: string;
  package: string;
  used_by: string;
}

/** Every system command the tests need, with its Debian package (README: "Running the tests"). */
export const SYSTEM_PACKAGES: readonly SystemPackage[] = [
  { command: "dash", package: "dash", used_by: "install.sh and the session-start hook under a POSIX sh" },
  { command: "curl", package: "curl", used_by: "install.sh downloads" },
  { command: "wget", package: "wget", used_by: "install.sh without curl" },
  { command: "zipinfo", package: "unzip", used_by: "the Windows release archive" },
  { command: "unzip", package: "unzip", used_by: "the Windows release archive" },
  { command: "systemd-analyze", package: "systemd", used_by: "the systemd unit template" },
  { command: "openssl", package: "openssl", used_by: "the TLS proxy test (a throwaway certificate authority)" },
  { command: "chromium", package: "chromium", used_by: "the dashboard's browser tests" },
  { command: "initdb", package: "postgresql", used_by: "the PostgreSQL store tests (a throwaway cluster)" },
];

/** Where Debian's postgresql puts initdb and pg_ctl (not on PATH): /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((d) => existsSync(join(root, d, "bin", "initdb")));
  majors.sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : join(root, majors[0], "bin");
}

/** True when `command` can be run: on PATH (or, for initdb, in Debian's postgresql folder). */
export function hasCommand(command: string): boolean {
  if (command === "initdb" && postgresBinDir()) return true;
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, command)));
}

/** The table rows whose command is missing on this machine. */
export function missingPackages(): SystemPackage[] {
  return SYSTEM_PACKAGES.filter((p) => !hasCommand(p.command));
}

/**
 * For a test that needs `command`: throws an Error naming the command, its Debian package and the
 * install command, so the failure says what is missing instead of failing obscurely.
 */
export function requireCommand(command: string): void {
  if (hasCommand(command)) return;
  const row = SYSTEM_PACKAGES.find((p) => p.command === command);
  const pkg = row?.package ?? command;
  throw new Error(`this test needs '${command}' (Debian package ${pkg}), which is not installed: apt-get install -y ${pkg}, or run 'npm test' as root, which installs it`);
}
