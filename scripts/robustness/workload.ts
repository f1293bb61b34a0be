// The linearizability workload: concurrent clients sending random claim, re-claim, complete, expire and list requests over real HTTP, each recorded with its invoke and return times and its answer.
import { prng } from "../../tests/helpers/git-fixture.ts";
import { ADMIN_TOKEN, call, sessionId, type Access } from "./fixture.ts";
import type { Op, OpResult } from "./linearizability.ts";

/** The workload's size: clients sending at once, operations in all, tasks and sessions drawn from, and a bound on wall time. */
export interface WorkloadSize {
  clients: number;
  operations: number;
  tasks: number;
  sessions: number;
  max_seconds: number;
}

/** SPEC-sized: 64 clients, 10,000 operations over 16 tasks and 100 sessions, at most 10 minutes. */
export const FULL_WORKLOAD: WorkloadSize = { clients: 64, operations: 10_000, tasks: 16, sessions: 100, max_seconds: 600 };

/** A small deterministic random source (mulberry32), so a failing run can be replayed from its seed. */
export const random = prng;

/** Turns an HTTP answer into the checker's result; anything unexpected is an `error` (no definite answer). */
function interpret(op: Op["op"], status: number, body: Record<string, unknown> | undefined): OpResult {
  const b = body ?? {};
  if (op === "claim") {
    if (status === 200 && b.status === "claimed") return { kind: "claim", status: "granted", fence: Number(b.fence) };
    if (status === 409 && b.status === "conflict") return { kind: "claim", status: "conflict", holder: String((b.claimed_by as { session?: unknown } | undefined)?.session) };
    if (status === 409 && b.status === "session_has_claim") return { kind: "claim", status: "session_has_claim" };
  } else if (op === "complete") {
    if (status === 200 && b.status === "completed") return { kind: "complete", status: "completed" };
    if (status === 404 && b.status === "not_found") return { kind: "complete", status: "not_found" };
    if (status === 403 && b.status === "forbidden") return { kind: "complete", status: "forbidden" };
  } else if (op === "expire") {
    if (status === 200 && b.status === "expired") return { kind: "expire", status: "expired", session: String(b.session) };
    if (status === 404 && b.status === "not_found") return { kind: "expire", status: "not_found" };
  } else if (status === 200 && Array.isArray(b.active)) {
    return { kind: "list", active: (b.active as { task_id: string; session: string; fence: number }[]).map((a) => ({ task_id: a.task_id, session: a.session, fence: a.fence })) };
  }
  return { kind: "error", detail: `HTTP ${status} ${JSON.stringify(body).slice(0, 200)}` };
}

/**
 * Runs the workload against `urls` (one or several replicas; each client picks one at random per
 * request) and returns every operation. The mix: claim 40 % (30 % of them a re-claim of the
 * session's last granted task), complete 30 % (90 % of the session's own claim when it has one), expire
 * 5 % (admin, by task), list 25 %. Times are `performance.now()` ms of this process.
 */
export async function runWorkload(urls: readonly string[], access: Access, size: WorkloadSize, seed: number): Promise<Op[]> {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const tasks = Array.from({ length: size.tasks }, (_, i) => `task-${String(i).padStart(2, "0")}`);
  const sessions = Array.from({ length: size.sessions }, (_, i) => sessionId(i));
  const lastGranted = new Map<string, string>();
  const ops: Op[] = [];
  const deadline = performance.now() + size.max_seconds * 1000;
  let issued = 0;
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const query = `?repo=${encodeURIComponent(access.repo)}&token=${encodeURIComponent(access.token)}&commit_sha=${access.commit_sha}`;
  const client = async (c: number) => {
    while (issued < size.operations && performance.now() < deadline) {
      const id = issued++;
      const r = rnd();
      const session = pick(sessions);
      const kind: Op["op"] = r < 0.4 ? "claim" : r < 0.7 ? "complete" : r < 0.75 ? "expire" : "list";
      const own = lastGranted.get(session);
      const task = kind === "list" ? undefined : own !== undefined && ((kind === "claim" && rnd() < 0.3) || (kind === "complete" && rnd() < 0.9)) ? own : pick(tasks);
      const url = pick(urls);
      const invoke_ms = performance.now();
      let result: OpResult;
      try {
        let res;
        if (kind === "claim") res = await call(url, "POST", "/claim", { ...access, session_id: session, task_id: task, branch: `claude/${session}` });
        else if (kind === "complete") res = await call(url, "POST", "/complete", { ...access, session_id: session, task_id: task });
        else if (kind === "expire") res = await call(url, "DELETE", "/claim", { repo: access.repo, task_id: task }, admin);
        else res = await call(url, "GET", `/claims${query}`);
        result = interpret(kind, res.status, res.body);
      } catch (e) {
        result = { kind: "error", detail: e instanceof Error ? e.message : String(e) };
      }
      const return_ms = performance.now();
      if (result.kind === "claim" && result.status === "granted") lastGranted.set(session, task!);
      if (result.kind === "complete" && result.status === "completed" && lastGranted.get(session) === task) lastGranted.delete(session);
      ops.push({ id, client: c, op: kind, session: kind === "claim" || kind === "complete" ? session : undefined, task, invoke_ms, return_ms, result });
    }
  };
  await Promise.all(Array.from({ length: size.clients }, (_, c) => client(c)));
  return ops.sort((a, b) => a.id - b.id);
}
