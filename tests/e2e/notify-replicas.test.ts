// Notifications from three replicas of the compiled service on one PostgreSQL (SPEC §12, §13): one delivery per event and target whichever replicas see the events, retries after 500s, a replica killed with -9 before the delivery leaves it to the survivors, once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cloneSession, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";
import { type Got, type Receiver, receiver, until, verifyStandardWebhook } from "../helpers/notify-receiver.ts";
import { postgresMissing, startPostgres, type PgCluster } from "../helpers/postgres.ts";

const REPO = "acme/notify-replicas";
const PR = "https://github.com/acme/notify-replicas/pull/7";
const SECRET = `whsec_${Buffer.from("the replicas' test secret, 32 b!").toString("base64")}`;

/** The notification a json request carries. */
const parsed = (g: Got) => JSON.parse(g.body) as { type: string; data: { session: string; text: string; url?: string } };

describe.skipIf(postgresMissing() !== undefined)("notifications from three replicas on one PostgreSQL", () => {
  let root: string;
  let work: string;
  let cluster: PgCluster;
  let hook: Receiver;
  let config: string;
  let db: SQL;
  let replicas: ServiceProcess[] = [];
  /** Replicas stopped or killed along the way, kept for their output and for the final stop. */
  const gone: ServiceProcess[] = [];

  beforeAll(async () => {
    root = tempDir("notify-replicas");
    const { origin } = makeOrigin(root);
    work = cloneSession(origin, root, "w");
    cluster = await startPostgres();
    const url = await cluster.createDatabase("notify_replicas");
    db = new SQL({ url, max: 1 });
    hook = receiver();
    config = join(root, "service.toml");
    writeFileSync(config, `[server]\nport = 0\ndatabase = "${url}"\n[[repos]]\nname = "${REPO}"\nsource = "${origin}"\n[[notify]]\nurl = "${hook.url}"\nformat = "json"\nsecret = "${SECRET}"\n`);
    replicas = await Promise.all([0, 1, 2].map(() => startService(["--config", config], { cwd: root, timeout_ms: 30_000 })));
  }, 90_000);
  afterAll(async () => {
    await Promise.all([...replicas, ...gone].map((r) => r.stop()));
    await db?.close();
    hook?.stop();
    cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  /** Runs the client as session `sid` against replica `i`; expects exit 0. */
  async function as(sid: string, i: number, args: string[]): Promise<void> {
    const r = await runClient(args, { cwd: work, env: { CLAUDE_COORD_REPO: REPO, CLAUDE_COORD_URL: replicas[i]!.url, CLAUDE_COORD_SESSION_ID: sid } });
    expect([r.code, r.stderr]).toEqual([0, ""]);
  }
  const of = (sid: string) => hook.got.filter((g) => parsed(g).data.session === sid.slice(0, 8));
  /** The stored delivery rows of session `sid`: [kind, status, attempts] in creation order. */
  const rows = async (sid: string) =>
    ((await db`SELECT kind, status, attempts FROM notify_deliveries WHERE key LIKE ${`%:${sid.slice(0, 8)}:%`} ORDER BY id`) as Array<{ kind: string; status: string; attempts: number }>).map((r) => [r.kind, r.status, r.attempts]);

  test("a session's events spread over the replicas reach the receiver once each (stuck, plan ready, PR ready), signed, whichever replica sends; nine sessions stuck at once make nine deliveries", async () => {
    const sid = "c0ffee01-replica-session-0001";
    const steps: Array<[number, string[]]> = [
      [0, ["heartbeat", "--state", "working"]],
      [1, ["stuck", "--reason", "Which queue?"]],
      [2, ["stuck", "--reason", "Which queue?"]],
      [0, ["heartbeat", "--state", "planning_complete", "--plan", "1. schema 2. store"]],
      [1, ["heartbeat", "--state", "planning_complete"]],
      [2, ["heartbeat", "--state", "working"]],
      [0, ["heartbeat", "--state", "complete", "--pr", PR]],
      [1, ["heartbeat", "--state", "complete", "--pr", PR]],
    ];
    for (const [i, args] of steps) await as(sid, i, args);
    await until("three deliveries", () => of(sid).length >= 3);
    // Every replica scans twice a second: give each a few passes to send a second copy, were it able to.
    await Bun.sleep(2000);
    const got = of(sid);
    expect(got.map((g) => [parsed(g).type, g.answered])).toEqual([
      ["claude-coord.stuck", 200],
      ["claude-coord.plan_ready", 200],
      ["claude-coord.pr_ready", 200],
    ]);
    expect([parsed(got[0]!).data.text, parsed(got[2]!).data.url]).toEqual([`${REPO}: session ${sid.slice(0, 8)} is stuck: Which queue?`, PR]);
    for (const g of got) expect(verifyStandardWebhook(SECRET, g.headers, g.body)).toBe(true);
    expect(new Set(got.map((g) => g.headers["webhook-id"])).size).toBe(3);

    // Nine sessions stuck at once, three through each replica: nine deliveries, one each.
    const many = Array.from({ length: 9 }, (_, i) => `c0ffee1${i}-replica-session-many`);
    await Promise.all(many.map((s, i) => as(s, i % 3, ["stuck", "--reason", `crowd ${i}`])));
    await until("nine more deliveries", () => many.every((s) => of(s).length >= 1));
    await Bun.sleep(2000);
    expect(many.map((s) => of(s).map((g) => [parsed(g).type, g.answered]))).toEqual(many.map(() => [["claude-coord.stuck", 200]]));
    expect(await rows(sid)).toEqual([
      ["stuck", "delivered", 1],
      ["plan_ready", "delivered", 1],
      ["pr_ready", "delivered", 1],
    ]);
    for (const s of many) expect(await rows(s)).toEqual([["stuck", "delivered", 1]]);
    for (const r of replicas) expect(r.output()).not.toContain(SECRET);
    // The replicas' logs say each delivery once, naming the session (none folded into "repeated").
    const logged = replicas.flatMap((r) => r.output().match(/notify: \w+ for \S+ session \w{8} delivered to notify\[0\] \(json\)/g) ?? []);
    expect(logged.length).toBe(12);
    expect(logged.filter((l) => l.startsWith("notify: stuck") && l.includes(`session ${sid.slice(0, 8)} `)).length).toBe(1);
  }, 60_000);

  test("a receiver answering 500 twice then 200 gets the delivery once, after two retries, all with one webhook-id", async () => {
    const sid = "c0ffee02-replica-session-0002";
    hook.answers.push(500, 500);
    const started = Date.now();
    await as(sid, 2, ["stuck", "--reason", "retry me"]);
    await until("a 200", () => of(sid).some((g) => g.answered === 200));
    await Bun.sleep(2000);
    const got = of(sid);
    expect(got.map((g) => [parsed(g).type, g.answered])).toEqual([
      ["claude-coord.stuck", 500],
      ["claude-coord.stuck", 500],
      ["claude-coord.stuck", 200],
    ]);
    expect(new Set(got.map((g) => g.headers["webhook-id"])).size).toBe(1);
    expect(await rows(sid)).toEqual([["stuck", "delivered", 3]]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(replicas.map((r) => r.output()).join("\n")).toMatch(/notify: stuck for acme\/notify-replicas session c0ffee02 to notify\[0\] \(json\) failed \(HTTP 500, attempt 1\); retry in 1 s/);
  }, 60_000);

  test("the replica that took the event killed with -9 before the delivery: a survivor delivers it once, and the restarted replica sends nothing more", async () => {
    const sid = "c0ffee03-replica-session-0003";
    // The receiver is failing when the event happens, so the delivery is pending when the replica dies.
    hook.fallback = 503;
    await as(sid, 0, ["stuck", "--reason", "survive a crash"]);
    // Logged after the attempt is stored: the row's lease is released, the retry due in 1 s.
    await until("a failed attempt, stored", () => replicas.some((r) => r.output().includes("failed (HTTP 503, attempt 1)")));
    const [killed] = replicas.splice(0, 1);
    killed!.proc.kill("SIGKILL");
    await killed!.proc.exited;
    gone.push(killed!);
    hook.fallback = 200;
    await until("the delivery by a survivor", () => of(sid).some((g) => g.answered === 200));
    const restarted = await startService(["--config", config], { cwd: root, timeout_ms: 30_000 });
    replicas.push(restarted);
    await Bun.sleep(2000);
    const got = of(sid);
    expect(got.filter((g) => g.answered === 200).map((g) => parsed(g).data.text)).toEqual([`${REPO}: session ${sid.slice(0, 8)} is stuck: survive a crash`]);
    expect(got.slice(0, -1).every((g) => g.answered === 503)).toBe(true);
    expect(new Set(got.map((g) => g.headers["webhook-id"])).size).toBe(1);
    expect(restarted.output()).not.toContain("delivered to");
    expect(await rows(sid)).toEqual([["stuck", "delivered", got.length]]);
  }, 60_000);
});
