// The dashboard's "needs you" section in headless Chromium (SPEC §13): stuck, plan-ready and PR-ready sessions first with time in state, the title count, the pause button reaching the session's guard, and a repo-token page kept and marked out of date after main moves; saves a screenshot.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { HAVE_CHROMIUM, launchChromium, warnWithoutChromium } from "../helpers/chromium.ts";
import { binary, cloneSession, commitAll, git, makeOrigin, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

setDefaultTimeout(90_000);
warnWithoutChromium("tests/e2e/dashboard-needs-you.test.ts");
const ADMIN = "needs-you-admin-token-0123456789";
const REPO = "acme/needs";
const STUCK = "stuckses-0001-aaaa-bbbb";
const PLANNER = "planners-0002-aaaa-bbbb";
const SHIPPER = "shippers-0003-aaaa-bbbb";
const WORKER = "workerss-0004-aaaa-bbbb";
const PR = "https://github.com/acme/needs/pull/3";
const SCREENSHOT = join(import.meta.dir, "..", "..", "test-artifacts", "dashboard-needs-you.png");
const WAIT = { timeout: 8000 };

let root: string;
let author: string;
let work: string;
let service: ServiceProcess | undefined;
let context: BrowserContext | undefined;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  root = tempDir("needs-you");
  const o = makeOrigin(root);
  author = o.work;
  work = cloneSession(o.origin, root, "needs");
  const config = join(root, "service.toml");
  writeFileSync(config, `[server]\nport = 0\ndatabase = "n.db"\nadmin_tokens = ["${ADMIN}"]\n[[repos]]\nname = "${REPO}"\nsource = "${o.origin}"\n`);
  service = await startService(["--config", config]);
  context = await launchChromium(join(root, "profile"), { width: 1280, height: 1100 });
}, 60_000);
afterAll(async () => {
  await context?.close();
  await service?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

async function cli(session_id: string | null, args: string[]): Promise<string> {
  const env: Record<string, string> = { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service!.url, ...(session_id ? { CLAUDE_COORD_SESSION_ID: session_id } : { CLAUDE_COORD_ADMIN_TOKEN: ADMIN }) };
  const r = await runClient(args, { cwd: work, env });
  if (r.code !== 0) throw new Error(`claude-coord ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function guard(session_id: string, tool_name: string): Promise<number> {
  const proc = Bun.spawn([await binary(), "hook", "pre-tool-use"], {
    cwd: work,
    env: { ...process.env, CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service!.url },
    stdin: new Blob([JSON.stringify({ session_id, cwd: work, hook_event_name: "PreToolUse", tool_name, tool_input: { file_path: join(work, "a.ts") } })]),
    stdout: "ignore",
    stderr: "ignore",
  });
  return proc.exited;
}

test.skipIf(!HAVE_CHROMIUM)(
  "needs you lists stuck, plan-ready and PR-ready sessions first with time in state, counts them in the title, and its pause button pauses the session for its guard",
  async () => {
    await cli(WORKER, ["claim", "--task", "task-a"]);
    await cli(STUCK, ["stuck", "--reason", "Which migration tool?"]);
    await cli(PLANNER, ["heartbeat", "--state", "planning_complete", "--plan", "1. schema\n2. routes\n3. tests"]);
    await cli(SHIPPER, ["heartbeat", "--state", "complete", "--pr", PR]);
    const url = (await cli(null, ["dashboard"])).split("\n")[0]!;
    expect(url).toBe(`${service!.url}/#repo=${encodeURIComponent(REPO).replace("%2F", "%2F")}&admin=${ADMIN}`);

    const page = await context!.newPage();
    await page.goto(url);
    await page.waitForSelector('#live[data-state="on"]', WAIT);
    await page.waitForSelector("#needs-list li:nth-child(3)", WAIT);
    const items = await page.locator("#needs-list li").evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.kind, (e as HTMLElement).dataset.session]));
    expect(items).toEqual([
      ["stuck", STUCK.slice(0, 8)],
      ["plan_ready", PLANNER.slice(0, 8)],
      ["pr_ready", SHIPPER.slice(0, 8)],
    ]);
    for (const t of await page.locator("#needs-list li .since").allTextContents()) expect(t).toMatch(/^for \d+ s$/);
    expect(await page.textContent('#needs-list li[data-kind="plan_ready"] pre.plan')).toBe("1. schema\n2. routes\n3. tests");
    expect(await page.getAttribute('#needs-list li[data-kind="pr_ready"] a', "href")).toBe(PR);
    expect(await page.title()).toBe("(3) claude-coord");
    // The needs-you section comes first on the page.
    const order = await page.evaluate(() => [...document.querySelectorAll("#board > section")].map((s) => s.id || s.querySelector("h2")?.textContent?.split(" ")[0]));
    expect(order[0]).toBe("needs-you");
    mkdirSync(join(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.replace(".png", "-before-pause.png"), fullPage: true });

    expect(await guard(STUCK, "Edit")).toBe(0);
    await page.fill('#needs-list li[data-kind="stuck"] input[name="message"]', "Stop, I will answer tomorrow");
    await page.click('#needs-list li[data-kind="stuck"] button[data-action="pause"]');
    await page.waitForSelector(`#needs-list li[data-kind="paused"][data-session="${STUCK.slice(0, 8)}"]`, WAIT);
    expect(await guard(STUCK, "Edit")).toBe(2);
    expect(await guard(STUCK, "Bash")).toBe(2);
    expect(await guard(WORKER, "Edit")).toBe(0);
    expect(await page.title()).toBe("(3) claude-coord");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  },
);

test.skipIf(!HAVE_CHROMIUM)("after main moves a repo-token page still shows the claims, marked out of date, instead of empty lists", async () => {
  const url = (await cli(WORKER, ["dashboard"])).split("\n")[0]!;
  expect(url).toContain("&token=sha256%3A");
  const page = await context!.newPage();
  await page.goto(url);
  await page.waitForSelector('#claims tbody tr[data-task="task-a"]', WAIT);
  expect(await page.isHidden("#outdated")).toBe(true);

  write(join(author, "moved.txt"), "main moves\n");
  commitAll(author, "main moves");
  git(author, "push", "-q", "origin", "main");
  await page.reload();
  await page.waitForSelector("#outdated:not([hidden])", WAIT);
  expect(await page.getAttribute("#board", "data-outdated")).toBe("true");
  expect(await page.locator('#claims tbody tr[data-task="task-a"] td').first().textContent()).toBe("task-a");
  expect(await page.isVisible("#claims-empty")).toBe(false);
  await page.screenshot({ path: SCREENSHOT.replace(".png", "-outdated.png"), fullPage: true });
  await page.close();
});
