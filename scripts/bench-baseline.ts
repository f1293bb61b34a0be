// The benchmark's baseline: a raw Bun.serve + bun:sqlite claim service with the same durability settings and no framework.
import { Database } from "bun:sqlite";

const path = process.argv[2];
if (!path) throw new Error("usage: bun scripts/bench-baseline.ts <db path>");
const db = new Database(path, { create: true });
db.run("PRAGMA journal_mode = WAL");
db.run("PRAGMA synchronous = FULL");
db.run("PRAGMA busy_timeout = 5000");
db.run(`CREATE TABLE IF NOT EXISTS claims (id INTEGER PRIMARY KEY AUTOINCREMENT, repo TEXT NOT NULL, task_id TEXT NOT NULL, session_id TEXT NOT NULL,
  branch TEXT NOT NULL, plan_file TEXT NOT NULL, fence INTEGER NOT NULL, claimed_at_ms INTEGER NOT NULL, completed_at_ms INTEGER, completion_reason TEXT)`);
db.run("CREATE UNIQUE INDEX IF NOT EXISTS a_task ON claims (repo, task_id) WHERE completed_at_ms IS NULL");
db.run("CREATE UNIQUE INDEX IF NOT EXISTS a_session ON claims (repo, session_id) WHERE completed_at_ms IS NULL");
db.run("CREATE TABLE IF NOT EXISTS fence (v INTEGER NOT NULL)");
if (!db.query("SELECT v FROM fence").get()) db.run("INSERT INTO fence (v) VALUES (0)");

const byTask = db.query("SELECT * FROM claims WHERE repo = ? AND task_id = ? AND completed_at_ms IS NULL");
const bySession = db.query("SELECT * FROM claims WHERE repo = ? AND session_id = ? AND completed_at_ms IS NULL");
const bump = db.query("UPDATE fence SET v = v + 1 RETURNING v");
const insert = db.query("INSERT INTO claims (repo, task_id, session_id, branch, plan_file, fence, claimed_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
const active = db.query("SELECT session_id, task_id, branch, plan_file, claimed_at_ms, fence FROM claims WHERE repo = ? AND completed_at_ms IS NULL");
const done = db.query("SELECT session_id, task_id, branch, completed_at_ms, completion_reason FROM claims WHERE repo = ? AND completed_at_ms IS NOT NULL");

type Body = { repo: string; task_id: string; session_id: string; branch: string; plan_file?: string };
const claim = db.transaction((b: Body) => {
  const held = byTask.get(b.repo, b.task_id) as { session_id: string; fence: number } | null;
  if (held) return held.session_id === b.session_id ? { status: 200, body: { status: "claimed", task_id: b.task_id, fence: held.fence } } : { status: 409, body: { status: "conflict" } };
  if (bySession.get(b.repo, b.session_id)) return { status: 409, body: { status: "session_has_claim" } };
  const fence = (bump.get() as { v: number }).v;
  insert.run(b.repo, b.task_id, b.session_id, b.branch, b.plan_file ?? "", fence, Date.now());
  return { status: 200, body: { status: "claimed", task_id: b.task_id, fence } };
});

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  maxRequestBodySize: 64 * 1024,
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/claim") {
      const r = claim.immediate((await req.json()) as Body);
      return Response.json(r.body, { status: r.status });
    }
    if (req.method === "GET" && url.pathname === "/claims") {
      const repo = url.searchParams.get("repo") ?? "";
      return Response.json({ active: active.all(repo), recently_completed: done.all(repo) });
    }
    return new Response("not found", { status: 404 });
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);
