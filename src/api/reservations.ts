// The wire contract of SPEC §11 reservations: TypeBox schemas of the four routes' requests and answers.
import { type Static, Type as T } from "@sinclair/typebox";
import { MAX_RESERVATION_PATHS, RESERVATION_TTL } from "../core/reservations.ts";
import { MAX_PATTERN_LENGTH } from "../core/glob-overlap.ts";
import { REPO_AUTH_FIELDS, SESSION_AUTH_FIELDS, SessionId } from "./schemas.ts";

const Timestamp = T.String({ description: "RFC 3339 UTC" });

/** Longest reservation reason, in characters. */
export const REASON_MAX = 500;

/** Reservation patterns: 1–50 repo-relative globs (grammar: src/core/glob-overlap.ts). */
export const Paths = T.Array(T.String({ minLength: 1, maxLength: MAX_PATTERN_LENGTH }), {
  minItems: 1,
  maxItems: MAX_RESERVATION_PATHS,
  description: `a list of 1 to ${MAX_RESERVATION_PATHS} repo-relative paths or globs`,
});

export const ReserveBody = T.Object({
  ...SESSION_AUTH_FIELDS,
  paths: Paths,
  ttl_s: T.Optional(T.Integer({ minimum: 1, maximum: RESERVATION_TTL.max_s, description: `a whole number of seconds from 1 to ${RESERVATION_TTL.max_s}` })),
  exclusive: T.Optional(T.Boolean({ description: "true or false" })),
  reason: T.Optional(T.String({ maxLength: REASON_MAX })),
  keep: T.Optional(T.Boolean({ description: "true or false" })),
});
export type ReserveBody = Static<typeof ReserveBody>;

export const CheckBody = T.Object({
  ...REPO_AUTH_FIELDS,
  /** The caller: its own reservations are not reported. Absent: every holder is. */
  session_id: T.Optional(SessionId),
  paths: Paths,
});
export type CheckBody = Static<typeof CheckBody>;

export const UnreserveBody = T.Object({
  ...SESSION_AUTH_FIELDS,
  ids: T.Optional(T.Array(T.Integer(), { minItems: 1, maxItems: 500, description: "a list of reservation ids" })),
  paths: T.Optional(Paths),
  all: T.Optional(T.Literal(true, { description: "true" })),
});
export type UnreserveBody = Static<typeof UnreserveBody>;

export const Reservation = T.Object({
  id: T.Integer(),
  session: T.String(),
  path: T.String(),
  exclusive: T.Boolean(),
  reason: T.Union([T.String(), T.Null()]),
  keep: T.Boolean(),
  created_at: Timestamp,
  expires_at: Timestamp,
});
export type Reservation = Static<typeof Reservation>;

export const HeldBy = T.Object({ session: T.String(), path: T.String(), exclusive: T.Boolean(), expires_at: Timestamp, reason: T.Union([T.String(), T.Null()]) });
export const PathHold = T.Object({ path: T.String(), held_by: HeldBy });
export type PathHold = Static<typeof PathHold>;

export const ReserveResponse = T.Object({ status: T.Literal("reserved"), reservations: T.Array(Reservation) });
export type ReserveResponse = Static<typeof ReserveResponse>;

/** 409 `conflict` of POST /reservations: every requested path another session holds; nothing was reserved. */
export const ReserveConflict = T.Object({ status: T.Literal("conflict"), message: T.String(), conflicts: T.Array(PathHold) });
export type ReserveConflict = Static<typeof ReserveConflict>;

export const ReservationsResponse = T.Object({ reservations: T.Array(Reservation) });
export type ReservationsResponse = Static<typeof ReservationsResponse>;

export const CheckResponse = T.Object({ held: T.Array(PathHold) });
export type CheckResponse = Static<typeof CheckResponse>;

export const UnreserveResponse = T.Object({ status: T.Literal("released"), released: T.Array(Reservation), not_held: T.Array(T.Union([T.Integer(), T.String()])) });
export type UnreserveResponse = Static<typeof UnreserveResponse>;
