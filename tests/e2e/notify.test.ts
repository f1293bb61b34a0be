// Notifications end to end (SPEC §13): receivers on 127.0.0.1 for each format get exactly one delivery per event, the json one signed per Standard Webhooks; retries after 500s; a delivery pending at kill -9 is made once after the restart.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cloneSession, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";
import { receiver, until, verifyStandardWebhook } from "../helpers/notify-receiver.ts";

setDefaultTimeout(90_000);
const REPO = "acme/notify";
const SID = "a1b2c3d4-notify-session-0001";
const PR = "https://github.com/acme/notify/pull/12";
const SECRET = `whsec_${Buffer.from("a test secret of thirty-two bytes!").toString("base64")}`;

let root: string;
let work: string;
let origin: string;
beforeAll(() => {
  root = tempDir("notify-e2e");
  ({ origin } = makeOrigin(root));
  work = cloneSession(origin, root, "notify");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function config(name: string, targets: string): string {
  const file = join(root, `${name}.toml`);
  writeFileSync(file, `[server]\nport = 0\ndatabase = "${name}.db"\nadmin_tokens = ["notify-admin-token-0123456789"]\n[[repos]]\nname = "${REPO}"\nsource = "${origin}"\n${targets}`);
  return file;
}
const cli = (service: ServiceProcess, args: string[]) =>
  runClient(args, { cwd: work, env: { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service.url, CLAUDE_COORD_SESSION_ID: SID } });

describe("notifications", () => {
  test("each format's receiver gets exactly one delivery per event (stuck, plan ready, PR ready); repeated heartbeats add none; json is signed", async () => {
    const r = { json: receiver(), slack: receiver(), discord: receiver(), ntfy: receiver() };
    const targets = Object.entries(r)
      .map(([format, x]) => `[[notify]]\nurl = "${x.url}"\nformat = "${format}"\n${format === "json" ? `secret = "${SECRET}"\n` : ""}`)
      .join("");
    const service = await startService(["--config", config("formats", targets)]);
    try {
      for (const args of [
        ["heartbeat", "--state", "working"],
        ["stuck", "--reason", "Which database?", "--option", "SQLite", "--option", "PostgreSQL"],
        ["stuck", "--reason", "Which database?"],
        ["heartbeat", "--state", "planning_complete", "--plan", "1. tests 2. code"],
        ["heartbeat", "--state", "planning_complete"],
        ["heartbeat", "--state", "working"],
        ["heartbeat", "--state", "complete", "--pr", PR],
        ["heartbeat", "--state", "complete", "--pr", PR],
      ]) {
        expect((await cli(service, args)).code).toBe(0);
      }
      await until("three deliveries per receiver", () => Object.values(r).every((x) => x.got.length >= 3));
      await Bun.sleep(1500);
      for (const x of Object.values(r)) expect(x.got.length).toBe(3);

      const json = r.json.got.map((g) => JSON.parse(g.body) as { type: string; data: Record<string, unknown> });
      expect(json.map((j) => j.type)).toEqual(["claude-coord.stuck", "claude-coord.plan_ready", "claude-coord.pr_ready"]);
      expect(json.map((j) => [j.data.repo, j.data.session])).toEqual([[REPO, SID.slice(0, 8)], [REPO, SID.slice(0, 8)], [REPO, SID.slice(0, 8)]]);
      expect([json[0]!.data.text, json[1]!.data.plan, json[2]!.data.url]).toEqual([`${REPO}: session ${SID.slice(0, 8)} is stuck: Which database?`, "1. tests 2. code", PR]);
      for (const g of r.json.got) {
        expect(verifyStandardWebhook(SECRET, g.headers, g.body)).toBe(true);
        expect(verifyStandardWebhook(`whsec_${Buffer.from("another secret").toString("base64")}`, g.headers, g.body)).toBe(false);
        expect(Math.abs(Number(g.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
      }
      expect(new Set(r.json.got.map((g) => g.headers["webhook-id"])).size).toBe(3);
      expect(r.slack.got.map((g) => (JSON.parse(g.body) as { text: string }).text)).toEqual([
        `${REPO}: session ${SID.slice(0, 8)} is stuck: Which database?`,
        `${REPO}: session ${SID.slice(0, 8)} has a plan ready for review: claude-coord approve ${SID.slice(0, 8)} | claude-coord reject ${SID.slice(0, 8)} --message <why>`,
        `${REPO}: session ${SID.slice(0, 8)} has a pull request ready: ${PR} <${PR}|open>`,
      ]);
      expect((JSON.parse(r.discord.got[2]!.body) as { content: string }).content).toBe(`${REPO}: session ${SID.slice(0, 8)} has a pull request ready: ${PR}`);
      expect([r.ntfy.got[2]!.body, r.ntfy.got[2]!.headers.click, r.ntfy.got[0]!.headers.title]).toEqual([
        `${REPO}: session ${SID.slice(0, 8)} has a pull request ready: ${PR}`,
        PR,
        `claude-coord: stuck (${REPO})`,
      ]);
      expect(service.output()).not.toContain(r.slack.url);
      expect(service.output()).not.toContain(SECRET);
    } finally {
      await service.stop();
      for (const x of Object.values(r)) x.stop();
    }
  });

  test("a receiver answering 500 twice then 200 gets the delivery once, after two retries within seconds", async () => {
    const flaky = receiver([500, 500]);
    const service = await startService(["--config", config("retries", `[[notify]]\nurl = "${flaky.url}"\nsecret = "${SECRET}"\nevents = ["stuck"]\n`)]);
    try {
      const started = Date.now();
      expect((await cli(service, ["stuck", "--reason", "retry me"])).code).toBe(0);
      await until("a 200", () => flaky.got.some((g) => g.answered === 200));
      await Bun.sleep(1500);
      expect(flaky.got.map((g) => g.answered)).toEqual([500, 500, 200]);
      expect(new Set(flaky.got.map((g) => g.headers["webhook-id"])).size).toBe(1);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(service.output()).toContain("failed (HTTP 500, attempt 1); retry in 1 s");
    } finally {
      await service.stop();
      flaky.stop();
    }
  });

  test("killed with -9 between the event and the delivery, the service delivers it after the restart, once", async () => {
    // The receiver is down when the event happens, so the delivery is pending when the service is killed.
    const probe = receiver();
    const port = Number(new URL(probe.url).port);
    probe.stop();
    const file = config("restart", `[[notify]]\nurl = "http://127.0.0.1:${port}/hook"\nformat = "slack"\n`);
    const first = await startService(["--config", file]);
    expect((await cli(first, ["stuck", "--reason", "survive a crash"])).code).toBe(0);
    await until("a failed attempt", () => first.output().includes("notify: stuck"));
    first.proc.kill("SIGKILL");
    await first.proc.exited;

    const back = receiver([], port);
    const got = back.got;
    const second = await startService(["--config", file]);
    try {
      await until("the delivery after the restart", () => got.length >= 1);
      await Bun.sleep(2000);
      expect(got.map((g) => (JSON.parse(g.body) as { text: string }).text)).toEqual([`${REPO}: session ${SID.slice(0, 8)} is stuck: survive a crash`]);
    } finally {
      await second.stop();
      back.stop();
    }
  });
});
