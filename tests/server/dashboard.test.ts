// HTTP tests of src/server/dashboard.ts through app.handle: GET / serves the embedded page with a strict CSP, nothing external, no HTML built from data.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_POLICY } from "../../src/core/claims.ts";
import { type App, createApp } from "../../src/server/app.ts";
import { buildDashboardPage } from "../../src/server/dashboard.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { FakeReader, whitelistEntry } from "../helpers/fake-reader.ts";

let dir: string;
let db: CoordDatabase;
let app: App;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-dashboard-"));
  db = openDatabase(join(dir, "coord.db"));
  app = createApp({
    store: createClaimStore(db),
    repos: new Map([["owner/repo", whitelistEntry("owner/repo", new FakeReader("1".repeat(40)))]]),
    admin_tokens: ["admin-token-0123456789"],
    policy: DEFAULT_POLICY,
    clock: () => Date.parse("2026-01-05T20:00:00Z"),
    version: "9.9.9",
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("base64");

/** The text between `<tag>` and `</tag>`, for each occurrence. */
function inlined(html: string, tag: string): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => m[1]!);
}

test("GET / answers the page without any credentials, as HTML that is never cached", async () => {
  const res = await app.handle(new Request("http://localhost/"));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  const html = await res.text();
  expect(html).toBe(buildDashboardPage().html);
  expect(html).toContain("<title>claude-coord</title>");
  expect(html).toContain('<form id="login-form"');
});

test("the CSP allows exactly the page's one inline script and one inline style, by hash, and fetches to this origin only", async () => {
  const res = await app.handle(new Request("http://localhost/"));
  const html = await res.text();
  const scripts = inlined(html, "script");
  const styles = inlined(html, "style");
  expect([scripts.length, styles.length]).toEqual([1, 1]);
  expect(res.headers.get("content-security-policy")).toBe(
    [
      "default-src 'none'",
      `script-src 'sha256-${sha256(scripts[0]!)}'`,
      `style-src 'sha256-${sha256(styles[0]!)}'`,
      "connect-src 'self'",
      "img-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  );
});

test("the page loads nothing from elsewhere: no URL with a host, no src, no stylesheet link, no CSS import", () => {
  const { html } = buildDashboardPage();
  expect(html.match(/[a-z][a-z0-9+.-]*:\/\//gi)).toBeNull();
  expect(html.match(/["'(]\/\/[^"')]/g)).toBeNull();
  expect(html.match(/\ssrc\s*=/gi)).toBeNull();
  expect(html.match(/<link\b/gi)).toBeNull();
  expect(inlined(html, "style")[0]!.match(/@import|url\(/gi)).toBeNull();
  expect(html.match(/<script\b/gi)?.length).toBe(1);
});

test("the script never turns data into markup: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval", () => {
  const [script] = inlined(buildDashboardPage().html, "script");
  expect(script!.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*["']on/g)).toBeNull();
  expect(script).toContain(".textContent = ");
});

test("other unknown paths still answer the JSON not_found error, not the page", async () => {
  const res = await app.handle(new Request("http://localhost/index.html"));
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ status: "not_found", message: "No route GET /index.html." });
});
