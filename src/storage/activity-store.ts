// Sessions, messages and the event log on SQLite through drizzle: core's SessionStore, MessageStore and EventLog.
import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { EventLog, EventRecord, EventType } from "../core/events.ts";
import type { InboxEntry, MessageStore } from "../core/messages.ts";
import type { SessionRecord, SessionStore } from "../core/sessions.ts";
import { queued } from "./connection-queue.ts";
import type { CoordDatabase } from "./db.ts";
import { events, messageReads, messages, sessions } from "./schema.ts";

type SessionRow = typeof sessions.$inferSelect;

function toRecord(r: SessionRow): SessionRecord {
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
    first_seen_ms: r.first_seen_ms,
    last_heartbeat_ms: r.last_heartbeat_ms,
  };
}

/** Core's SessionStore over `db`: one row per (repo, session_id), upserted by each heartbeat. */
export function createSessionStore(db: CoordDatabase): SessionStore {
  const orm = db.orm;
  const get = orm
    .select()
    .from(sessions)
    .where(and(eq(sessions.repo, sql.placeholder("repo")), eq(sessions.session_id, sql.placeholder("session_id"))))
    .prepare();
  return queued<SessionStore>(db.queue, {
    getSession(repo, session_id) {
      const r = get.get({ repo, session_id });
      return r ? toRecord(r) : undefined;
    },
    putSession(rec) {
      const row = {
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
        first_seen_ms: rec.first_seen_ms,
        last_heartbeat_ms: rec.last_heartbeat_ms,
      };
      orm.insert(sessions).values(row).onConflictDoUpdate({ target: [sessions.repo, sessions.session_id], set: row }).run();
    },
    listSessions(repo, seen_since_ms) {
      return orm
        .select()
        .from(sessions)
        .where(and(eq(sessions.repo, repo), gte(sessions.last_heartbeat_ms, seen_since_ms)))
        .orderBy(desc(sessions.last_heartbeat_ms))
        .all()
        .map(toRecord);
    },
    deleteSessionsBefore(before_ms) {
      return orm.delete(sessions).where(lt(sessions.last_heartbeat_ms, before_ms)).returning({ id: sessions.session_id }).all().length;
    },
  });
}

/** Core's MessageStore over `db`: a row per recipient (null for broadcasts) and read marks per session. */
export function createMessageStore(db: CoordDatabase): MessageStore {
  const orm = db.orm;
  const visible = (repo: string, session_id: string) =>
    and(
      eq(messages.repo, repo),
      or(eq(messages.to_session, session_id), and(isNull(messages.to_session), or(isNull(messages.from_session), sql`${messages.from_session} <> ${session_id}`))),
    );
  return queued<MessageStore>(db.queue, {
    insertMessages(rows) {
      if (rows.length === 0) return [];
      return orm.transaction(() => orm.insert(messages).values([...rows]).returning().all(), { behavior: "immediate" });
    },
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
    unreadCount(repo, session_id) {
      const r = orm
        .select({ n: sql<number>`count(*)` })
        .from(messages)
        .leftJoin(messageReads, and(eq(messageReads.message_id, messages.id), eq(messageReads.session_id, session_id)))
        .where(and(visible(repo, session_id), isNull(messageReads.read_at_ms)))
        .get();
      return r?.n ?? 0;
    },
    markRead(repo, session_id, ids, at_ms) {
      if (ids.length === 0) return 0;
      return orm.transaction(
        (tx) => {
          const mine = tx
            .select({ id: messages.id })
            .from(messages)
            .where(and(visible(repo, session_id), inArray(messages.id, [...ids])))
            .all()
            .map((r) => r.id);
          if (mine.length === 0) return 0;
          return tx
            .insert(messageReads)
            .values(mine.map((message_id) => ({ message_id, session_id, read_at_ms: at_ms })))
            .onConflictDoNothing()
            .returning({ id: messageReads.message_id })
            .all().length;
        },
        { behavior: "immediate" },
      );
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

/** Core's EventLog over `db`: an append-only table with increasing ids, shared by every process on the file. */
export function createEventLog(db: CoordDatabase): EventLog {
  const orm = db.orm;
  const since = orm
    .select()
    .from(events)
    .where(and(eq(events.repo, sql.placeholder("repo")), sql`${events.id} > ${sql.placeholder("after")}`))
    .orderBy(asc(events.id))
    .limit(sql.placeholder("limit"))
    .prepare();
  return queued<EventLog>(db.queue, {
    append(repo, type, data, at_ms) {
      const r = orm.insert(events).values({ repo, type, data: JSON.stringify(data), at_ms }).returning({ id: events.id }).get();
      return r!.id;
    },
    since(repo, after_id, limit) {
      return since.all({ repo, after: after_id, limit }).map((r): EventRecord => ({ id: r.id, repo: r.repo, type: r.type as EventType, data: JSON.parse(r.data), at_ms: r.at_ms }));
    },
    latestId() {
      return orm.select({ id: sql<number>`coalesce(max(${events.id}), 0)` }).from(events).get()?.id ?? 0;
    },
    deleteEventsBefore(before_ms) {
      return orm.delete(events).where(lt(events.at_ms, before_ms)).returning({ id: events.id }).all().length;
    },
  });
}
