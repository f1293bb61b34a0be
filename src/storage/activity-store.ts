// Sessions, messages and the event log on SQLite through drizzle: the session and message writes of a transaction, and core's SessionStore, MessageStore and EventLog reads.
import { and, asc, desc, eq, getTableColumns, gte, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { EventLog, EventRecord, EventType } from "../core/events.ts";
import type { InboxEntry, MessageStore, MessageTx } from "../core/messages.ts";
import type { SessionRecord, SessionStore, SessionTx } from "../core/sessions.ts";
import { queued, type Unqueued } from "./connection-queue.ts";
import type { CoordDatabase, CoordOrm } from "./db.ts";
import { events, messageReads, messages, sessions } from "./schema.ts";

type SessionRow = typeof sessions.$inferSelect;

/** The row of a SessionRecord (either dialect: the columns are the same); `stuck.options` as a JSON array. */
export function sessionRow(rec: SessionRecord): SessionRow {
  return {
    repo: rec.repo,
    session_id: rec.session_id,
    branch: rec.branch,
    state: rec.state,
    task_id: rec.task_id,
    progress: rec.progress,
    note: rec.note,
    stuck_reason: rec.stuck?.reason ?? null,
    stuck_context: rec.stuck?.context ?? null,
    stuck_options: rec.stuck ? JSON.stringify(rec.stuck.options) : null,
    pr_url: rec.pr_url,
    worktree: rec.worktree,
    plan: rec.plan,
    first_seen_ms: rec.first_seen_ms,
    last_heartbeat_ms: rec.last_heartbeat_ms,
    state_since_ms: rec.state_since_ms,
  };
}

/** A session row (either dialect: the columns are the same) as core's SessionRecord. */
export function toRecord(r: SessionRow): SessionRecord {
  return {
    repo: r.repo,
    session_id: r.session_id,
    branch: r.branch,
    state: r.state,
    task_id: r.task_id,
    progress: r.progress,
    note: r.note,
    stuck: r.stuck_reason === null ? null : { reason: r.stuck_reason, context: r.stuck_context, options: JSON.parse(r.stuck_options ?? "[]") as string[] },
    pr_url: r.pr_url,
    worktree: r.worktree,
    plan: r.plan,
    first_seen_ms: r.first_seen_ms,
    last_heartbeat_ms: r.last_heartbeat_ms,
    state_since_ms: r.state_since_ms > 0 ? r.state_since_ms : r.last_heartbeat_ms,
  };
}

/** The messages `session_id` sees in `repo`: those to it, and broadcasts it did not send. */
function visible(repo: string, session_id: string) {
  return and(
    eq(messages.repo, repo),
    or(eq(messages.to_session, session_id), and(isNull(messages.to_session), or(isNull(messages.from_session), sql`${messages.from_session} <> ${session_id}`))),
  );
}

function listSessions(orm: CoordOrm, repo: string, seen_since_ms: number): SessionRecord[] {
  return orm
    .select()
    .from(sessions)
    .where(and(eq(sessions.repo, repo), gte(sessions.last_heartbeat_ms, seen_since_ms)))
    .orderBy(desc(sessions.last_heartbeat_ms))
    .all()
    .map(toRecord);
}

/** The lookup of one session by its key `(repo, session_id)` on `orm`'s connection, prepared once: the record, or undefined. */
export function sessionByKey(orm: CoordOrm): (repo: string, session_id: string) => SessionRecord | undefined {
  const get = orm
    .select()
    .from(sessions)
    .where(and(eq(sessions.repo, sql.placeholder("repo")), eq(sessions.session_id, sql.placeholder("session_id"))))
    .prepare();
  return (repo, session_id) => {
    const r = get.get({ repo, session_id });
    return r ? toRecord(r) : undefined;
  };
}

/**
 * The session and message writes of core's transaction handle (`SessionTx`, `MessageTx`) as plain
 * statements on `orm`'s connection, prepared once. They open no transaction of their own: the claim
 * store runs them inside its `BEGIN IMMEDIATE` (src/storage/claim-store.ts).
 */
export function activityTxStatements(orm: CoordOrm): Unqueued<SessionTx & MessageTx> {
  const getSession = sessionByKey(orm);
  // Every column a placeholder named as its key; on conflict each takes the new row's value.
  const columns = getTableColumns(sessions);
  const keys = Object.keys(columns) as Array<keyof typeof columns>;
  const put = orm
    .insert(sessions)
    .values(Object.fromEntries(keys.map((k) => [k, sql.placeholder(k)])) as unknown as SessionRow)
    .onConflictDoUpdate({ target: [sessions.repo, sessions.session_id], set: Object.fromEntries(keys.map((k) => [k, sql.raw(`excluded."${columns[k].name}"`)])) })
    .prepare();
  return {
    getSession,
    putSession(rec) {
      put.run(sessionRow(rec));
    },
    listSessions: (repo, seen_since_ms) => listSessions(orm, repo, seen_since_ms),
    insertMessages(rows) {
      if (rows.length === 0) return [];
      return orm.insert(messages).values([...rows]).returning().all();
    },
    markRead(repo, session_id, ids, at_ms) {
      if (ids.length === 0) return 0;
      const mine = orm
        .select({ id: messages.id })
        .from(messages)
        .where(and(visible(repo, session_id), inArray(messages.id, [...ids])))
        .all()
        .map((r) => r.id);
      if (mine.length === 0) return 0;
      return orm
        .insert(messageReads)
        .values(mine.map((message_id) => ({ message_id, session_id, read_at_ms: at_ms })))
        .onConflictDoNothing()
        .returning({ id: messageReads.message_id })
        .all().length;
    },
    transferUnread(repo, from_session, to_session, at_ms) {
      const read = orm
        .select({ id: messageReads.message_id })
        .from(messageReads)
        .innerJoin(messages, eq(messages.id, messageReads.message_id))
        .where(and(eq(messages.repo, repo), eq(messageReads.session_id, from_session)))
        .all()
        .map((r) => r.id);
      if (read.length > 0) {
        orm.insert(messageReads).values(read.map((message_id) => ({ message_id, session_id: to_session, read_at_ms: at_ms }))).onConflictDoNothing().run();
      }
      const readSet = new Set(read);
      const direct = orm
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.repo, repo), eq(messages.to_session, from_session)))
        .all()
        .map((r) => r.id)
        .filter((id) => !readSet.has(id));
      if (direct.length > 0) orm.update(messages).set({ to_session }).where(inArray(messages.id, direct)).run();
      return direct.length;
    },
    unreadCount(repo, session_id) {
      const r = orm
        .select({ n: sql<number>`count(*)` })
        .from(messages)
        .leftJoin(messageReads, and(eq(messageReads.message_id, messages.id), eq(messageReads.session_id, session_id)))
        .where(and(visible(repo, session_id), isNull(messageReads.read_at_ms)))
        .get();
      return r?.n ?? 0;
    },
    sentSince(repo, from_session, since_ms) {
      return orm
        .select({ at: messages.created_at_ms })
        .from(messages)
        .where(and(eq(messages.repo, repo), eq(messages.from_session, from_session), gte(messages.created_at_ms, since_ms)))
        .orderBy(asc(messages.created_at_ms))
        .all()
        .map((r) => r.at);
    },
    countMessages(repo) {
      return orm.select({ n: sql<number>`count(*)` }).from(messages).where(eq(messages.repo, repo)).get()?.n ?? 0;
    },
  };
}

