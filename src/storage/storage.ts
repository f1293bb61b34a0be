// The service's storage as one bundle, on either backend (SPEC §12): a file path opens SQLite, a postgres:// URL PostgreSQL; every store, the job-slot claim, a health probe and commit notifications.
import type { ControlStore } from "../core/controls.ts";
import type { EventLog } from "../core/events.ts";
import type { MessageStore } from "../core/messages.ts";
import type { SessionStore } from "../core/sessions.ts";
import type { ClaimStore } from "../core/store.ts";
import { createEventLog, createMessageStore, createSessionStore } from "./activity-store.ts";
import { createBranchSightings, type BranchSightingStore } from "./branch-sightings.ts";
import { createClaimStore } from "./claim-store.ts";
import { createControlStore } from "./control-store.ts";
import { createNotifyStore, type NotifyStore } from "./notify-store.ts";
import { createPgControlStore } from "./pg-control-store.ts";
import { createPgNotifyStore } from "./pg-notify-store.ts";
import { describeDatabase, isPostgresUrl } from "./database-url.ts";
import { openDatabase, type CoordDatabase } from "./db.ts";
import { createPgEventLog, createPgMessageStore, createPgSessionStore } from "./pg-activity-store.ts";
import { createPgClaimStore, EVENTS_CHANNEL } from "./pg-claim-store.ts";
import { openPgDatabase, type PgCoordDatabase } from "./pg-db.ts";
import { pgCall } from "./pg-errors.ts";
import { createPgBranchSightings, createPgDeliveryLog } from "./pg-job-stores.ts";
import { jobRuns } from "./pg-schema.ts";
import { createDeliveryLog, type DeliveryLogStore } from "./webhook-deliveries.ts";
import { sql } from "drizzle-orm";

/** The backend names `/health` reports. */
export type BackendName = "sqlite" | "postgresql";

/** Every store of the service over one database, and what the service needs of the backend itself. */
export interface Storage {
  readonly backend: BackendName;
  /** The database for logs and `/health`: the file path, or the URL without its password. */
  readonly label: string;
  readonly claims: ClaimStore;
  readonly sessions: SessionStore;
  /** The human's controls of sessions (SPEC §13). */
  readonly controls: ControlStore;
  /** Notification deliveries (SPEC §13), shared by every replica on PostgreSQL. */
  readonly notify: NotifyStore;
  readonly messages: MessageStore;
  readonly events: EventLog;
  readonly deliveries: DeliveryLogStore;
  readonly sightings: BranchSightingStore;
  /**
   * True when this process should run job `name` for the schedule slot `slot_ms` (epoch ms of the
   * cron tick): on PostgreSQL exactly one of the replicas asking for a slot gets true (the slot is
   * recorded atomically in `job_runs`); on SQLite always true.
   */
  claimJobRun(name: string, slot_ms: number): Promise<boolean>;
  /** Resolves when the database answers a trivial query; rejects (CoordError `store_unavailable` on PostgreSQL) when it does not. */
  ping(): Promise<void>;
  /**
   * Calls `listener` whenever another transaction that logged events has committed, on any replica
   * (PostgreSQL LISTEN on the events channel; called again after the listener reconnects, since
   * notifications sent meanwhile are lost). SQLite has no such signal: resolves to a no-op at once.
   * Resolves to the function that stops listening.
   */
  watchEvents(listener: () => void): Promise<() => Promise<void>>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/**
 * Opens the database `database` names (SPEC §12): a postgres:// or postgresql:// URL is PostgreSQL
 * (`openPgDatabase`), anything else a SQLite file (`openDatabase`); migrations are applied on the
 * way. Throws `DatabaseOpenError` as those do.
 */
export async function openStorage(database: string): Promise<Storage> {
  return isPostgresUrl(database) ? postgresStorage(await openPgDatabase(database)) : sqliteStorage(openDatabase(database));
}

/** The SQLite bundle over an open database. */
export function sqliteStorage(db: CoordDatabase): Storage {
  return {
    backend: "sqlite",
    label: db.path,
    claims: createClaimStore(db),
    sessions: createSessionStore(db),
    controls: createControlStore(db),
    notify: createNotifyStore(db),
    messages: createMessageStore(db),
    events: createEventLog(db),
    deliveries: createDeliveryLog(db),
    sightings: createBranchSightings(db),
    claimJobRun: async () => true,
    ping: () => db.queue.run(() => void db.sqlite.query("SELECT 1").get()),
    watchEvents: async () => async () => undefined,
    close: async () => db.close(),
  };
}

/** The PostgreSQL bundle over an open database. */
export function postgresStorage(db: PgCoordDatabase): Storage {
  return {
    backend: "postgresql",
    label: describeDatabase(db.label),
    claims: createPgClaimStore(db),
    sessions: createPgSessionStore(db),
    controls: createPgControlStore(db),
    notify: createPgNotifyStore(db),
    messages: createPgMessageStore(db),
    events: createPgEventLog(db),
    deliveries: createPgDeliveryLog(db),
    sightings: createPgBranchSightings(db),
    claimJobRun(name, slot_ms) {
      return pgCall(async () => {
        const won = await db.orm
          .insert(jobRuns)
          .values({ name, last_slot_ms: slot_ms })
          .onConflictDoUpdate({ target: jobRuns.name, set: { last_slot_ms: slot_ms }, setWhere: sql`${jobRuns.last_slot_ms} < ${slot_ms}` })
          .returning({ name: jobRuns.name });
        return won.length === 1;
      });
    },
    ping: () =>
      pgCall(async () => {
        await db.client`SELECT 1`;
      }),
    async watchEvents(listener) {
      const sub = await pgCall(() => db.client.listen(EVENTS_CHANNEL, () => listener(), () => listener()));
      return () => sub.unlisten().catch(() => undefined);
    },
    close: () => db.close(),
  };
}
