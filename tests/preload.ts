// Test preload: clears claude-coord's and GitHub's variables and points HOME and git config at a temp dir, before any source import; removes the run's shared temp dirs when it ends.
import { afterAll } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeAtEnd, removeRegistered } from "./helpers/cleanup.ts";

for (const k of Object.keys(process.env)) {
  if (k.startsWith("CLAUDE_COORD_") || k === "CLAUDE_CODE_SESSION_ID" || k === "GITHUB_TOKEN" || k === "CLAUDE_ENV_FILE") delete process.env[k];
}
const home = removeAtEnd(mkdtempSync(join(tmpdir(), "coord-test-home-")));
// A hook of the preload spans the whole run: it runs once, after the last test file.
afterAll(removeRegistered, 120_000);
const gitconfig = join(home, ".gitconfig");
writeFileSync(gitconfig, "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n");
process.env.HOME = home;
process.env.GIT_CONFIG_GLOBAL = gitconfig;
process.env.GIT_CONFIG_NOSYSTEM = "1";
process.env.NO_COLOR = "1";
process.env.TZ = "UTC";
// Every answer an in-process app gives in a test is checked against the route table (src/server/contract-check.ts).
process.env.CLAUDE_COORD_CHECK_CONTRACT = "1";
