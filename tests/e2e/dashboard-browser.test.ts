// The dashboard in headless Chromium (Debian's chromium, driven by playwright-core) against the compiled service and client: live updates, answering a stuck session, XSS safety, a screenshot.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { HAVE_CHROMIUM, launchChromium, warnWithoutChromium } from "../helpers/chromium.ts";
import { cloneSession, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

// Launching Chromium and the service can take longer than 5 s on a loaded machine: tests and hooks get 60 s.
setDefaultTimeout(60_000);
warnWithoutChromium("tests/e2e/dashboard-browser.test.ts");

const ADMIN = "dashboard-admin-token-0123456789";
const REPO = "acme/x";
const BUILDER = "builder-0001-aaaa"; // listed as "builder-"
const STUCK = "stuckone-0002-bbbb"; // listed as "stuckone"
const XSS_SESSION = "xsstester-0003-cccc";
const RESUMER = "resumer-0004-dddd";
const XSS_TASK = `<img src=x onerror="window.__xss=1">`;
const REASON = "Tests on main fail before my change: fix them first or skip them?";
const OPTIONS = ["Fix main first", "Skip the failing test"];
const PR_URL = "https://github.com/acme/x/pull/7";
const SCREENSHOT = join(import.meta.dir, "..", "..", "test-artifacts", "dashboard.png");
const WAIT = { timeout: 5000 };

let root: string;
let builderDir: string;
let stuckDir: string;
let service: ServiceProcess | undefined;
let context: BrowserContext | undefined;
let auth: { token: string; commit_sha: string };
let config: string;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  root = tempDir("dashboard");
  const { origin } = makeOrigin(root);
  builderDir = cloneSession(origin, root, "builder");
  stuckDir = cloneSession(origin, root, "stuck");
  config = join(root, "service.toml");
  writeFileSync(config, `[server]\nport = 0\ndatabase = "dash.db"\nadmin_tokens = ["${ADMIN}"]\n[[repos]]\nname = "${REPO}"\nsource = "${origin}"\n`);
  service = await startService(["--config", config]);
  const t = await runClient(["token", "--json"], { cwd: stuckDir, env: { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service.url } });
  expect(t.code).toBe(0);
  const parsed = JSON.parse(t.stdout) as { head_sha: string; token: string };
  auth = { token: parsed.token, commit_sha: parsed.head_sha };
  context = await launchChromium(join(root, "chromium-profile"), { width: 1280, height: 1000 });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await service?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

function env(session_id?: string): Record<string, string> {
  return { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: service!.url, ...(session_id ? { CLAUDE_COORD_SESSION_ID: session_id } : {}) };
}

/** Runs the client in `cwd` as `session_id`; returns stdout, or throws with the output unless it exits 0. */
async function cli(cwd: string, session_id: string, args: string[]): Promise<string> {
  const r = await runClient(args, { cwd, env: env(session_id) });
  if (r.code !== 0) throw new Error(`claude-coord ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A session's inbox as `claude-coord inbox --json` shows it. */
async function inbox(cwd: string, session_id: string): Promise<{ messages: Array<Record<string, unknown>> }> {
  return JSON.parse(await cli(cwd, session_id, ["inbox", "--json"]));
}

/** Everything the page reports as broken: uncaught errors and console errors (CSP violations land there). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  return errors;
}

const cellTexts = (page: Page, row: string) => page.locator(`${row} td`).allTextContents();

/** One attribute of every element `selector` matches, in document order. */
async function attributes(page: Page, selector: string, name: string): Promise<Array<string | null>> {
  return Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name)));
}

test.skipIf(!HAVE_CHROMIUM)(
  "with the admin link the dashboard shows a claim and a stuck session live, answers it into the session's inbox, and renders a hostile task id as text",
  async () => {
    const page = await context!.newPage();
    const errors = watchErrors(page);
    await page.goto(`${service!.url}/#repo=${encodeURIComponent(REPO)}&admin=${ADMIN}`);
    await page.waitForSelector('#live[data-state="on"]', WAIT);
    expect(page.url()).toBe(`${service!.url}/`); // the token left the address bar
    expect(await page.isVisible("#login")).toBe(false);
    expect(await page.textContent("#repo-name")).toBe(REPO);
    expect(await page.isVisible("#claims-empty")).toBe(true);
    expect(await page.isVisible("#stuck-empty")).toBe(true);
    await page.evaluate("window.__sameDocument = true");

    // A claim and a stuck session, from the CLI and the session's heartbeat, appear without a reload.
    await cli(builderDir, BUILDER, ["claim", "--task", "task-a"]);
    await cli(builderDir, BUILDER, ["reserve", "src/ui/**", "--reason", "the UI"]);
    await cli(builderDir, BUILDER, ["heartbeat", "--state", "working", "--task", "task-a", "--progress", "40", "--note", "writing the tests"]);
    await cli(stuckDir, STUCK, ["claim", "--task", "task-b"]);
    await cli(stuckDir, STUCK, ["heartbeat", "--state", "working", "--task", "task-b", "--progress", "10"]);
    await cli(stuckDir, STUCK, ["stuck", "--reason", REASON, "--context", "bun test: 3 failures in tests/core", "--option", OPTIONS[0]!, "--option", OPTIONS[1]!]);

    await page.waitForSelector('#claims tbody tr[data-task="task-a"]', WAIT);
    await page.waitForSelector('#claims tbody tr[data-task="task-b"]', WAIT);
    expect((await cellTexts(page, '#claims tbody tr[data-task="task-a"]')).slice(0, 4)).toEqual(["task-a", "builder-", "claude/builder", "context/plan.json"]);
    // The reservation appears live too, and leaves with the claim (below).
    const reserved = page.locator('#reservations tbody tr[data-path="src/ui/**"]');
    await reserved.waitFor(WAIT);
    const cells = await cellTexts(page, '#reservations tbody tr[data-path="src/ui/**"]');
    expect([...cells.slice(0, 3), cells[4]]).toEqual(["src/ui/**", "builder-", "exclusive", "the UI"]);
    const card = page.locator('.stuck-card[data-session="stuckone"]');
    await card.waitFor(WAIT);
    expect(await card.locator(".reason").textContent()).toBe(REASON);
    expect(await card.locator(".context").textContent()).toBe("bun test: 3 failures in tests/core");
    expect(await card.locator(".options button").allTextContents()).toEqual(OPTIONS);
    expect(await card.locator(".who").textContent()).toBe("stuckone on claude/stuck · task task-b · last heartbeat just now");
    expect(await page.textContent("#stuck-count")).toBe("(1)");
    await page.waitForSelector('#sessions tbody tr[data-session="builder-"]', WAIT);
    expect(await page.locator('#sessions tbody tr[data-session="builder-"] progress').getAttribute("value")).toBe("40");
    // Stuck sessions come first in the sessions table too.
    expect(await attributes(page, "#sessions tbody tr", "data-state")).toEqual(["stuck", "working"]);
    // A spawned session's worktree (reported by its heartbeat, SPEC §14) shows under its branch, live.
    const hb = await fetch(`${service!.url}/heartbeat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ repo: REPO, ...auth, session_id: BUILDER, branch: "claude/builder", state: "working", worktree: "/srv/x-worktrees/task-a" }),
    });
    expect(hb.status).toBe(200);
    const tree = page.locator('#sessions tbody tr[data-session="builder-"] .worktree');
    await tree.waitFor(WAIT);
    expect(await tree.textContent()).toBe("/srv/x-worktrees/task-a");

    // A task id made of markup is shown as text: no element is created, no handler runs.
    await cli(builderDir, XSS_SESSION, ["claim", "--task", XSS_TASK]);
    const hostile = page.locator('#claims tbody tr[data-session="xssteste"] td.task');
    await hostile.waitFor(WAIT);
    expect(await hostile.textContent()).toBe(XSS_TASK);
    expect(await page.evaluate("[document.querySelectorAll('img').length, window.__xss ?? null]")).toEqual([0, null]);

    // An answer being typed survives live updates of its session: same text, still focused.
    await card.locator("textarea").click();
    await page.keyboard.type("draft");
    await cli(stuckDir, STUCK, ["stuck", "--reason", REASON, "--context", "re-ran: still 3 failures", "--option", OPTIONS[0]!, "--option", OPTIONS[1]!]);
    await card.locator(".context", { hasText: "re-ran: still 3 failures" }).waitFor(WAIT);
    expect(await card.locator("textarea").inputValue()).toBe("draft");
    expect(await page.evaluate("document.activeElement === document.querySelector('.stuck-card textarea')")).toBe(true);

    // The human answers from the page: an option fills the box, Send posts it to the session.
    await card.locator(".options button", { hasText: OPTIONS[1]! }).click();
    expect(await card.locator("textarea").inputValue()).toBe(OPTIONS[1]!);
    await card.locator("textarea").fill(`${OPTIONS[1]!}: it is tracked in task-z.`);
    await card.locator("button[type=submit]").click();
    await card.locator(".status", { hasText: "Sent to stuckone" }).waitFor(WAIT);
    expect(await card.locator(".status").textContent()).toMatch(/^Sent to stuckone \(message #\d+\)\. The session reads it with 'claude-coord inbox'\.$/);
    expect(await card.locator("textarea").inputValue()).toBe("");
    const got = await inbox(stuckDir, STUCK);
    expect(got.messages.map(({ id: _id, sent_at: _at, ...m }) => m)).toEqual([
      { from: "human", to: "stuckone", subject: `Re: ${REASON}`, body: `${OPTIONS[1]!}: it is tracked in task-z.`, read: false },
    ]);
    expect((await inbox(builderDir, BUILDER)).messages).toEqual([]);
    const shown = page.locator(`#messages li[data-id="${String(got.messages[0]!.id)}"]`);
    await shown.waitFor(WAIT);
    expect(await shown.locator(".subject").textContent()).toBe(`Re: ${REASON}`);
    expect(await shown.locator(".body").textContent()).toBe(`${OPTIONS[1]!}: it is tracked in task-z.`);

    // A completion shows the PR its session reported.
    await cli(builderDir, BUILDER, ["heartbeat", "--state", "complete", "--progress", "100", "--pr", PR_URL]);
    await cli(builderDir, BUILDER, ["complete", "--task", "task-a"]);
    const done = page.locator('#completions tbody tr[data-task="task-a"]');
    await done.waitFor(WAIT);
    expect(await done.locator("td.pr a").getAttribute("href")).toBe(PR_URL);
    await page.locator('#claims tbody tr[data-task="task-a"]').waitFor({ state: "detached", ...WAIT });
    await reserved.waitFor({ state: "detached", ...WAIT });
    expect((await attributes(page, "#claims tbody tr", "data-task")).sort()).toEqual([XSS_TASK, "task-b"].sort());

    expect(await page.evaluate("window.__sameDocument")).toBe(true);
    mkdirSync(join(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  },
  60_000,
);

test.skipIf(!HAVE_CHROMIUM)(
  "without credentials only the form shows; with a repo token the board is read-only and says answering needs the admin token",
  async () => {
    await cli(stuckDir, STUCK, ["stuck", "--reason", REASON, "--option", OPTIONS[0]!, "--option", OPTIONS[1]!]);
    const page = await context!.newPage();
    const errors = watchErrors(page);
    await page.goto(`${service!.url}/`);
    await page.waitForSelector("#login-form", WAIT);
    expect([await page.isVisible("#login"), await page.isVisible("#board"), await page.isVisible("#live")]).toEqual([true, false, false]);
    await page.fill('input[name="repo"]', REPO);
    await page.fill('input[name="token"]', auth.token);
    await page.fill('input[name="commit_sha"]', auth.commit_sha);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#live[data-state="on"]', WAIT);
    expect(await page.isVisible("#login")).toBe(false);
    const card = page.locator('.stuck-card[data-session="stuckone"]');
    await card.waitFor(WAIT);
    expect(await card.locator("textarea").isDisabled()).toBe(true);
    expect(await card.locator("textarea").getAttribute("placeholder")).toBe("Answering needs the admin token: the service takes messages from the human only with it.");
    expect(await page.isVisible("#messages-note")).toBe(true);
    // Live with the repo token too (it travels in the /events query).
    await cli(stuckDir, STUCK, ["heartbeat", "--state", "working", "--progress", "30"]);
    await card.waitFor({ state: "detached", ...WAIT });
    expect(await page.textContent("#stuck-count")).toBe("");
    await page.click("#sign-out");
    expect([await page.isVisible("#login"), await page.isVisible("#board")]).toEqual([true, false]);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  },
  30_000,
);

test.skipIf(!HAVE_CHROMIUM)(
  "when the service dies and comes back the page reconnects with Last-Event-ID and shows what happened meanwhile, without a reload",
  async () => {
    const page = await context!.newPage();
    const errors = watchErrors(page);
    const resumedFrom: Array<string | undefined> = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/events") resumedFrom.push(r.headers()["last-event-id"]);
    });
    await page.goto(`${service!.url}/#repo=${encodeURIComponent(REPO)}&admin=${ADMIN}`);
    await page.waitForSelector('#live[data-state="on"]', WAIT);
    await page.evaluate("window.__sameDocument = true");
    await cli(builderDir, RESUMER, ["heartbeat", "--state", "working", "--progress", "55"]);
    await page.locator('#sessions tbody tr[data-session="resumer-"] progress[value="55"]').waitFor(WAIT);

    // Killed, not stopped: SIGTERM waits for open requests, and the page's /events stream never ends.
    const port = service!.port;
    service!.proc.kill("SIGKILL");
    await service!.proc.exited;
    await page.waitForSelector('#live[data-state="retry"]', WAIT);
    service = await startService(["--config", config, "--port", String(port)]);
    await cli(builderDir, RESUMER, ["claim", "--task", "task-c"]);
    await page.locator('#claims tbody tr[data-task="task-c"]').waitFor(WAIT);
    await page.waitForSelector('#live[data-state="on"]', WAIT);
    // The first connection starts fresh; every later one (a refused attempt while the service was down, then the one that worked) resumes.
    expect(resumedFrom.length).toBeGreaterThanOrEqual(2);
    expect(resumedFrom[0]).toBeUndefined();
    expect(resumedFrom.slice(1).every((id) => id !== undefined && /^\d+$/.test(id))).toBe(true);
    expect(await page.evaluate("window.__sameDocument")).toBe(true);
    expect(errors.filter((e) => !e.includes("net::ERR_"))).toEqual([]);
    await page.close();
  },
  30_000,
);

test.skipIf(!HAVE_CHROMIUM)(
  "a wrong admin token stops the page with the service's reason instead of retrying",
  async () => {
    const page = await context!.newPage();
    await page.goto(`${service!.url}/#repo=${encodeURIComponent(REPO)}&admin=not-the-admin-token-000`);
    await page.waitForSelector('#live[data-state="error"]', WAIT);
    expect(await page.textContent("#board-error")).toBe("The Authorization header does not carry an admin token of this service.\nSign out and open the dashboard with a valid admin token.");
    expect(await page.locator("#claims tbody tr").count()).toBe(0);
    await page.close();
  },
  30_000,
);
