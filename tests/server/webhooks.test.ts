// HTTP tests of src/server/webhooks.ts through app.handle: signatures (GitHub's test vector), replays, each event, refreshes, limits, stored state.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { claimTask, DEFAULT_POLICY } from "../../src/core/claims.ts";
import { isCoordError } from "../../src/core/errors.ts";
import type { ClaimStore } from "../../src/core/store.ts";
import { createApp, type App } from "../../src/server/app.ts";
import { checkSignature, WEBHOOK_BODY_LIMIT_BYTES } from "../../src/server/webhooks.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { createDeliveryLog, DELIVERY_RETENTION_MS } from "../../src/storage/webhook-deliveries.ts";
import { clockAt } from "../helpers/clock.ts";
import { FakeReader, whitelistEntry } from "../helpers/fake-reader.ts";

const SECRET = "webhook-secret-0123456789-abcdef";
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const C = "cccccccc-3333-4333-8333-333333333333";
let dir: string;
let db: CoordDatabase;
let store: ClaimStore;
let now: number;
let logged: string[];
let refreshes: number;
let refreshBehaviour: "ok" | "fail" | "slow";

const repo = whitelistEntry("Octo-Org/Repo", {
  current: () => Promise.reject(new Error("webhooks never check a token")),
  listBranches: async () => ["main"],
  async refreshNow() {
    refreshes++;
    if (refreshBehaviour === "fail") throw new Error("cannot reach the remote");
    if (refreshBehaviour === "slow") await Bun.sleep(200);
  },
});

function makeApp(opts: { webhooks?: boolean; store?: ClaimStore } = {}): App {
  const s = opts.store ?? store;
  return createApp({
    store: s,
    repos: new Map([["octo-org/repo", whitelistEntry("Octo-Org/Repo", new FakeReader("1".repeat(40)))]]),
    admin_tokens: [],
    policy: DEFAULT_POLICY,
    clock: () => now,
    version: "9.9.9",
    log: { info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m, c) => logged.push(`${m}: ${String(c)}`) },
    ...(opts.webhooks === false
      ? {}
      : {
          webhooks: {
            secret: SECRET,
            deliveries: createDeliveryLog(db),
            store: s,
            repos: new Map([["octo-org/repo", repo]]),
            clock: () => now,
            log: { info: (m) => logged.push(m), warn: (m) => logged.push(m) },
            refresh_wait_ms: 50,
          },
        }),
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "coord-webhooks-"));
  db = openDatabase(join(dir, "coord.db"));
  store = createClaimStore(db);
  now = Date.parse("2026-01-05T20:00:00Z");
  logged = [];
  refreshes = 0;
  refreshBehaviour = "ok";
  await claimTask(store, { repo: "Octo-Org/Repo", session_id: A, task_id: "t-a", branch: "claude/a", plan_file: "" }, clockAt(now), DEFAULT_POLICY);
  await claimTask(store, { repo: "Octo-Org/Repo", session_id: B, task_id: "t-b", branch: "claude/b", plan_file: "" }, clockAt(now), DEFAULT_POLICY);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = () => db.sqlite.query("SELECT task_id, branch, completion_reason FROM claims ORDER BY id").all();
const deliveries = () => db.sqlite.query("SELECT delivery_id FROM webhook_deliveries ORDER BY delivery_id").all();

let deliveryCounter = 0;
interface Delivery {
  event: string;
  payload: unknown;
  id?: string;
  signature?: string | null;
  secret?: string;
  form?: boolean;
}

async function deliver(app: App, d: Delivery): Promise<{ status: number; body: Record<string, unknown> }> {
  const json = JSON.stringify(d.payload);
  const text = d.form ? `payload=${encodeURIComponent(json)}` : json;
  const signature = d.signature === undefined ? await sign(d.secret ?? SECRET, text) : d.signature;
  const headers: Record<string, string> = {
    "content-type": d.form ? "application/x-www-form-urlencoded" : "application/json",
    "content-length": String(Buffer.byteLength(text)),
    "x-github-event": d.event,
    "x-github-delivery": d.id ?? `72d3162e-cc78-11e3-81ab-${String(++deliveryCounter).padStart(12, "0")}`,
    "user-agent": "GitHub-Hookshot/044aadd",
  };
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  const res = await app.handle(new Request("http://localhost/webhooks/github", { method: "POST", headers, body: text }));
  const body = await res.text();
  return { status: res.status, body: body ? (JSON.parse(body) as Record<string, unknown>) : {} };
}

