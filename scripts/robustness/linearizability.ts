// The linearizability checker of the robustness suite: a recorded history of claim operations against a sequential model of SPEC §3 (Wing & Gong search with Lowe's state cache, per task), plus the cross-task rules.

/** What one operation answered. `error` is anything without a definite answer (5xx, timeout, refused). */
export type OpResult =
  | { kind: "claim"; status: "granted"; fence: number }
  | { kind: "claim"; status: "conflict"; holder: string }
  | { kind: "claim"; status: "session_has_claim" }
  | { kind: "complete"; status: "completed" | "not_found" | "forbidden" }
  | { kind: "expire"; status: "expired"; session: string }
  | { kind: "expire"; status: "not_found" }
  | { kind: "list"; active: { task_id: string; session: string; fence: number }[] }
  | { kind: "error"; detail: string };

/** One recorded operation: who did what to which task, when it was invoked and when its answer arrived (ms, one clock), and the answer. */
export interface Op {
  id: number;
  client: number;
  op: "claim" | "complete" | "expire" | "list";
  /** The full session id (claim, complete); absent for expire and list. */
  session?: string;
  /** The task (claim, complete, expire); absent for list. */
  task?: string;
  invoke_ms: number;
  return_ms: number;
  result: OpResult;
}

/** The checker's verdict: every anomaly found, as sentences naming the operations. */
export interface CheckResult {
  operations: number;
  /** Operations without a definite answer (they make the history unusable: each is also an anomaly). */
  errors: number;
  anomalies: string[];
}

/** The per-task state of the sequential model: who holds the task with which fence, and the highest fence it has seen. */
interface TaskState {
  holder: string | null;
  fence: number;
  max_fence: number;
}

/** Listings show the first 8 characters of a session id (SPEC §3). */
const prefix = (s: string) => s.slice(0, 8);

/**
 * The sequential model of one task (SPEC §3): the state after `op` when its answer is possible in
 * `s`, else undefined. A claim is granted when the task is free (a new fence above every earlier
 * one of the task) or held by the same session (the same fence back: idempotent re-claim); a
 * conflict names the other holder; session_has_claim needs the task free; only the holder completes;
 * expire frees a held task and names its holder; a listing shows the holder and fence, or nothing.
 */
export function step(s: TaskState, op: Op, task: string): TaskState | undefined {
  const r = op.result;
  switch (r.kind) {
    case "claim":
      if (r.status === "granted") {
        if (s.holder === null) return r.fence > s.max_fence ? { holder: op.session!, fence: r.fence, max_fence: r.fence } : undefined;
        return s.holder === op.session && s.fence === r.fence ? s : undefined;
      }
      if (r.status === "conflict") return s.holder !== null && s.holder !== op.session && prefix(s.holder) === r.holder ? s : undefined;
      return s.holder === null ? s : undefined;
    case "complete":
      if (r.status === "completed") return s.holder === op.session ? { ...s, holder: null } : undefined;
      if (r.status === "not_found") return s.holder === null ? s : undefined;
      return s.holder !== null && s.holder !== op.session ? s : undefined;
    case "expire":
      if (r.status === "expired") return s.holder !== null && prefix(s.holder) === r.session ? { ...s, holder: null } : undefined;
      return s.holder === null ? s : undefined;
    case "list": {
      const e = r.active.find((a) => a.task_id === task);
      if (e === undefined) return s.holder === null ? s : undefined;
      return s.holder !== null && prefix(s.holder) === e.session && s.fence === e.fence ? s : undefined;
    }
    case "error":
      return undefined;
  }
}

function sameState(a: TaskState, b: TaskState): boolean {
  return a.holder === b.holder && a.fence === b.fence && a.max_fence === b.max_fence;
}

