// Tests of src/server/admin-token.ts: the admin token a service without admin_tokens generates and keeps (SPEC §16).
import { afterEach, beforeEach, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminTokenPath, loadOrCreateAdminToken } from "../../src/server/admin-token.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-admin-token-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("the first start writes 64 hex characters with mode 0600; the next start reads the same token back", () => {
  const first = loadOrCreateAdminToken(dir);
  expect(first.token).toMatch(/^[0-9a-f]{64}$/);
  expect([first.path, first.created]).toEqual([join(dir, "admin-token"), true]);
  expect(readFileSync(first.path, "utf8")).toBe(`${first.token}\n`);
  expect(statSync(first.path).mode & 0o777).toBe(0o600);
  expect(loadOrCreateAdminToken(dir)).toEqual({ token: first.token, path: first.path, created: false });
});

test("a kept token file readable by others is narrowed to 0600; an empty or short one is replaced", () => {
  writeFileSync(adminTokenPath(dir), "kept-token-0123456789\n", { mode: 0o644 });
  chmodSync(adminTokenPath(dir), 0o644);
  expect(loadOrCreateAdminToken(dir).token).toBe("kept-token-0123456789");
  expect(statSync(adminTokenPath(dir)).mode & 0o777).toBe(0o600);
  writeFileSync(adminTokenPath(dir), "short\n");
  const r = loadOrCreateAdminToken(dir);
  expect([r.created, r.token.length]).toEqual([true, 64]);
});
