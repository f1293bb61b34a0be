// Reservations (SPEC §11): paths a session is changing — reserve all or nothing, renew, check, release, and end with the claim.
import { sessionPrefix } from "./session-id.ts";
import { CoordError } from "./errors.ts";
import { coverageKey, parsePattern, type Pattern, patternsOverlap } from "./glob-overlap.ts";
import type { ClaimStore, ClaimTx } from "./store.ts";
import { type Clock, toRfc3339 } from "./time.ts";

/** SPEC §11 TTL bounds, in seconds: default 4 hours, at most 7 days. */
export const RESERVATION_TTL = { default_s: 14_400, max_s: 604_800 } as const;

/** How many paths one request may name (SPEC §11: paths[1–50]). */
export const MAX_RESERVATION_PATHS = 50;

/** One reservation as stored. `path` is the normalised pattern (glob-overlap.ts). Times in epoch ms. */
export interface ReservationRecord {
  id: number;
  repo: string;
  /** The full session id: a credential, never listed (listings show 8 characters). */
  session_id: string;
  path: string;
  exclusive: boolean;
  reason: string | null;
  /** true: survives the end of the session's claim (SPEC §11 `keep`). */
  keep: boolean;
  created_at_ms: number;
  expires_at_ms: number;
}

/** The fields of a new reservation; the store assigns `id`. */
export type NewReservation = Omit<ReservationRecord, "id">;

/** The reservation primitives a transaction offers (part of core's ClaimTx, so they share its one transaction). */
export interface ReservationTx {
  /** Reservations of `repo` with `expires_at_ms > now_ms`, oldest first. */
  live(repo: string, now_ms: number): Promise<ReservationRecord[]>;
  /** Deletes reservations of `repo` expired at `now_ms` (`expires_at_ms <= now_ms`); resolves to how many. */
  deleteExpired(repo: string, now_ms: number): Promise<number>;
  /** Inserts one; rejects when (repo, session_id, path) exists already (a unique index: the caller renews instead). */
  insert(r: NewReservation): Promise<ReservationRecord>;
  /** Renews reservation `id` with new terms. */
  renew(id: number, terms: Pick<ReservationRecord, "exclusive" | "reason" | "keep" | "expires_at_ms">): Promise<void>;
  /** Deletes the reservations with these ids. */
  delete(ids: readonly number[]): Promise<void>;
}

/** The reservation reads outside a transaction (listings, the guard's check). Expired rows are deleted by the repo's next reserve. */
export interface ReservationReads {
  /** Reservations of `repo` with `expires_at_ms > now_ms`, oldest first (one statement). */
  listLive(repo: string, now_ms: number): Promise<ReservationRecord[]>;
}

/** A reservation as listings and answers show it: holder as the 8-character prefix, RFC 3339 times. */
export interface ReservationView {
  id: number;
  session: string;
  path: string;
  exclusive: boolean;
  reason: string | null;
  keep: boolean;
  created_at: string;
  expires_at: string;
}

/** Who holds a path, as a conflict or a check names it (SPEC §11 `held_by`). */
export interface HeldBy {
  session: string;
  path: string;
  exclusive: boolean;
  expires_at: string;
  reason: string | null;
}

/** One requested path and the other session's reservation it meets. */
export interface PathHold {
  path: string;
  held_by: HeldBy;
}

/** A reserve request (SPEC §11 `POST /reservations`). `ttl_s` in seconds. */
export interface ReserveRequest {
  repo: string;
  session_id: string;
  paths: readonly string[];
  ttl_s?: number;
  exclusive?: boolean;
  reason?: string | null;
  keep?: boolean;
}

/** The view of a stored reservation. */
export function reservationView(r: ReservationRecord): ReservationView {
  return {
    id: r.id,
    session: sessionPrefix(r.session_id),
    path: r.path,
    exclusive: r.exclusive,
    reason: r.reason,
    keep: r.keep,
    created_at: toRfc3339(r.created_at_ms),
    expires_at: toRfc3339(r.expires_at_ms),
  };
}

function heldBy(r: ReservationRecord): HeldBy {
  return { session: sessionPrefix(r.session_id), path: r.path, exclusive: r.exclusive, expires_at: toRfc3339(r.expires_at_ms), reason: r.reason };
}

