// Server-sent events from the compiled service: a claim by another process arrives within 1 s; a reconnect with Last-Event-ID gets what it missed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { binary, cloneSession, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

let root: string;
let work: string;
let service: ServiceProcess;
let q: string;

beforeAll(async () => {
  root = tempDir("events");
  const { origin } = makeOrigin(root);
  work = cloneSession(origin, root, "w");
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/ev=${origin}`]);
  const tok = JSON.parse(Bun.spawnSync([await binary(), "token", "--json"], { cwd: work }).stdout.toString());
  q = new URLSearchParams({ repo: "acme/ev", token: tok.token, commit_sha: tok.head_sha }).toString();
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Reads SSE blocks from `res` until `until` says stop or `timeout_ms` passes; returns the events seen. */
async function collect(res: Response, until: (seen: { id: number; event: string; data: Record<string, unknown> }[]) => boolean, timeout_ms: number) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const seen: { id: number; event: string; data: Record<string, unknown> }[] = [];
  let buf = "";
  const deadline = Date.now() + timeout_ms;
  while (!until(seen) && Date.now() < deadline) {
    const r = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - Date.now())).then(() => undefined)]);
    if (!r || r.done) break;
    buf += dec.decode(r.value);
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const lines = buf.slice(0, i).split("\n").filter((l) => l && !l.startsWith(":"));
      buf = buf.slice(i + 2);
      const f = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]));
      if (f.event) seen.push({ id: Number(f.id), event: f.event, data: JSON.parse(f.data ?? "null") });
    }
  }
  await reader.cancel().catch(() => {});
  return seen;
}

test("a subscriber receives a claim made by another process within 1 s, and after a reconnect with Last-Event-ID what it missed", async () => {
  const ctl = new AbortController();
  const res = await fetch(`${service.url}/events?${q}`, { signal: ctl.signal });
  expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/event-stream; charset=utf-8"]);
  const env = { CLAUDE_COORD_REPO: "acme/ev", CLAUDE_COORD_URL: service.url };
  let granted_at = 0;
  const claimed = runClient(["claim", "--task", "task-a"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: "events-one-session-01" } }).then((r) => {
    granted_at = performance.now();
    return r;
  });
  const first = await collect(res, (s) => s.some((e) => e.event === "claimed"), 5000);
  const arrived_at = performance.now();
  expect((await claimed).code).toBe(0);
  ctl.abort();
  const ev = first.find((e) => e.event === "claimed")!;
  expect(ev.data).toMatchObject({ session: "events-o", task_id: "task-a", branch: "claude/w", fence: 1 });
  // The claim process has exited by `granted_at` (the grant is older still): the event came at most 1 s after it.
  expect(arrived_at - granted_at).toBeLessThan(1000);

  // While disconnected: a completion and another claim.
  expect((await runClient(["complete", "--task", "task-a"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: "events-one-session-01" } })).code).toBe(0);
  expect((await runClient(["claim", "--task", "task-b"], { cwd: work, env: { ...env, CLAUDE_COORD_SESSION_ID: "events-two-session-02" } })).code).toBe(0);
  const again = await fetch(`${service.url}/events?${q}`, { headers: { "last-event-id": String(ev.id) } });
  const missed = await collect(again, (s) => s.filter((e) => e.event === "completed" || e.event === "claimed").length >= 2, 3000);
  expect(missed.filter((e) => e.event !== "heartbeat").map((e) => [e.event, e.data.task_id])).toEqual([
    ["completed", "task-a"],
    ["claimed", "task-b"],
  ]);
  expect(missed.every((e) => e.id > ev.id)).toBe(true);
});

test("the service stops on SIGTERM even while an /events stream is open", async () => {
  const other = await startService(["--port", "0", "--db", join(root, "stop.db"), "--repo", `acme/ev=${join(root, "origin.git")}`]);
  const res = await fetch(`${other.url}/events?${q}`);
  expect(res.status).toBe(200);
  const started = performance.now();
  expect(await other.stop()).toBe(0);
  expect(performance.now() - started).toBeLessThan(5000);
  await res.body?.cancel().catch(() => {});
});
