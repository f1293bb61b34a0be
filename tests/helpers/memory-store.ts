// An in-memory ClaimStore for core tests: the real interface, with the unique rules checked like the database does.
import type { ReservationReads, ReservationRecord, ReservationTx } from "../../src/core/reservations.ts";
import type { ClaimRecord, ClaimStore, ClaimTx, NewClaim } from "../../src/core/store.ts";
import type { ControlRecord } from "../../src/core/controls.ts";
import type { MessageRecord } from "../../src/core/messages.ts";
import type { SessionRecord } from "../../src/core/sessions.ts";
import type { Clock } from "../../src/core/time.ts";

/** A ClaimStore in memory; `rows` is the stored state tests assert on. Transactions copy-on-write and roll back on throw. */
export class MemoryStore implements ClaimStore {
  rows: ClaimRecord[] = [];
  /** Events appended by committed transactions, oldest first. */
  events: { repo: string; type: string; data: unknown; at_ms: number }[] = [];
  /** Sessions by `repo\0session_id`, and messages with the session ids that read them. */
  sessions = new Map<string, SessionRecord>();
  messages: { m: MessageRecord; readBy: Set<string> }[] = [];
  /** Reservations (SPEC §11), live and expired. */
  reservationRows: ReservationRecord[] = [];
  /** The human's latest control per `repo\0session_id` (SPEC §13). */
  controls = new Map<string, ControlRecord>();
  fence = 0;
  private nextId = 1;

  /** The reservation primitives over `reservationRows`, with the (repo, session_id, path) unique rule. */
  private reservationTx(): ReservationTx {
    return {
      live: async (repo, now) => this.reservationRows.filter((r) => r.repo === repo && r.expires_at_ms > now).sort((a, b) => a.id - b.id),
      deleteExpired: async (repo, now) => {
        const n = this.reservationRows.length;
        this.reservationRows = this.reservationRows.filter((r) => !(r.repo === repo && r.expires_at_ms <= now));
        return n - this.reservationRows.length;
      },
      insert: async (r) => {
        if (this.reservationRows.some((x) => x.repo === r.repo && x.session_id === r.session_id && x.path === r.path)) throw new Error("UNIQUE constraint failed");
        const row = { ...r, id: this.nextId++ };
        this.reservationRows.push(row);
        return row;
      },
      renew: async (id, terms) => {
        const i = this.reservationRows.findIndex((r) => r.id === id);
        if (i >= 0) this.reservationRows[i] = { ...this.reservationRows[i]!, ...terms };
      },
      delete: async (ids) => {
        this.reservationRows = this.reservationRows.filter((r) => !ids.includes(r.id));
      },
    };
  }

  readonly reservations: ReservationReads = {
    listLive: (repo, now) => this.reservationTx().live(repo, now),
  };

  /** Serialises transactions like the SQLite store's connection queue. */
  private tail: Promise<unknown> = Promise.resolve();

