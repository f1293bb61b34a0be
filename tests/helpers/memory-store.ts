// An in-memory ClaimStore for core tests: the real interface, with the unique rules checked like the database does.
import type { ClaimRecord, ClaimStore, ClaimTx, NewClaim } from "../../src/core/store.ts";

/** A ClaimStore in memory; `rows` is the stored state tests assert on. Transactions copy-on-write and roll back on throw. */
export class MemoryStore implements ClaimStore {
  rows: ClaimRecord[] = [];
  /** Events appended by committed transactions, oldest first. */
  events: { repo: string; type: string; data: unknown; at_ms: number }[] = [];
  fence = 0;
  private nextId = 1;

  transact<T>(fn: (tx: ClaimTx) => T): T {
    const saved = { rows: this.rows.map((r) => ({ ...r })), fence: this.fence, nextId: this.nextId, events: this.events.length };
    const active = () => this.rows.filter((r) => r.completed_at_ms === null);
    const tx: ClaimTx = {
      activeByTask: (repo, task) => active().find((r) => r.repo === repo && r.task_id === task),
      activeBySession: (repo, s) => active().find((r) => r.repo === repo && r.session_id === s),
      activeBySessionPrefix: (repo, p) => active().filter((r) => r.repo === repo && r.session_id.startsWith(p)),
      nextFence: () => ++this.fence,
      insertActive: (c: NewClaim) => {
        if (active().some((r) => r.repo === c.repo && (r.task_id === c.task_id || r.session_id === c.session_id))) {
          throw new Error("UNIQUE constraint failed");
        }
        const row: ClaimRecord = { ...c, id: this.nextId++, completed_at_ms: null, completion_reason: null };
        this.rows.push(row);
        return row;
      },
      markCompleted: (id, reason, at) => {
        const r = this.rows.find((x) => x.id === id && x.completed_at_ms === null);
        if (!r) throw new Error(`no active claim with id ${id}`);
        r.completed_at_ms = at;
        r.completion_reason = reason;
      },
      deleteClaim: (id) => {
        this.rows = this.rows.filter((r) => r.id !== id);
      },
      appendEvent: (repo, type, data, at_ms) => {
        this.events.push({ repo, type, data, at_ms });
      },
    };
    try {
      return fn(tx);
    } catch (e) {
      this.rows = saved.rows;
      this.fence = saved.fence;
      this.nextId = saved.nextId;
      this.events.length = saved.events;
      throw e;
    }
  }
  listActive(repo: string, since: number) {
    return this.rows.filter((r) => r.repo === repo && r.completed_at_ms === null && r.claimed_at_ms >= since).sort((a, b) => a.claimed_at_ms - b.claimed_at_ms || a.id - b.id);
  }
  listCompleted(repo: string, since: number) {
    return this.rows
      .filter((r) => r.repo === repo && r.completed_at_ms !== null && r.completed_at_ms >= since)
      .sort((a, b) => a.completed_at_ms! - b.completed_at_ms! || a.id - b.id);
  }
  listAllActive() {
    return this.rows.filter((r) => r.completed_at_ms === null);
  }
  deleteActiveClaimedBefore(before: number) {
    const n = this.rows.length;
    this.rows = this.rows.filter((r) => !(r.completed_at_ms === null && r.claimed_at_ms < before));
    return n - this.rows.length;
  }
  deleteCompletedBefore(before: number) {
    const n = this.rows.length;
    this.rows = this.rows.filter((r) => !(r.completed_at_ms !== null && r.completed_at_ms < before));
    return n - this.rows.length;
  }
}
