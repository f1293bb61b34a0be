// Routes of SPEC §10 for a claim's life: POST /release (the owner gives the task back) and POST /handover (a new session id takes over).
import { Elysia } from "elysia";
import { type Answer, ROUTES } from "../api/routes.ts";
import { handOver, releaseClaim } from "../core/claim-life.ts";
import type { ClaimPolicy } from "../core/claims.ts";
import type { ClaimStore } from "../core/store.ts";
import type { Clock } from "../core/time.ts";
import { checkAccess, parseJsonObject } from "./access.ts";
import type { WhitelistedRepo } from "../sources/source.ts";

/** What the routes need. */
export interface LifeDeps {
  repos: ReadonlyMap<string, WhitelistedRepo>;
  admin_tokens: readonly string[];
  store: ClaimStore;
  policy: ClaimPolicy;
  clock: Clock;
  log: { info(msg: string): void };
}

/**
 * The Elysia plugin of SPEC §10: `POST /release` → 200 `{status:"released", task_id}` (404 / 403
 * as `/complete`); `POST /handover` → 200 `{status:"handed_over", task_id | null, fence | null,
 * state, messages}` (404 when the old session holds nothing and has no state). Both prove repo
 * access with the repo token like the claim routes; errors are CoordErrors mapped by the app.
 */
export function lifeRoutes(deps: LifeDeps) {
  const repoOf = async (body: { repo: string; token: string; commit_sha: string }) => (await checkAccess(deps.repos, deps.admin_tokens, null, body, "body")).entry.name;
  return new Elysia({ name: "claim-life" })
    .post(
      ROUTES.release.path,
      async ({ body }) => {
        const repo = await repoOf(body);
        const c = await releaseClaim(deps.store, { repo, session_id: body.session_id, task_id: body.task_id }, deps.clock, deps.policy);
        deps.log.info(`released ${repo} ${c.task_id} fence=${c.fence}`);
        return { status: "released" as const, task_id: c.task_id } satisfies Answer<"release">;
      },
      { body: ROUTES.release.body, parse: parseJsonObject },
    )
    .post(
      ROUTES.handover.path,
      async ({ body }) => {
        const repo = await repoOf(body);
        const r = await handOver(deps.store, { repo, from_session_id: body.from_session_id, session_id: body.session_id }, deps.clock, deps.policy);
        deps.log.info(`handed over ${repo} ${r.task_id ?? "(no claim)"} fence=${r.fence ?? "-"} to ${body.session_id.slice(0, 8)}`);
        return r;
      },
      { body: ROUTES.handover.body, parse: parseJsonObject },
    );
}