  transact<T>(clock: Clock, fn: (tx: ClaimTx) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.run(clock, fn));
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async run<T>(clock: Clock, fn: (tx: ClaimTx) => Promise<T>): Promise<T> {
    const saved = {
      rows: this.rows.map((r) => ({ ...r })),
      fence: this.fence,
      nextId: this.nextId,
      events: this.events.length,
      reservations: [...this.reservationRows],
      sessions: new Map(this.sessions),
      controls: new Map(this.controls),
      messages: this.messages.map((x) => ({ m: x.m, readBy: new Set(x.readBy) })),
    };
    const inbox = (repo: string, s: string) =>
      this.messages.filter((x) => x.m.repo === repo && (x.m.to_session === s || (x.m.to_session === null && x.m.from_session !== s)));
    const active = () => this.rows.filter((r) => r.completed_at_ms === null);
    const tx: ClaimTx = {
      now_ms: clock(),
      activeByTask: async (repo, task) => active().find((r) => r.repo === repo && r.task_id === task),
      activeBySession: async (repo, s) => active().find((r) => r.repo === repo && r.session_id === s),
      activeByTaskAndSession: async (repo, task, s) => ({
        by_task: active().find((r) => r.repo === repo && r.task_id === task),
        by_session: active().find((r) => r.repo === repo && r.session_id === s),
      }),
      activeBySessionPrefix: async (repo, p) => active().filter((r) => r.repo === repo && r.session_id.startsWith(p)),
      liveSessionIds: async (repo, p, claimed_after, seen_since) => [
        ...new Set([
          ...active().filter((r) => r.repo === repo && r.session_id.startsWith(p) && r.claimed_at_ms > claimed_after).map((r) => r.session_id),
          ...[...this.sessions.values()].filter((x) => x.repo === repo && x.session_id.startsWith(p) && x.last_heartbeat_ms >= seen_since).map((x) => x.session_id),
        ]),
      ],
      nextFence: async () => ++this.fence,
      insertActive: async (c: NewClaim) => {
        if (active().some((r) => r.repo === c.repo && (r.task_id === c.task_id || r.session_id === c.session_id))) {
          throw new Error("UNIQUE constraint failed");
        }
        const row: ClaimRecord = { ...c, id: this.nextId++, completed_at_ms: null, completion_reason: null, outcome: null, pr_url: null };
        this.rows.push(row);
        return row;
      },
      markCompleted: async (id, reason, at, extra = {}) => {
        const r = this.rows.find((x) => x.id === id && x.completed_at_ms === null);
        if (!r) throw new Error(`no active claim with id ${id}`);
        r.completed_at_ms = at;
        r.completion_reason = reason;
        r.outcome = extra.outcome ?? null;
        r.pr_url = extra.pr_url ?? null;
      },
      reassign: async (id, session_id, fence) => {
        const r = this.rows.find((x) => x.id === id && x.completed_at_ms === null);
        if (!r) throw new Error(`no active claim with id ${id}`);
        if (this.rows.some((x) => x.completed_at_ms === null && x.repo === r.repo && x.session_id === session_id)) throw new Error("UNIQUE constraint failed");
        r.session_id = session_id;
        r.fence = fence;
      },
      deleteClaim: async (id) => {
        this.rows = this.rows.filter((r) => r.id !== id);
      },
      appendEvent: async (repo, type, data, at_ms) => {
        this.events.push({ repo, type, data, at_ms });
      },
      getControl: async (repo, s) => this.controls.get(`${repo}\0${s}`),
      getSessionAndControl: async (repo, s) => ({ session: this.sessions.get(`${repo}\0${s}`), control: this.controls.get(`${repo}\0${s}`) }),
      putControl: async (c) => {
        this.controls.set(`${c.repo}\0${c.session_id}`, c);
      },
      deleteControl: async (repo, s) => {
        this.controls.delete(`${repo}\0${s}`);
      },
      getSession: async (repo, s) => this.sessions.get(`${repo}\0${s}`),
      putSession: async (rec) => {
        this.sessions.set(`${rec.repo}\0${rec.session_id}`, rec);
      },
      listSessions: async (repo, since) => [...this.sessions.values()].filter((s) => s.repo === repo && s.last_heartbeat_ms >= since),
      insertMessages: async (rows) =>
        rows.map((r) => {
          const m = { ...r, id: this.messages.length + 1 };
          this.messages.push({ m, readBy: new Set() });
          return m;
        }),
      markRead: async (repo, s, ids) => {
        let n = 0;
        for (const x of inbox(repo, s)) if (ids.includes(x.m.id) && !x.readBy.has(s)) (x.readBy.add(s), n++);
        return n;
      },
      sentSince: async (repo, from, since) =>
        this.messages.filter((x) => x.m.repo === repo && x.m.from_session === from && x.m.created_at_ms >= since).map((x) => x.m.created_at_ms),
      countMessages: async (repo) => this.messages.filter((x) => x.m.repo === repo).length,
      unreadCount: async (repo, s) => inbox(repo, s).filter((x) => !x.readBy.has(s)).length,
      reservations: this.reservationTx(),
      transferUnread: async (repo, from, to) => {
        for (const x of this.messages) if (x.m.repo === repo && x.readBy.has(from)) x.readBy.add(to);
        const moving = this.messages.filter((x) => x.m.repo === repo && x.m.to_session === from && !x.readBy.has(from));
        for (const x of moving) x.m = { ...x.m, to_session: to };
        return moving.length;
      },
    };
    try {
      return await fn(tx);
    } catch (e) {
      this.rows = saved.rows;
      this.reservationRows = saved.reservations;
      this.fence = saved.fence;
      this.nextId = saved.nextId;
      this.events.length = saved.events;
      this.sessions = saved.sessions;
      this.controls = saved.controls;
      this.messages = saved.messages;
      throw e;
    }
  }
  async listActive(repo: string, since: number) {
    return this.rows.filter((r) => r.repo === repo && r.completed_at_ms === null && r.claimed_at_ms >= since).sort((a, b) => a.claimed_at_ms - b.claimed_at_ms || a.id - b.id);
  }
  async listCompleted(repo: string, since: number) {
    return this.rows
      .filter((r) => r.repo === repo && r.completed_at_ms !== null && r.completed_at_ms >= since)
      .sort((a, b) => a.completed_at_ms! - b.completed_at_ms! || a.id - b.id);
  }
  async listAllActive() {
    return this.rows.filter((r) => r.completed_at_ms === null);
  }
  async deleteActiveClaimedBefore(before: number) {
    const n = this.rows.length;
    this.rows = this.rows.filter((r) => !(r.completed_at_ms === null && r.claimed_at_ms < before));
    return n - this.rows.length;
  }
  async deleteCompletedBefore(before: number) {
    const n = this.rows.length;
    this.rows = this.rows.filter((r) => !(r.completed_at_ms !== null && r.completed_at_ms < before));
    return n - this.rows.length;
  }
}
