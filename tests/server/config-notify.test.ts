// Tests of the `[[notify]]` entries of src/server/config.ts (SPEC §13): defaults, and errors naming the key but never a URL or secret.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoordError } from "../../src/core/errors.ts";
import { loadServiceConfig } from "../../src/server/config.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-notify-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = `whsec_${Buffer.from("a secret of some bytes").toString("base64")}`;
const HOOK = "https://hooks.slack.example/services/T000/B000/XXXXSECRETPATH";
function load(notify: string) {
  const file = join(dir, "service.toml");
  writeFileSync(file, `[[repos]]\nname = "o/r"\nsource = "."\n${notify}`);
  return loadServiceConfig({ config: file }, dir);
}
function errorOf(notify: string): string {
  try {
    load(notify);
  } catch (e) {
    if (e instanceof CoordError && e.code === "config_error") return e.message;
    throw e;
  }
  throw new Error("no error");
}

test("a target without format or events is json for stuck, plan_ready and pr_ready; every field is kept", () => {
  expect(load(`[[notify]]\nurl = "${HOOK}"\n[[notify]]\nurl = "https://x.example/h"\nformat = "json"\nsecret = "${SECRET}"\nevents = ["stale", "message_to_human"]\nrepos = ["O/R"]\n`).notify).toEqual([
    { url: HOOK, format: "json", events: ["stuck", "plan_ready", "pr_ready"] },
    { url: "https://x.example/h", format: "json", events: ["stale", "message_to_human"], repos: ["O/R"], secret: SECRET },
  ]);
});

test("bad entries name the key; a bad URL or secret is never echoed", () => {
  const bad: [string, RegExp][] = [
    [`[[notify]]\nurl = "ftp://${HOOK.slice(8)}"\n`, /key 'notify\[0\]\.url' must be an http\(s\) URL/],
    [`[[notify]]\nurl = "${HOOK}"\nformat = "email"\n`, /key 'notify\[0\]\.format' must be one of json, slack, discord, ntfy/],
    [`[[notify]]\nurl = "${HOOK}"\nevents = ["stuck", "exploded"]\n`, /key 'notify\[0\]\.events\[1\]'/],
    [`[[notify]]\nurl = "${HOOK}"\nsecret = "not-base64 ${SECRET}"\n`, /key 'notify\[0\]\.secret' must be a Standard Webhooks secret/],
    [`[[notify]]\nurl = "${HOOK}"\nformat = "slack"\nsecret = "${SECRET}"\n`, /key 'notify\[0\]\.secret' goes with format "json" only/],
    [`[[notify]]\nurl = "${HOOK}"\nrepos = ["o/unknown"]\n`, /key 'notify\[0\]\.repos\[0\]' must name a repository of the whitelist/],
    [`[[notify]]\nformat = "slack"\n`, /key 'notify\[0\]\.url' is required/],
  ];
  for (const [toml, re] of bad) {
    const message = errorOf(toml);
    expect(message).toMatch(re);
    expect(message).not.toContain("XXXXSECRETPATH");
    expect(message).not.toContain(SECRET.slice(6));
  }
});

test("[[notify]] with a PostgreSQL database is accepted: its targets are kept as on SQLite", () => {
  const file = join(dir, "service.toml");
  writeFileSync(file, `[server]\ndatabase = "postgres://coord:pw@127.0.0.1:5432/coord"\n[[repos]]\nname = "o/r"\nsource = "."\n[[notify]]\nurl = "${HOOK}"\nformat = "slack"\n`);
  const cfg = loadServiceConfig({ config: file }, dir);
  expect([cfg.database, cfg.notify]).toEqual(["postgres://coord:pw@127.0.0.1:5432/coord", [{ url: HOOK, format: "slack", events: ["stuck", "plan_ready", "pr_ready"] }]]);
});