const repository = { full_name: "octo-org/repo", name: "repo", owner: { login: "octo-org" } };
const deleteEvent = (ref: string) => ({ ref, ref_type: "branch", pusher_type: "user", repository });
const pushEvent = (ref: string, extra: Record<string, unknown> = {}) => ({ ref, before: "a".repeat(40), after: "b".repeat(40), deleted: false, repository, ...extra });
const prEvent = (action: string, head_ref: string, head_repo: string | null = "octo-org/repo") => ({
  action,
  number: 7,
  pull_request: { merged: action === "closed", head: { ref: head_ref, repo: head_repo === null ? null : { full_name: head_repo } }, base: { ref: "main" } },
  repository,
});

describe("signatures", () => {
  test("GitHub's documented test vector passes, and anything else is refused", async () => {
    const vector = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    await checkSignature("It's a Secret to Everybody", "Hello, World!", vector);
    expect(await sign("It's a Secret to Everybody", "Hello, World!")).toBe(vector);
    for (const [secret, body, header] of [
      ["It's a Secret to Everybody", "Hello, World?", vector],
      ["another secret", "Hello, World!", vector],
      ["It's a Secret to Everybody", "Hello, World!", vector.replace("sha256=", "sha1=")],
      ["It's a Secret to Everybody", "Hello, World!", vector.slice(0, -1)],
      ["It's a Secret to Everybody", "Hello, World!", null],
      ["It's a Secret to Everybody", "", vector],
    ] as const) {
      let caught: unknown;
      try {
        await checkSignature(secret, body, header);
      } catch (e) {
        caught = e;
      }
      expect(isCoordError(caught, "unauthorized")).toBe(true);
    }
  });

  test("a delivery with a bad, malformed or missing signature is refused with 401 and changes nothing", async () => {
    const app = makeApp();
    const cases: Partial<Delivery>[] = [
      { secret: "not-the-secret" },
      { signature: `sha256=${"0".repeat(64)}` },
      { signature: "sha256=zz" },
      { signature: null },
    ];
    for (const c of cases) {
      const res = await deliver(app, { event: "delete", payload: deleteEvent("claude/a"), id: "11111111-0000-0000-0000-000000000001", ...c });
      expect(res.status).toBe(401);
      expect(res.body.status).toBe("unauthorized");
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
    expect(rows()).toEqual([
      { task_id: "t-a", branch: "claude/a", completion_reason: null },
      { task_id: "t-b", branch: "claude/b", completion_reason: null },
    ]);
    // The refused deliveries did not burn their id: the genuine one with that id is handled.
    expect(deliveries()).toEqual([]);
    const genuine = await deliver(app, { event: "delete", payload: deleteEvent("claude/a"), id: "11111111-0000-0000-0000-000000000001" });
    expect(genuine.body.completed).toEqual(["t-a"]);
    expect(logged.join("\n")).not.toContain(SECRET);
  });
});

describe("events", () => {
  test("a deleted branch completes exactly its claims as branch_removed", async () => {
    const app = makeApp();
    const res = await deliver(app, { event: "delete", payload: deleteEvent("claude/a"), id: "d-1" });
    expect(res).toEqual({ status: 200, body: { status: "ok", event: "delete", delivery: "d-1", completed: ["t-a"] } });
    expect(rows()).toEqual([
      { task_id: "t-a", branch: "claude/a", completion_reason: "branch_removed" },
      { task_id: "t-b", branch: "claude/b", completion_reason: null },
    ]);
    expect(db.sqlite.query("SELECT completed_at_ms FROM claims WHERE task_id = 't-a'").get()).toEqual({ completed_at_ms: now });
    // A tag deletion is not a branch.
    const tag = await deliver(app, { event: "delete", payload: { ...deleteEvent("claude/b"), ref_type: "tag" } });
    expect([tag.body.status, tag.body.reason]).toEqual(["ignored", "not a branch"]);
    expect(rows()[1]).toEqual({ task_id: "t-b", branch: "claude/b", completion_reason: null });
  });

  test("a push with deleted: true completes the claims of that branch", async () => {
    const res = await deliver(makeApp(), { event: "push", payload: pushEvent("refs/heads/claude/b", { deleted: true, after: "0".repeat(40) }) });
    expect([res.status, res.body.status, res.body.completed]).toEqual([200, "ok", ["t-b"]]);
    expect(rows()).toEqual([
      { task_id: "t-a", branch: "claude/a", completion_reason: null },
      { task_id: "t-b", branch: "claude/b", completion_reason: "branch_removed" },
    ]);
    expect(refreshes).toBe(0);
  });

  test("a closed pull request, merged or not, completes the claims of its head branch; forks, other actions and main are ignored", async () => {
    const app = makeApp();
    await claimTask(store, { repo: "Octo-Org/Repo", session_id: C, task_id: "t-main", branch: "main", plan_file: "" }, clockAt(now), DEFAULT_POLICY);
    const ignoredCases: [unknown, string][] = [
      [prEvent("opened", "claude/a"), "pull_request opened"],
      [prEvent("closed", "claude/a", "someone/fork"), "the pull request comes from another repository"],
      [prEvent("closed", "claude/a", null), "the pull request has no head branch"],
      [prEvent("closed", "main"), "the pull request's head is main"],
    ];
    for (const [payload, reason] of ignoredCases) {
      const res = await deliver(app, { event: "pull_request", payload });
      expect([res.status, res.body.status, res.body.reason]).toEqual([200, "ignored", reason]);
    }
    expect(rows().every((r) => (r as { completion_reason: unknown }).completion_reason === null)).toBe(true);
    const merged = await deliver(app, { event: "pull_request", payload: prEvent("closed", "claude/a") });
    expect(merged.body.completed).toEqual(["t-a"]);
    const unmerged = await deliver(app, { event: "pull_request", payload: { ...prEvent("closed", "claude/b"), pull_request: { merged: false, head: { ref: "claude/b", repo: { full_name: "Octo-Org/Repo" } } } } });
    expect(unmerged.body.completed).toEqual(["t-b"]);
    expect(rows()).toEqual([
      { task_id: "t-a", branch: "claude/a", completion_reason: "branch_removed" },
      { task_id: "t-b", branch: "claude/b", completion_reason: "branch_removed" },
      { task_id: "t-main", branch: "main", completion_reason: null },
    ]);
  });

  test("a push to main refreshes the mirror before answering; a failed refresh is logged; a slow one answers pending", async () => {
    const app = makeApp();
    const ok = await deliver(app, { event: "push", payload: pushEvent("refs/heads/main"), id: "p-1" });
    expect(ok).toEqual({ status: 200, body: { status: "ok", event: "push", delivery: "p-1", completed: [], refresh: "refreshed" } });
    expect(refreshes).toBe(1);
    refreshBehaviour = "fail";
    const failed = await deliver(app, { event: "push", payload: pushEvent("refs/heads/main") });
    expect([failed.status, failed.body.refresh]).toEqual([200, "failed"]);
    expect(logged.some((l) => l.includes("refreshing Octo-Org/Repo after a push to main failed (cannot reach the remote)"))).toBe(true);
    refreshBehaviour = "slow";
    const slow = await deliver(app, { event: "push", payload: pushEvent("refs/heads/main") });
    expect([slow.status, slow.body.refresh]).toEqual([200, "pending"]);
    const other = await deliver(app, { event: "push", payload: pushEvent("refs/heads/claude/a") });
    expect([other.body.status, other.body.reason]).toEqual(["ignored", "a push to claude/a, not to main"]);
    expect(refreshes).toBe(3);
    expect(rows().every((r) => (r as { completion_reason: unknown }).completion_reason === null)).toBe(true);
  });

  test("ping, unused events and repositories outside the whitelist are ignored", async () => {
    const app = makeApp();
    const cases: [string, unknown, string][] = [
      ["ping", { zen: "Keep it logically awesome.", hook_id: 1, repository }, "ping"],
      ["issues", { action: "opened", repository }, "event issues is not used"],
      ["delete", { ...deleteEvent("claude/a"), repository: { full_name: "other/repo" } }, "repository other/repo is not in the whitelist"],
      ["delete", { ref: "claude/a", ref_type: "branch" }, "the payload names no repository"],
    ];
    for (const [event, payload, reason] of cases) {
      const res = await deliver(app, { event, payload });
      expect([res.status, res.body.status, res.body.reason]).toEqual([200, "ignored", reason]);
    }
    expect(rows().every((r) => (r as { completion_reason: unknown }).completion_reason === null)).toBe(true);
  });

  test("a form-encoded delivery is read from its payload field", async () => {
    const res = await deliver(makeApp(), { event: "delete", payload: deleteEvent("claude/a"), form: true });
    expect(res.body.completed).toEqual(["t-a"]);
  });
});

describe("replays and failures", () => {
  test("a replayed delivery id is ignored: a new claim on the same branch survives the replay", async () => {
    const app = makeApp();
    const id = "f00dbabe-0000-4000-8000-000000000001";
    expect((await deliver(app, { event: "delete", payload: deleteEvent("claude/a"), id })).body.completed).toEqual(["t-a"]);
    await claimTask(store, { repo: "Octo-Org/Repo", session_id: C, task_id: "t-c", branch: "claude/a", plan_file: "" }, clockAt(now), DEFAULT_POLICY);
    const replay = await deliver(app, { event: "delete", payload: deleteEvent("claude/a"), id });
    expect(replay).toEqual({ status: 200, body: { status: "duplicate", event: "delete", delivery: id, completed: [] } });
    expect(rows()).toEqual([
      { task_id: "t-a", branch: "claude/a", completion_reason: "branch_removed" },
      { task_id: "t-b", branch: "claude/b", completion_reason: null },
      { task_id: "t-c", branch: "claude/a", completion_reason: null },
    ]);
    // Also from another service process on the same database, and after a restart.
    const other = makeApp();
    expect((await deliver(other, { event: "delete", payload: deleteEvent("claude/a"), id })).body.status).toBe("duplicate");
    // After the retention, the id is forgotten.
    now += DELIVERY_RETENTION_MS + 1;
    await deliver(app, { event: "ping", payload: { repository } });
    expect(deliveries()).not.toContainEqual({ delivery_id: id });
  });

  test("missing delivery or event headers and a payload that is not JSON are 400, recording nothing", async () => {
    const app = makeApp();
    const text = "{not json";
    const signature = await sign(SECRET, text);
    const send = (headers: Record<string, string>, body: string) =>
      app.handle(new Request("http://localhost/webhooks/github", { method: "POST", headers: { "content-type": "application/json", ...headers }, body }));
    const good = JSON.stringify(deleteEvent("claude/a"));
    const goodSig = await sign(SECRET, good);
    const noDelivery = await send({ "x-github-event": "delete", "x-hub-signature-256": goodSig }, good);
    expect([noDelivery.status, ((await noDelivery.json()) as { status: string }).status]).toEqual([400, "invalid_request"]);
    const noEvent = await send({ "x-github-delivery": "x-1", "x-hub-signature-256": goodSig }, good);
    expect(noEvent.status).toBe(400);
    const notJson = await send({ "x-github-delivery": "x-2", "x-github-event": "delete", "x-hub-signature-256": signature }, text);
    expect([notJson.status, ((await notJson.json()) as { message: string }).message]).toEqual([400, "The delivery's payload is not valid JSON."]);
    expect(deliveries()).toEqual([]);
    expect(rows().every((r) => (r as { completion_reason: unknown }).completion_reason === null)).toBe(true);
  });

  test("when handling fails the delivery id is released, so GitHub's redelivery is handled", async () => {
    let failures = 1;
    const flaky: ClaimStore = {
      ...store,
      transact: (clock, fn) => {
        if (failures-- > 0) return Promise.reject(new Error("database is locked"));
        return store.transact(clock, fn);
      },
      listActive: (r, s) => store.listActive(r, s),
    };
    const app = makeApp({ store: flaky });
    const id = "r-1";
    const first = await deliver(app, { event: "delete", payload: deleteEvent("claude/a"), id });
    expect([first.status, first.body.status]).toEqual([500, "internal_error"]);
    expect(deliveries()).toEqual([]);
    const again = await deliver(app, { event: "delete", payload: deleteEvent("claude/a"), id });
    expect(again.body.completed).toEqual(["t-a"]);
  });

  test("without a webhook secret there is no webhook route", async () => {
    const res = await deliver(makeApp({ webhooks: false }), { event: "delete", payload: deleteEvent("claude/a") });
    expect([res.status, res.body.status]).toEqual([404, "not_found"]);
  });

  test("deliveries larger than the API's 64 KiB are accepted up to the webhook limit; beyond it 413", async () => {
    const app = makeApp();
    const big = await deliver(app, { event: "delete", payload: { ...deleteEvent("claude/a"), padding: "x".repeat(200_000) } });
    expect(big.body.completed).toEqual(["t-a"]);
    const huge = await deliver(app, { event: "delete", payload: { ...deleteEvent("claude/b"), padding: "x".repeat(WEBHOOK_BODY_LIMIT_BYTES) } });
    expect([huge.status, huge.body.status]).toEqual([413, "payload_too_large"]);
    // The API routes keep their own limit.
    const res = await app.handle(
      new Request("http://localhost/claim", { method: "POST", headers: { "content-type": "application/json", "content-length": "200000" }, body: "x".repeat(200_000) }),
    );
    expect(res.status).toBe(413);
  });
});