interface Entry {
  call: boolean;
  op: Op;
  index: number;
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

/**
 * Searches for a linearization of `ops` (all on `task`, or lists) against `step`, starting from a
 * free task. Wing & Gong's backtracking over the calls that may go next, with Lowe's cache of
 * (set of linearized operations, state) pairs already explored, so the search is polynomial in
 * practice for histories with bounded concurrency. Returns true when one exists. Throws when the
 * search exceeds `max_steps` (a history too concurrent to decide).
 */
export function linearizable(ops: readonly Op[], task: string, max_steps = 20_000_000): boolean {
  const events: Entry[] = [];
  ops.forEach((op, index) => {
    const call: Entry = { call: true, op, index };
    const ret: Entry = { call: false, op, index, match: call };
    call.match = ret;
    events.push(call, ret);
  });
  // At equal times calls go first: operations touching in time count as concurrent (the permissive reading).
  events.sort((a, b) => (a.call ? a.op.invoke_ms : a.op.return_ms) - (b.call ? b.op.invoke_ms : b.op.return_ms) || (a.call === b.call ? 0 : a.call ? -1 : 1));
  const head: Entry = { call: false, op: ops[0] ?? ({} as Op), index: -1 };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  const lift = (e: Entry) => {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry) => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  };
  const bits = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const key = (s: TaskState) => `${bits.join(",")}|${s.holder}|${s.fence}|${s.max_fence}`;
  const cache = new Set<string>();
  const stack: [Entry, TaskState, boolean][] = [];
  let state: TaskState = { holder: null, fence: 0, max_fence: 0 };
  let entry = head.next;
  let steps = 0;
  while (head.next !== undefined) {
    if (++steps > max_steps) throw new Error(`linearizability search for task ${task} exceeded ${max_steps} steps`);
    if (entry === undefined) return false;
    if (entry.call) {
      const next = step(state, entry.op, task);
      if (next !== undefined) {
        bits[entry.index >> 5]! |= 1 << (entry.index & 31);
        const k = key(next);
        if (!cache.has(k)) {
          cache.add(k);
          stack.push([entry, state, sameState(next, state)]);
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        bits[entry.index >> 5]! &= ~(1 << (entry.index & 31));
      }
      entry = entry.next;
    } else {
      // An operation that left the state as it was (a read, a conflict, a re-claim) was taken as soon
      // as it could go: any linearization placing it later can place it there instead, so when the
      // search below it failed, trying other operations in its place cannot succeed either.
      for (;;) {
        const top = stack.pop();
        if (top === undefined) return false;
        const [e, s, unchanged] = top;
        state = s;
        bits[e.index >> 5]! &= ~(1 << (e.index & 31));
        unlift(e);
        entry = e.next;
        if (!unchanged) break;
      }
    }
  }
  return true;
}

/**
 * Checks a whole history: (1) per task, a linearization against the model exists (claims,
 * completes and expires of the task, and every listing's view of it); (2) fences of new grants are
 * distinct and increase in real-time order (a grant answered before another was sent has the
 * smaller fence); (3) no listing shows a session or a task twice; (4) a session's consecutive new
 * grants are separated by the end of the first (a completion or expiry invoked before the second
 * grant answered): one claim per session. Operations with an `error` result are anomalies too.
 */
export function checkHistory(ops: readonly Op[]): CheckResult {
  const anomalies: string[] = [];
  const errors = ops.filter((o) => o.result.kind === "error");
  for (const o of errors.slice(0, 5)) anomalies.push(`operation ${o.id} (${o.op}) had no definite answer: ${(o.result as { detail: string }).detail}`);
  if (errors.length > 5) anomalies.push(`... and ${errors.length - 5} more operations without a definite answer`);

  const tasks = new Set(ops.flatMap((o) => (o.task ? [o.task] : [])));
  const lists = ops.filter((o) => o.result.kind === "list");
  for (const task of [...tasks].sort()) {
    const mine = ops.filter((o) => o.task === task && o.result.kind !== "error").concat(lists);
    if (!linearizable(mine, task)) anomalies.push(`task ${task}: no linearization of its ${mine.length} operations fits the model`);
  }

  // New grants: the first answer carrying each fence.
  const grants = new Map<number, Op>();
  for (const o of [...ops].sort((a, b) => a.return_ms - b.return_ms)) {
    if (o.result.kind === "claim" && o.result.status === "granted" && !grants.has(o.result.fence)) grants.set(o.result.fence, o);
  }
  for (const o of ops) {
    if (o.result.kind !== "claim" || o.result.status !== "granted") continue;
    const first = grants.get(o.result.fence)!;
    if (first.task !== o.task || first.session !== o.session) {
      anomalies.push(`fence ${o.result.fence} granted twice: to ${first.session} on ${first.task} (op ${first.id}) and to ${o.session} on ${o.task} (op ${o.id})`);
    }
  }
  const byReturn = [...grants.values()].sort((a, b) => a.return_ms - b.return_ms);
  const fenceOf = (o: Op) => (o.result as { fence: number }).fence;
  // For each grant, every grant answered before it was invoked must carry a smaller fence: compare with the largest such fence.
  const byInvoke = [...grants.values()].sort((a, b) => a.invoke_ms - b.invoke_ms);
  let i = 0;
  let maxBefore = -Infinity;
  let maxOp: Op | undefined;
  for (const g of byInvoke) {
    while (i < byReturn.length && byReturn[i]!.return_ms < g.invoke_ms) {
      if (fenceOf(byReturn[i]!) > maxBefore) {
        maxBefore = fenceOf(byReturn[i]!);
        maxOp = byReturn[i];
      }
      i++;
    }
    if (fenceOf(g) <= maxBefore) anomalies.push(`fence out of order: op ${g.id} got fence ${fenceOf(g)} after op ${maxOp!.id} had been answered fence ${maxBefore}`);
  }

  for (const l of lists) {
    const active = (l.result as { active: { task_id: string; session: string }[] }).active;
    if (new Set(active.map((a) => a.session)).size !== active.length) anomalies.push(`listing op ${l.id} shows a session holding two tasks`);
    if (new Set(active.map((a) => a.task_id)).size !== active.length) anomalies.push(`listing op ${l.id} shows a task held twice`);
  }

  const ends = ops.filter((o) => (o.result.kind === "complete" && o.result.status === "completed") || (o.result.kind === "expire" && o.result.status === "expired"));
  const bySession = new Map<string, Op[]>();
  for (const g of grants.values()) bySession.set(g.session!, [...(bySession.get(g.session!) ?? []), g]);
  for (const [session, gs] of bySession) {
    gs.sort((a, b) => fenceOf(a) - fenceOf(b));
    for (let k = 1; k < gs.length; k++) {
      const a = gs[k - 1]!;
      const b = gs[k]!;
      const ended = ends.some((e) => e.task === a.task && (e.op === "expire" || e.session === session) && e.invoke_ms <= b.return_ms && e.return_ms >= a.invoke_ms);
      if (!ended) anomalies.push(`session ${session} was granted ${b.task} (op ${b.id}) while its claim on ${a.task} (op ${a.id}) had not ended`);
    }
  }
  return { operations: ops.length, errors: errors.length, anomalies };
}

/**
 * The checker's self-test, a double grant: a copy of `ops` in which one conflict answer (on a task
 * whose holder provably held it for the whole request: no completion or expiry of the task overlaps
 * it) becomes a grant with a fresh fence. `checkHistory` must report it. Undefined when the history
 * has no such conflict.
 */
export function injectDoubleGrant(ops: readonly Op[]): Op[] | undefined {
  const changes = ops.filter((o) => (o.result.kind === "claim" && o.result.status === "granted") || (o.result.kind === "complete" && o.result.status === "completed") || (o.result.kind === "expire" && o.result.status === "expired"));
  const maxFence = Math.max(0, ...ops.map((o) => (o.result.kind === "claim" && o.result.status === "granted" ? o.result.fence : 0)));
  const victim = ops.find((o) => o.result.kind === "claim" && o.result.status === "conflict" && !changes.some((c) => c.task === o.task && c.invoke_ms <= o.return_ms && c.return_ms >= o.invoke_ms));
  if (victim === undefined) return undefined;
  return ops.map((o) => (o === victim ? { ...o, result: { kind: "claim", status: "granted", fence: maxFence + 1000 } } : o));
}

/**
 * The checker's self-test, a fence out of order: a copy of `ops` in which two new grants that did
 * not overlap in time swap their fences (the later one now carries the smaller fence).
 * `checkHistory` must report it. Undefined when the history has no two such grants.
 */
export function injectFenceDisorder(ops: readonly Op[]): Op[] | undefined {
  const granted = ops.filter((o): o is Op & { result: { kind: "claim"; status: "granted"; fence: number } } => o.result.kind === "claim" && o.result.status === "granted");
  const fences = new Map<number, number>();
  for (const g of granted) fences.set(g.result.fence, (fences.get(g.result.fence) ?? 0) + 1);
  const once = granted.filter((g) => fences.get(g.result.fence) === 1).sort((a, b) => a.invoke_ms - b.invoke_ms);
  for (const a of once) {
    const b = once.find((x) => x.invoke_ms > a.return_ms);
    if (b === undefined) continue;
    return ops.map((o) => (o === a ? { ...o, result: { ...a.result, fence: b.result.fence } } : o === b ? { ...o, result: { ...b.result, fence: a.result.fence } } : o));
  }
  return undefined;
}
