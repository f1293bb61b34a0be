// Tests of src/server/dashboard-bundle.ts: the dashboard's TypeScript bundled into one browser script, and a broken script failing the build.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleDashboardScript } from "../../src/server/dashboard-bundle.ts";
import { buildDashboardPage } from "../../src/server/dashboard.ts";

const dir = mkdtempSync(join(tmpdir(), "coord-dashboard-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the page's script is app.browser.ts bundled for the browser: one IIFE with no import, no export and no type annotation left", () => {
  const script = bundleDashboardScript();
  expect(script.startsWith("(() => {")).toBe(true);
  expect(script.trimEnd().endsWith("})();")).toBe(true);
  expect(script).not.toMatch(/^\s*(import|export)\b/m);
  expect(script).not.toContain("interface Credentials");
  expect(script).not.toContain(": Credentials");
  expect(buildDashboardPage().html).toContain(`<script>${script}</script>`);
});

test("a script that does not compile fails the bundle with the bundler's message naming the file", () => {
  const broken = join(dir, "broken.browser.ts");
  writeFileSync(broken, "const x: number = ;\n");
  expect(() => bundleDashboardScript(broken)).toThrow(/bundling .*broken\.browser\.ts failed \(exit 1\):[\s\S]*Unexpected/);
});