/** Core's SessionStore over `db`: listings and pruning of the sessions table (one row per (repo, session_id)). */
export function createSessionStore(db: CoordDatabase): SessionStore {
  const orm = db.orm;
  return queued<SessionStore>(db.queue, {
    listSessions: (repo, seen_since_ms) => listSessions(orm, repo, seen_since_ms),
    deleteSessionsBefore(before_ms) {
      return orm.delete(sessions).where(lt(sessions.last_heartbeat_ms, before_ms)).returning({ id: sessions.session_id }).all().length;
    },
  });
}

/** Core's MessageStore over `db`: inboxes and pruning of the messages table (a row per recipient, null for broadcasts) and read marks. */
export function createMessageStore(db: CoordDatabase): MessageStore {
  const orm = db.orm;
  return queued<MessageStore>(db.queue, {
    inbox(repo, session_id, { unread_only, limit }) {
      const rows = orm
        .select({ m: messages, read_at: messageReads.read_at_ms })
        .from(messages)
        .leftJoin(messageReads, and(eq(messageReads.message_id, messages.id), eq(messageReads.session_id, session_id)))
        .where(and(visible(repo, session_id), unread_only ? isNull(messageReads.read_at_ms) : undefined))
        .orderBy(desc(messages.id))
        .limit(limit)
        .all();
      return rows.reverse().map((r): InboxEntry => ({ message: r.m, read: r.read_at !== null }));
    },
    recentMessages(repo, limit) {
      return orm.select().from(messages).where(eq(messages.repo, repo)).orderBy(desc(messages.id)).limit(limit).all().reverse();
    },
    messageText(repo, id) {
      return orm.select({ subject: messages.subject, body: messages.body }).from(messages).where(and(eq(messages.repo, repo), eq(messages.id, id))).get();
    },
    deleteMessagesBefore(before_ms) {
      return orm.transaction(
        (tx) => {
          const old = tx.select({ id: messages.id }).from(messages).where(lt(messages.created_at_ms, before_ms)).all().map((r) => r.id);
          if (old.length === 0) return 0;
          tx.delete(messageReads).where(inArray(messageReads.message_id, old)).run();
          tx.delete(messages).where(inArray(messages.id, old)).run();
          return old.length;
        },
        { behavior: "immediate" },
      );
    },
  });
}

/** Core's EventLog over `db`: reads and pruning of the append-only events table (ids increase), shared by every process on the file. */
export function createEventLog(db: CoordDatabase): EventLog {
  const orm = db.orm;
  const since = orm
    .select()
    .from(events)
    .where(and(eq(events.repo, sql.placeholder("repo")), sql`${events.id} > ${sql.placeholder("after")}`))
    .orderBy(asc(events.id))
    .limit(sql.placeholder("limit"))
    .prepare();
  const sinceAll = orm
    .select()
    .from(events)
    .where(sql`${events.id} > ${sql.placeholder("after")}`)
    .orderBy(asc(events.id))
    .limit(sql.placeholder("limit"))
    .prepare();
  return queued<EventLog>(db.queue, {
    since(repo, after_id, limit) {
      return since.all({ repo, after: after_id, limit }).map((r): EventRecord => ({ id: r.id, repo: r.repo, type: r.type as EventType, data: JSON.parse(r.data), at_ms: r.at_ms }));
    },
    sinceAll(after_id, limit) {
      return sinceAll.all({ after: after_id, limit }).map((r): EventRecord => ({ id: r.id, repo: r.repo, type: r.type as EventType, data: JSON.parse(r.data), at_ms: r.at_ms }));
    },
    latestId() {
      return orm.select({ id: sql<number>`coalesce(max(${events.id}), 0)` }).from(events).get()?.id ?? 0;
    },
    deleteEventsBefore(before_ms) {
      return orm.delete(events).where(lt(events.at_ms, before_ms)).returning({ id: events.id }).all().length;
    },
  });
}
