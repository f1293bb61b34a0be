// Sessions, messages and the event log on PostgreSQL through drizzle: the session and message writes of a transaction, and core's SessionStore, MessageStore and EventLog reads.
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { EventLog, EventRecord, EventType } from "../core/events.ts";
import type { InboxEntry, MessageRecord, MessageStore, MessageTx } from "../core/messages.ts";
import type { SessionRecord, SessionStore, SessionTx } from "../core/sessions.ts";
import { sessionRow, toRecord } from "./activity-store.ts";
import type { PgCoordDatabase, PgOrm } from "./pg-db.ts";
import { pgCall } from "./pg-errors.ts";
import { events, fenceCounter, messageReads, messages, sessions } from "./pg-schema.ts";

/** A drizzle transaction on PostgreSQL. */
export type PgTx = Parameters<Parameters<PgOrm["transaction"]>[0]>[0];

/** What both the drizzle database and a drizzle transaction offer. */
type PgQueryable = Pick<PgOrm, "select" | "insert" | "update" | "delete">;

/** The messages `session_id` sees in `repo`: those to it, and broadcasts it did not send. */
function visible(repo: string, session_id: string) {
  return and(
    eq(messages.repo, repo),
    or(eq(messages.to_session, session_id), and(isNull(messages.to_session), or(isNull(messages.from_session), sql`${messages.from_session} <> ${session_id}`))),
  );
}

async function listSessions(q: PgQueryable, repo: string, seen_since_ms: number): Promise<SessionRecord[]> {
  return (await q.select().from(sessions).where(and(eq(sessions.repo, repo), gte(sessions.last_heartbeat_ms, seen_since_ms))).orderBy(desc(sessions.last_heartbeat_ms))).map(toRecord);
}

/**
 * The session and message writes of core's transaction handle (`SessionTx`, `MessageTx`) as
 * statements on the drizzle transaction `live()` returns (it throws once the transaction ended): the claim store runs them inside its locked
 * transaction (src/storage/pg-claim-store.ts), so a heartbeat or a message and its event are one commit.
 */
export function pgActivityTx(live: () => PgTx): SessionTx & MessageTx {
  return {
    async getSession(repo, session_id) {
      const [r] = await live().select().from(sessions).where(and(eq(sessions.repo, repo), eq(sessions.session_id, session_id)));
      return r ? toRecord(r) : undefined;
    },
    async putSession(rec) {
      const row = sessionRow(rec);
      await live().insert(sessions).values(row).onConflictDoUpdate({ target: [sessions.repo, sessions.session_id], set: row });
    },
    listSessions: (repo, seen_since_ms) => listSessions(live(), repo, seen_since_ms),
    async insertMessages(rows) {
      if (rows.length === 0) return [];
      return (await live().insert(messages).values([...rows]).returning()) as MessageRecord[];
    },
    async markRead(repo, session_id, ids, at_ms) {
      if (ids.length === 0) return 0;
      const mine = (await live().select({ id: messages.id }).from(messages).where(and(visible(repo, session_id), inArray(messages.id, [...ids])))).map((r) => r.id);
      if (mine.length === 0) return 0;
      return (
        await live()
          .insert(messageReads)
          .values(mine.map((message_id) => ({ message_id, session_id, read_at_ms: at_ms })))
          .onConflictDoNothing()
          .returning({ id: messageReads.message_id })
      ).length;
    },
    async transferUnread(repo, from_session, to_session, at_ms) {
      const read = (
        await live()
          .select({ id: messageReads.message_id })
          .from(messageReads)
          .innerJoin(messages, eq(messages.id, messageReads.message_id))
          .where(and(eq(messages.repo, repo), eq(messageReads.session_id, from_session)))
      ).map((r) => r.id);
      if (read.length > 0) {
        await live().insert(messageReads).values(read.map((message_id) => ({ message_id, session_id: to_session, read_at_ms: at_ms }))).onConflictDoNothing();
      }
      const readSet = new Set(read);
      const direct = (await live().select({ id: messages.id }).from(messages).where(and(eq(messages.repo, repo), eq(messages.to_session, from_session)))).map((r) => r.id).filter((id) => !readSet.has(id));
      if (direct.length > 0) await live().update(messages).set({ to_session }).where(inArray(messages.id, direct));
      return direct.length;
    },
    async unreadCount(repo, session_id) {
      const [r] = await live()
        .select({ n: sql<number>`count(*)::int` })
        .from(messages)
        .leftJoin(messageReads, and(eq(messageReads.message_id, messages.id), eq(messageReads.session_id, session_id)))
        .where(and(visible(repo, session_id), isNull(messageReads.read_at_ms)));
      return r?.n ?? 0;
    },
    async sentSince(repo, from_session, since_ms) {
      const rows = await live()
        .select({ at: messages.created_at_ms })
        .from(messages)
        .where(and(eq(messages.repo, repo), eq(messages.from_session, from_session), gte(messages.created_at_ms, since_ms)))
        .orderBy(asc(messages.created_at_ms));
      return rows.map((r) => Number(r.at));
    },
    async countMessages(repo) {
      const [r] = await live().select({ n: sql<number>`count(*)::int` }).from(messages).where(eq(messages.repo, repo));
      return r?.n ?? 0;
    },
  };
}