/**
 * Parses and normalises the requested patterns, dropping repeats that cover the same paths (`coverageKey`).
 * @throws CoordError `invalid_request` (field `paths`) for no path, more than 50, or a pattern glob-overlap.ts rejects.
 */
export function parsePaths(paths: readonly string[]): Pattern[] {
  if (paths.length === 0) throw new CoordError("invalid_request", "Invalid request: field 'paths' needs at least one path.", { field: "paths" });
  if (paths.length > MAX_RESERVATION_PATHS) {
    throw new CoordError("invalid_request", `Invalid request: field 'paths' has ${paths.length} paths; at most ${MAX_RESERVATION_PATHS} per request.`, { field: "paths" });
  }
  const seen = new Map<string, Pattern>();
  for (const p of paths) {
    const parsed = parsePattern(p);
    if (!seen.has(coverageKey(parsed.text))) seen.set(coverageKey(parsed.text), parsed);
  }
  return [...seen.values()];
}

/** The other sessions' reservations among `live` that `pattern` meets, given its exclusivity (`undefined`: any hold counts). */
function holdsOn(pattern: Pattern, live: readonly ReservationRecord[], session_id: string | null, exclusive: boolean | undefined): ReservationRecord[] {
  return live.filter(
    (r) => r.session_id !== session_id && (exclusive === undefined || exclusive || r.exclusive) && patternsOverlap(pattern, parsePattern(r.path)),
  );
}

/**
 * Reserves every path of `req` for its session, all or nothing, in one immediate transaction (so
 * two sessions racing for overlapping paths cannot both win). A pattern the session already holds
 * (same normalised text, up to a trailing `/**`: `coverageKey`) is renewed with the new terms; patterns of the same session never
 * conflict with each other. Two reservations conflict when some path could match both and at
 * least one is exclusive (glob-overlap.ts). Expired reservations are deleted on the way.
 * `ttl_s` defaults to 14400 s and is 1..604800 s; `exclusive` defaults to true, `keep` to false.
 * Times are the transaction's (`tx.now_ms`, read after its lock is taken).
 *
 * Resolves to the reservations as stored (renewed ones keep their id), in request order.
 * Rejects with CoordError `invalid_request` (field `paths` or `ttl_s`) for bad input;
 *   `conflict` with details.conflicts: PathHold[] naming every requested path another session holds.
 */
export async function reservePaths(store: ClaimStore, req: ReserveRequest, clock: Clock): Promise<ReservationView[]> {
  const patterns = parsePaths(req.paths);
  const ttl_s = req.ttl_s ?? RESERVATION_TTL.default_s;
  if (!Number.isInteger(ttl_s) || ttl_s < 1 || ttl_s > RESERVATION_TTL.max_s) {
    throw new CoordError("invalid_request", `Invalid request: field 'ttl_s' must be a whole number of seconds from 1 to ${RESERVATION_TTL.max_s} (7 days); got ${ttl_s}.`, { field: "ttl_s" });
  }
  const exclusive = req.exclusive ?? true;
  return store.transact(clock, async (tx) => {
    const now_ms = tx.now_ms;
    const terms = { exclusive, reason: req.reason ?? null, keep: req.keep ?? false, expires_at_ms: now_ms + ttl_s * 1000 };
    await tx.reservations.deleteExpired(req.repo, now_ms);
    const live = await tx.reservations.live(req.repo, now_ms);
    const conflicts = patterns.flatMap((p) => holdsOn(p, live, req.session_id, exclusive).map((r): PathHold => ({ path: p.text, held_by: heldBy(r) })));
    if (conflicts.length > 0) {
      const first = conflicts[0]!;
      throw new CoordError(
        "conflict",
        `'${first.path}' overlaps '${first.held_by.path}', reserved by session ${first.held_by.session} until ${first.held_by.expires_at}${conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : ""}; nothing was reserved.`,
        { conflicts },
      );
    }
    const stored: ReservationRecord[] = [];
    for (const p of patterns) {
      const own = live.find((r) => r.session_id === req.session_id && coverageKey(r.path) === coverageKey(p.text));
      if (own) {
        await tx.reservations.renew(own.id, terms);
        stored.push({ ...own, ...terms });
      } else stored.push(await tx.reservations.insert({ repo: req.repo, session_id: req.session_id, path: p.text, created_at_ms: now_ms, ...terms }));
    }
    const views = stored.map(reservationView);
    await tx.appendEvent(req.repo, "reserved", { session: sessionPrefix(req.session_id), reservations: views }, now_ms);
    return views;
  });
}

