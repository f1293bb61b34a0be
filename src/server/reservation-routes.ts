// Routes of SPEC §11: POST /reservations, GET /reservations, POST /reservations/check, DELETE /reservations.
import { Elysia } from "elysia";
import type { UnreserveBody } from "../api/reservations.ts";
import { type Answer, ROUTES } from "../api/routes.ts";
import { CoordError } from "../core/errors.ts";
import { checkPaths, listReservations, releaseReservations, type ReleaseTarget, reservePaths } from "../core/reservations.ts";
import type { ClaimStore } from "../core/store.ts";
import type { Clock } from "../core/time.ts";
import { checkAccess, parseJsonObject } from "./access.ts";
import type { WhitelistedRepo } from "../sources/source.ts";

/** What the reservation routes need. */
export interface ReservationDeps {
  repos: ReadonlyMap<string, WhitelistedRepo>;
  admin_tokens: readonly string[];
  store: ClaimStore;
  clock: Clock;
}

function targetOf(body: UnreserveBody): ReleaseTarget {
  const given = [body.ids !== undefined, body.paths !== undefined, body.all === true].filter(Boolean).length;
  if (given !== 1) throw new CoordError("invalid_request", "Invalid request body: give exactly one of 'ids', 'paths' or 'all': true.", { field: "paths" });
  if (body.ids !== undefined) return { ids: body.ids };
  if (body.paths !== undefined) return { paths: body.paths };
  return { all: true };
}

/**
 * The Elysia plugin of SPEC §11. Every route proves repo access like the claim routes (the repo
 * token in the body; GET also takes the human's admin bearer token). Errors are CoordErrors
 * mapped by the app: 400 naming the field, 403/401 for access, 409 `conflict` with `conflicts`.
 */
export function reservationRoutes(deps: ReservationDeps) {
  const { store, clock } = deps;
  const access = (request: Request | null, q: { repo: string; token?: string; commit_sha?: string }, where: "body" | "query") =>
    checkAccess(deps.repos, deps.admin_tokens, request?.headers.get("authorization") ?? null, q, where);
  return new Elysia({ name: "reservations" })
    .post(
      ROUTES.reserve.path,
      async ({ body }) => {
        const { entry } = await access(null, body, "body");
        const reservations = await reservePaths(
          store,
          { repo: entry.name, session_id: body.session_id, paths: body.paths, ttl_s: body.ttl_s, exclusive: body.exclusive, reason: body.reason ?? null, keep: body.keep },
          clock,
        );
        return { status: "reserved" as const, reservations } satisfies Answer<"reserve">;
      },
      { body: ROUTES.reserve.body, parse: parseJsonObject },
    )
    .get(
      ROUTES.reservations.path,
      async ({ query, request }) => {
        const { entry } = await access(request, query, "query");
        return { reservations: await listReservations(store, entry.name, clock()) } satisfies Answer<"reservations">;
      },
      { query: ROUTES.reservations.query },
    )
    .post(
      ROUTES.check_paths.path,
      async ({ body }) => {
        const { entry } = await access(null, body, "body");
        return { held: await checkPaths(store, entry.name, body.session_id ?? null, body.paths, clock()) } satisfies Answer<"check_paths">;
      },
      { body: ROUTES.check_paths.body, parse: parseJsonObject },
    )
    .delete(
      ROUTES.unreserve.path,
      async ({ body }) => {
        const { entry } = await access(null, body, "body");
        const r = await releaseReservations(store, entry.name, body.session_id, targetOf(body), clock);
        return { status: "released" as const, ...r } satisfies Answer<"unreserve">;
      },
      { body: ROUTES.unreserve.body, parse: parseJsonObject },
    );
}