/** Core's SessionStore on PostgreSQL: listings and pruning of the sessions table. Rejects with `store_unavailable` while PostgreSQL is down. */
export function createPgSessionStore(db: PgCoordDatabase): SessionStore {
  const orm = db.orm;
  return {
    listSessions: (repo, seen_since_ms) => pgCall(() => listSessions(orm, repo, seen_since_ms)),
    deleteSessionsBefore(before_ms) {
      return pgCall(async () => (await orm.delete(sessions).where(lt(sessions.last_heartbeat_ms, before_ms)).returning({ id: sessions.session_id })).length);
    },
  };
}

/** Core's MessageStore on PostgreSQL: inboxes and pruning of the messages table and read marks. Rejects with `store_unavailable` while PostgreSQL is down. */
export function createPgMessageStore(db: PgCoordDatabase): MessageStore {
  const orm = db.orm;
  return {
    inbox(repo, session_id, { unread_only, limit }) {
      return pgCall(async () => {
        const rows = await orm
          .select({ m: messages, read_at: messageReads.read_at_ms })
          .from(messages)
          .leftJoin(messageReads, and(eq(messageReads.message_id, messages.id), eq(messageReads.session_id, session_id)))
          .where(and(visible(repo, session_id), unread_only ? isNull(messageReads.read_at_ms) : undefined))
          .orderBy(desc(messages.id))
          .limit(limit);
        return rows.reverse().map((r): InboxEntry => ({ message: r.m as MessageRecord, read: r.read_at !== null }));
      });
    },
    messageText(repo, id) {
      return pgCall(async () => {
        const [r] = await orm.select({ subject: messages.subject, body: messages.body }).from(messages).where(and(eq(messages.repo, repo), eq(messages.id, id)));
        return r;
      });
    },
    recentMessages(repo, limit) {
      return pgCall(async () => (await orm.select().from(messages).where(eq(messages.repo, repo)).orderBy(desc(messages.id)).limit(limit)).reverse() as MessageRecord[]);
    },
    deleteMessagesBefore(before_ms) {
      return pgCall(() =>
        orm.transaction(async (tx) => {
          const old = (await tx.select({ id: messages.id }).from(messages).where(lt(messages.created_at_ms, before_ms))).map((r) => r.id);
          if (old.length === 0) return 0;
          await tx.delete(messageReads).where(inArray(messageReads.message_id, old));
          await tx.delete(messages).where(inArray(messages.id, old));
          return old.length;
        }),
      );
    },
  };
}

function toEvent(r: typeof events.$inferSelect): EventRecord {
  return { id: r.id, repo: r.repo, type: r.type as EventType, data: JSON.parse(r.data), at_ms: r.at_ms };
}

/**
 * Core's EventLog reads on PostgreSQL. Events are appended only inside the claim store's locked
 * transactions, which hand out their ids under the counter row lock, so ids commit in increasing
 * order across replicas (SPEC §12: a reader polling `id > last` never skips one). `latestId` is the
 * counter, so it never goes back when old events are pruned. Rejects with `store_unavailable`
 * while PostgreSQL is down.
 */
export function createPgEventLog(db: PgCoordDatabase): EventLog {
  const orm = db.orm;
  return {
    since(repo, after_id, limit) {
      return pgCall(async () => (await orm.select().from(events).where(and(eq(events.repo, repo), gt(events.id, after_id))).orderBy(asc(events.id)).limit(limit)).map(toEvent));
    },
    sinceAll(after_id, limit) {
      return pgCall(async () => (await orm.select().from(events).where(gt(events.id, after_id)).orderBy(asc(events.id)).limit(limit)).map(toEvent));
    },
    latestId() {
      return pgCall(async () => (await orm.select({ id: fenceCounter.last_event_id }).from(fenceCounter).where(eq(fenceCounter.id, 1)))[0]?.id ?? 0);
    },
    deleteEventsBefore(before_ms) {
      return pgCall(async () => (await orm.delete(events).where(lt(events.at_ms, before_ms)).returning({ id: events.id })).length);
    },
  };
}
