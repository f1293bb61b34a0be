// One connection, one operation at a time: the in-process queue every SQLite store runs through, and immediate transactions around async callbacks.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Database } from "bun:sqlite";

/**
 * The queue of one bun:sqlite connection. Every store on the connection runs each read and write
 * through it, so nothing runs on the connection while a transaction's callback awaits: two
 * transactions never interleave, and a read never sees a write that may still roll back.
 */
export interface ConnectionQueue {
  /**
   * Runs `fn` once every operation queued before it has finished (at once when the queue is idle)
   * and returns its result. `fn` runs outside any transaction: each statement commits on its own
   * (use `transaction` to group several). Throws what `fn` throws; throws an Error when called from
   * inside a `transaction` callback of this queue (it would wait for itself forever: use the
   * transaction's handle instead).
   */
  run<T>(fn: () => T | Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one `BEGIN IMMEDIATE` transaction, queued like `run`: the write lock is taken
   * first (waiting for other processes up to the busy timeout, then SQLite's `SQLITE_BUSY` is
   * thrown), then `clock()` is read and handed to `fn` as `now_ms` (SPEC §16: times written by a
   * transaction are read after its lock is taken), then `fn` is awaited. Commits when `fn` resolves
   * and returns its value; rolls back and rethrows when `fn` throws or rejects. `scope.open` turns
   * false when the transaction has ended, so a handle kept past it can refuse to write.
   */
  transaction<T>(clock: () => number, fn: (now_ms: number, scope: { readonly open: boolean }) => Promise<T>): Promise<T>;
}

/** The queue of `sqlite` (one per connection: `openDatabase` makes it). */
export function createConnectionQueue(sqlite: Database): ConnectionQueue {
  // The queue's tail: null while idle, else the promise that settles when the last queued operation is done.
  let tail: Promise<void> | null = null;
  const inside = new AsyncLocalStorage<true>();

  const run = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    if (inside.getStore()) {
      throw new Error("ConnectionQueue: a store was called from inside a transaction on the same connection; use the transaction's handle");
    }
    const before = tail;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    tail = mine;
    if (before !== null) await before;
    try {
      return await fn();
    } finally {
      if (tail === mine) tail = null;
      release();
    }
  };

  return {
    run,
    transaction<T>(clock: () => number, fn: (now_ms: number, scope: { readonly open: boolean }) => Promise<T>): Promise<T> {
      return run(() => {
        sqlite.run("BEGIN IMMEDIATE");
        const scope = { open: true };
        return inside.run(true, async () => {
          try {
            const result = await fn(clock(), scope);
            scope.open = false;
            sqlite.run("COMMIT");
            return result;
          } catch (e) {
            scope.open = false;
            if (sqlite.inTransaction) sqlite.run("ROLLBACK");
            throw e;
          }
        });
      });
    },
  };
}

/** The synchronous shape of an async store `S`: each method returns what `S`'s Promise resolves to. */
export type Unqueued<S> = { [K in keyof S]: S[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never };

/**
 * Makes a store of synchronous bun:sqlite methods into the async store `S`, each call run through
 * `queue` (so it never runs while a transaction on the connection awaits). Each method keeps its
 * own atomicity (one statement, or one synchronous transaction).
 */
export function queued<S>(queue: ConnectionQueue, sync: Unqueued<S>): S {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(sync as Record<string, (...args: unknown[]) => unknown>)) {
    out[name] = (...args: unknown[]) => queue.run(() => fn(...args));
  }
  return out as S;
}

/**
 * Makes synchronous statements into the async methods of a transaction handle: each call throws
 * once `scope.open` is false (the transaction ended), so a handle kept past its transaction never
 * writes outside it.
 */
export function inTransaction<S>(scope: { readonly open: boolean }, sync: Unqueued<S>): S {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(sync as Record<string, (...args: unknown[]) => unknown>)) {
    out[name] = async (...args: unknown[]) => {
      if (!scope.open) throw new Error("ClaimTx used after its transaction ended");
      return fn(...args);
    };
  }
  return out as S;
}