/** Which of the caller's reservations a release names (SPEC §11 `DELETE /reservations`). */
export type ReleaseTarget = { ids: readonly number[] } | { paths: readonly string[] } | { all: true };

/** What a release did: the reservations ended, and the ids or paths named that the caller does not hold. */
export interface Released {
  released: ReservationView[];
  not_held: Array<number | string>;
}

/**
 * Releases the session's own live reservations named by `target`, in one transaction, and logs
 * an `unreserved` event when any ended. Paths are compared after normalisation (`./src/ui/` =
 * `src/ui`). Naming another session's reservation, or nothing live, releases nothing and lists the
 * name in `not_held`: a release never touches another session's reservations.
 * Rejects with CoordError `invalid_request` (field `paths`) for a malformed path.
 */
export async function releaseReservations(store: ClaimStore, repo: string, session_id: string, target: ReleaseTarget, clock: Clock): Promise<Released> {
  const wanted = "paths" in target ? target.paths.map((p) => parsePattern(p).text) : [];
  const named = (r: ReservationRecord, p: string) => coverageKey(r.path) === coverageKey(p);
  return store.transact(clock, async (tx) => {
    const mine = (await tx.reservations.live(repo, tx.now_ms)).filter((r) => r.session_id === session_id);
    let ending: ReservationRecord[];
    let not_held: Array<number | string> = [];
    if ("all" in target) ending = mine;
    else if ("ids" in target) {
      ending = mine.filter((r) => target.ids.includes(r.id));
      not_held = target.ids.filter((id) => !ending.some((r) => r.id === id));
    } else {
      ending = mine.filter((r) => wanted.some((p) => named(r, p)));
      not_held = wanted.filter((p) => !ending.some((r) => named(r, p)));
    }
    await endAll(tx, repo, session_id, ending);
    return { released: ending.map(reservationView), not_held };
  });
}

async function endAll(tx: ClaimTx, repo: string, session_id: string, ending: readonly ReservationRecord[]): Promise<void> {
  if (ending.length === 0) return;
  await tx.reservations.delete(ending.map((r) => r.id));
  await tx.appendEvent(repo, "unreserved", { session: sessionPrefix(session_id), ids: ending.map((r) => r.id), paths: ending.map((r) => r.path) }, tx.now_ms);
}

/**
 * Ends the session's reservations that were not reserved with `keep: true`, inside the caller's
 * transaction: SPEC §11 "when its session's claim completes or is released". Claim use cases call
 * it when they end a claim. Resolves to how many ended.
 */
export async function endReservationsWithClaim(tx: ClaimTx, repo: string, session_id: string): Promise<number> {
  const ending = (await tx.reservations.live(repo, tx.now_ms)).filter((r) => r.session_id === session_id && !r.keep);
  await endAll(tx, repo, session_id, ending);
  return ending.length;
}

/**
 * Every live reservation of `repo`, for listings (holders as 8-character prefixes), ordered by
 * path then id. Expired ones are left out whether or not the sweep has run.
 */
export async function listReservations(store: ClaimStore, repo: string, now_ms: number): Promise<ReservationView[]> {
  return (await store.reservations.listLive(repo, now_ms))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id - b.id))
    .map(reservationView);
}

/**
 * Which of `paths` (patterns; a file path with glob characters must escape them, see
 * `escapeGlob`) another session than `session_id` holds (null: any session), exclusively or
 * shared, one entry per path and holder (SPEC §11 `POST /reservations/check`). One read, no transaction.
 * Rejects with CoordError `invalid_request` (field `paths`) as `parsePaths`.
 */
export async function checkPaths(store: ClaimStore, repo: string, session_id: string | null, paths: readonly string[], now_ms: number): Promise<PathHold[]> {
  const patterns = parsePaths(paths);
  const live = await store.reservations.listLive(repo, now_ms);
  return patterns.flatMap((p) => holdsOn(p, live, session_id, undefined).map((r): PathHold => ({ path: p.text, held_by: heldBy(r) })));
}
