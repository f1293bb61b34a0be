// The GitHub workflows: the release builds every target from the tag and publishes assets, sums and npm packages; CI runs the README's test command.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const dir = join(import.meta.dir, "..", "..", ".github", "workflows");
type Step = { run?: string; uses?: string; name?: string; env?: Record<string, string> };
type Workflow = { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, { "timeout-minutes"?: number; steps: Step[] }> };
const load = (f: string) => Bun.YAML.parse(readFileSync(join(dir, f), "utf8")) as Workflow;

describe("release.yml", () => {
  const wf = load("release.yml");
  const steps = wf.jobs.release!.steps;
  const runs = steps.map((s) => s.run ?? "");
  const index = (needle: string) => runs.findIndex((r) => r.includes(needle));

  test("runs on version tags with the rights to write the release and sign npm provenance", () => {
    expect(wf.on).toEqual({ push: { tags: ["v*"] } });
    expect(wf.permissions).toEqual({ contents: "write", "id-token": "write" });
  });

  test("tests, then builds every target with the tag as version, then uploads, then publishes", () => {
    const order = [index("npm test"), index('scripts/build.ts --all --version "$GITHUB_REF_NAME"'), index("gh release"), index("npm publish")];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test("uploads every archive with SHA256SUMS and VERSION", () => {
    const upload = runs[index("gh release")]!;
    expect(upload).toContain("gh release upload \"$GITHUB_REF_NAME\" claude-coord-* SHA256SUMS VERSION --clobber");
    expect(upload).toContain("gh release create \"$GITHUB_REF_NAME\" claude-coord-* SHA256SUMS VERSION");
  });

  test("publishes the platform packages before the launcher package, skipping versions already published", () => {
    const publish = runs[index("npm publish")]!;
    expect(publish).toContain("for dir in dist/release/npm/claude-coord-*/ dist/release/npm/claude-coord/; do");
    expect(publish).toContain('npm view "$spec" version');
    expect(steps[index("npm publish")]!.env).toEqual({ NODE_AUTH_TOKEN: "${{ secrets.NPM_TOKEN }}" });
  });
});

describe("ci.yml", () => {
  test("runs the README's test command, and the typecheck, within the 15-minute budget", () => {
    const wf = load("ci.yml");
    const job = wf.jobs.test!;
    expect(job["timeout-minutes"]).toBe(15);
    expect(job.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci && npm test", "npm run typecheck"]);
    expect(readFileSync(join(import.meta.dir, "..", "..", "README.md"), "utf8")).toContain("npm ci && npm test");
  });
});
