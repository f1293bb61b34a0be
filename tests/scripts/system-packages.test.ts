// The table of Debian packages the tests need, and the message a test gives when one is missing.
import { describe, expect, test } from "bun:test";
import { hasCommand, requireCommand, SYSTEM_PACKAGES } from "../../scripts/system-packages.ts";

describe("system packages", () => {
  test("a missing command fails the test naming the command, its Debian package and the install command", () => {
    const saved = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      expect(() => requireCommand("zipinfo")).toThrow("this test needs 'zipinfo' (Debian package unzip), which is not installed: apt-get install -y unzip, or run 'npm test' as root, which installs it");
      expect(hasCommand("dash")).toBe(false);
    } finally {
      process.env.PATH = saved;
    }
  });

  test("a present command passes", () => {
    expect(() => requireCommand("git")).not.toThrow();
  });

  test("every row names a command and a package", () => {
    for (const row of SYSTEM_PACKAGES) expect(row.command.length * row.package.length * row.used_by.length).toBeGreaterThan(0);
  });
});
