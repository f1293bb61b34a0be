// `claude-coord watch` (the compiled binary) across a service restart: it reconnects by itself and resumes the event stream with Last-Event-ID, so an event made while it was away reaches it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { binary, cloneSession, makeOrigin, runClient, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

let root: string;
let origin: string;
let work: string;

beforeAll(() => {
  root = tempDir("watch-reconnect");
  ({ origin } = makeOrigin(root));
  work = cloneSession(origin, root, "w");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One `watch --json` frame, the parts this test reads. */
interface Frame {
  status: string;
  last_event: { id: number; type: string; data: Record<string, unknown> } | null;
  claims: { active: { task_id: string }[] };
}

test("watch resumes after the service is restarted: an event made while it was disconnected is the last event it shows", async () => {
  const db = join(root, "coord.db");
  const repoArg = `acme/w=${origin}`;
  let service: ServiceProcess | undefined = await startService(["--port", "0", "--db", db, "--repo", repoArg]);
  const port = service.port;
  const env = (url: string, session: string) => ({ CLAUDE_COORD_REPO: "acme/w", CLAUDE_COORD_URL: url, CLAUDE_COORD_SESSION_ID: session });
  const url = service.url;
  const watch = Bun.spawn([await binary(), "watch", "--json"], { cwd: work, env: { ...process.env, ...env(url, "watcher-session-0000") }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const reader = (watch.stdout as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = "";
  const frames: Frame[] = [];
  /** Reads frames until `pred` holds for the newest one or `ms` passes; returns that frame. */
  const until = async (pred: (f: Frame) => boolean, ms: number): Promise<Frame | undefined> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = frames.at(-1);
      if (f && pred(f)) return f;
      if (Date.now() >= deadline) return undefined;
      const r = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - Date.now())).then(() => undefined)]);
      if (!r) continue;
      if (r.done) return undefined;
      buf += dec.decode(r.value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) frames.push(JSON.parse(line) as Frame);
      }
    }
  };
  let other: ServiceProcess | undefined;
  try {
    expect((await until((f) => f.status === "live; Ctrl-C to quit", 10_000))?.status).toBe("live; Ctrl-C to quit");
    expect((await runClient(["claim", "--task", "task-a"], { cwd: work, env: env(url, "one-session-0001") })).code).toBe(0);
    const before = await until((f) => f.last_event !== null && f.claims.active.length === 1, 10_000);
    expect(before?.last_event?.id).toBeGreaterThan(0);

    // The service goes away: watch says it is reconnecting.
    expect(await service.stop()).toBe(0);
    service = undefined;
    expect((await until((f) => f.status.startsWith("reconnecting in "), 10_000))?.status).toMatch(/^reconnecting in \d+\.\d s, attempt 1: /);

    // While watch is away, a second service on the same database takes a claim (port `port` stays closed).
    other = await startService(["--port", "0", "--db", db, "--repo", repoArg]);
    expect((await runClient(["claim", "--task", "task-b"], { cwd: work, env: env(other.url, "two-session-0002") })).code).toBe(0);
    expect(await other.stop()).toBe(0);
    other = undefined;
    const d = new Database(db, { readonly: true });
    const newest = d.query("SELECT id, type FROM events WHERE repo = 'acme/w' ORDER BY id DESC LIMIT 1").get() as { id: number; type: string };
    d.close();
    expect(newest.id).toBeGreaterThan(before!.last_event!.id);

    // The service comes back on the same port and database: watch reconnects and gets what it missed.
    service = await startService(["--port", String(port), "--db", db, "--repo", repoArg]);
    const after = await until((f) => f.status === "live; Ctrl-C to quit" && f.last_event?.id === newest.id, 20_000);
    expect([after?.last_event?.id, after?.last_event?.type]).toEqual([newest.id, newest.type]);
    expect(after?.claims.active.map((c) => c.task_id).sort()).toEqual(["task-a", "task-b"]);
    watch.kill("SIGINT");
    expect(await watch.exited).toBe(0);
    expect(await new Response(watch.stderr as ReadableStream<Uint8Array>).text()).toBe("");
  } finally {
    watch.kill("SIGKILL");
    await other?.stop();
    await service?.stop();
  }
}, 60_000);
