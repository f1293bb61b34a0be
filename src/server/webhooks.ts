// The GitHub webhook route: POST /webhooks/github checks the signature, drops replays, completes claims of removed branches and refreshes mirrors on pushes to main.
import { verify } from "@octokit/webhooks-methods";
import { Elysia } from "elysia";
import { ROUTES } from "../api/routes.ts";
import { completeRemovedBranches } from "../core/claims.ts";
import { CoordError } from "../core/errors.ts";
import type { ClaimStore } from "../core/store.ts";
import type { Clock } from "../core/time.ts";
import type { WhitelistedRepo } from "../sources/source.ts";

/** The route's path. */
export const WEBHOOK_PATH = ROUTES.github_webhook.path;

/**
 * The largest webhook body accepted, bytes. GitHub caps payloads at 25 MB; the events used here are
 * small (a `pull_request` body is at most 65 536 characters) except `push`, which lists up to 20
 * commits with their files: 5 MiB covers that. A push to main over the limit gets 413 and only
 * loses its refresh hint (main is looked up again within `head_ttl` anyway).
 */
export const WEBHOOK_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

/** How long the route waits for a mirror refresh before answering; the refresh goes on after (GitHub waits 10 s). */
export const REFRESH_WAIT_MS = 5_000;

/** The deliveries already handled (src/storage/webhook-deliveries.ts). */
export interface DeliveryLog {
  /** Records `delivery_id`; false when it was recorded before (a replay or redelivery). */
  claim(delivery_id: string, now_ms: number): Promise<boolean>;
  /** Forgets `delivery_id` (its handling failed). */
  release(delivery_id: string): Promise<void>;
}

/** What the route needs, wired by serve.ts or a test. */
export interface WebhookDeps {
  /** `[github] webhook_secret`: the HMAC key GitHub signs deliveries with. */
  secret: string;
  deliveries: DeliveryLog;
  store: ClaimStore;
  /** Whitelist, keyed by the lowercased repo name. */
  repos: ReadonlyMap<string, WhitelistedRepo>;
  clock: Clock;
  log: { info(msg: string): void; warn(msg: string): void };
  /** Overrides `REFRESH_WAIT_MS` (tests). */
  refresh_wait_ms?: number;
}

/** The answer to a delivery (200). */
export interface WebhookAnswer {
  /** `ok`: handled; `duplicate`: this delivery id was handled before; `ignored`: nothing to do. */
  status: "ok" | "duplicate" | "ignored";
  event: string;
  delivery: string;
  /** Task ids completed as `branch_removed`. */
  completed: string[];
  /** Push to main: whether the mirror refresh finished, failed or is still running when answering. */
  refresh?: "refreshed" | "failed" | "pending";
  /** Why nothing was done (`ignored`). */
  reason?: string;
}

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;
const DELIVERY = /^[A-Za-z0-9-]{1,100}$/;
const EVENT = /^[a-z_]{1,64}$/;

interface Payload {
  ref?: unknown;
  ref_type?: unknown;
  deleted?: unknown;
  action?: unknown;
  repository?: { full_name?: unknown } | null;
  pull_request?: { merged?: unknown; head?: { ref?: unknown; repo?: { full_name?: unknown } | null } | null } | null;
}

function unauthorized(message: string): CoordError {
  return new CoordError("unauthorized", message);
}

/**
 * Checks a delivery's `X-Hub-Signature-256` (`sha256=` + HMAC-SHA256 hex of the raw body with the
 * secret, compared in constant time by @octokit/webhooks-methods; GitHub docs, "Validating webhook
 * deliveries"). Throws CoordError `unauthorized` (401) when the header is missing, malformed or
 * does not match.
 */
export async function checkSignature(secret: string, body: string, header: string | null): Promise<void> {
  if (header === null || !SIGNATURE.test(header)) throw unauthorized("The delivery has no valid X-Hub-Signature-256 header.");
  if (body === "" || !(await verify(secret, body, header))) throw unauthorized("X-Hub-Signature-256 does not match the configured webhook secret.");
}

/** The JSON payload of a delivery: `application/json`, or the `payload` field of `application/x-www-form-urlencoded` (GitHub's two content types). */
function payloadOf(body: string, contentType: string): Payload {
  let text = body;
  if (contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    text = new URLSearchParams(body).get("payload") ?? "";
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CoordError("invalid_request", "The delivery's payload is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CoordError("invalid_request", "The delivery's payload is not a JSON object.");
  return value as Payload;
}

/**
 * Handles one delivery (GitHub docs, "Webhook events and payloads"), in this order: body size
 * (413) → signature (401, nothing else is read) → `X-GitHub-Delivery` and `X-GitHub-Event`
 * present (400) → payload JSON (400) → a delivery id handled before (200 `duplicate`, nothing
 * changes) → the event:
 * - `delete` of a branch, `push` with `deleted: true`: completes the repository's active claims on
 *   that branch as `branch_removed`;
 * - `pull_request` `closed` (merged or not) from a branch of the same repository (not a fork, not
 *   main): completes the claims on its head branch, outcome `freed` when `pull_request.merged` is
 *   false (SPEC §10), else `done`;
 * - `push` to main: refreshes the mirror (waits up to `REFRESH_WAIT_MS`, then answers `pending`);
 * - `ping`, other events, and repositories not in the whitelist: 200 `ignored`.
 * When handling throws, the delivery id is released (a redelivery may try again) and the error
 * propagates (the app maps it). Returns the 200 answer.
 */
export async function handleGitHubWebhook(request: Request, deps: WebhookDeps): Promise<WebhookAnswer> {
  const body = await request.text();
  const bytes = Buffer.byteLength(body);
  if (bytes > WEBHOOK_BODY_LIMIT_BYTES) {
    throw new CoordError("payload_too_large", `The delivery is ${bytes} bytes; the limit is ${WEBHOOK_BODY_LIMIT_BYTES} bytes.`);
  }
  await checkSignature(deps.secret, body, request.headers.get("x-hub-signature-256"));
  const delivery = request.headers.get("x-github-delivery") ?? "";
  const event = request.headers.get("x-github-event") ?? "";
  if (!DELIVERY.test(delivery)) throw new CoordError("invalid_request", "The delivery has no valid X-GitHub-Delivery header.", { field: "X-GitHub-Delivery" });
  if (!EVENT.test(event)) throw new CoordError("invalid_request", "The delivery has no valid X-GitHub-Event header.", { field: "X-GitHub-Event" });
  const payload = payloadOf(body, request.headers.get("content-type") ?? "");
  if (!(await deps.deliveries.claim(delivery, deps.clock()))) {
    deps.log.info(`webhook: delivery ${delivery} (${event}) was handled before; ignored`);
    return { status: "duplicate", event, delivery, completed: [] };
  }
  try {
    return await handleEvent(event, delivery, payload, deps);
  } catch (e) {
    await deps.deliveries.release(delivery);
    throw e;
  }
}

async function handleEvent(event: string, delivery: string, p: Payload, deps: WebhookDeps): Promise<WebhookAnswer> {
  const ignored = (reason: string): WebhookAnswer => ({ status: "ignored", event, delivery, completed: [], reason });
  if (event === "ping") return ignored("ping");
  const full_name = typeof p.repository?.full_name === "string" ? p.repository.full_name : undefined;
  if (full_name === undefined) return ignored("the payload names no repository");
  const repo = deps.repos.get(full_name.toLowerCase());
  if (!repo) return ignored(`repository ${full_name} is not in the whitelist`);

  const complete = async (branch: string, why: string, closed_unmerged = false): Promise<WebhookAnswer> => {
    const done = await completeRemovedBranches(deps.store, repo.name, new Map([[branch, { closed_unmerged }]]), deps.clock);
    for (const c of done) deps.log.info(`webhook: completed ${repo.name} ${c.task_id} fence=${c.fence} (${why})`);
    return { status: "ok", event, delivery, completed: done.map((c) => c.task_id) };
  };

  if (event === "delete") {
    if (p.ref_type !== "branch" || typeof p.ref !== "string") return ignored("not a branch");
    return complete(p.ref, `branch ${p.ref} deleted`);
  }
  if (event === "push") {
    if (typeof p.ref !== "string" || !p.ref.startsWith("refs/heads/")) return ignored("not a branch");
    const branch = p.ref.slice("refs/heads/".length);
    if (p.deleted === true) return complete(branch, `branch ${branch} deleted`);
    if (branch !== repo.main_branch) return ignored(`a push to ${branch}, not to ${repo.main_branch}`);
    const outcome = await refresh(repo, deps);
    if (outcome !== "failed") deps.log.info(`webhook: push to ${repo.name} ${repo.main_branch}: mirror ${outcome === "refreshed" ? "refreshed" : "refresh still running"}`);
    return { status: "ok", event, delivery, completed: [], refresh: outcome };
  }
  if (event === "pull_request") {
    if (p.action !== "closed") return ignored(`pull_request ${String(p.action)}`);
    const head = p.pull_request?.head;
    const headRepo = head?.repo?.full_name;
    if (typeof head?.ref !== "string" || typeof headRepo !== "string") return ignored("the pull request has no head branch");
    if (headRepo.toLowerCase() !== full_name.toLowerCase()) return ignored("the pull request comes from another repository");
    if (head.ref === repo.main_branch) return ignored("the pull request's head is main");
    // SPEC §10: a pull request closed without merging frees the task; merged (or unknown) means the work landed.
    const unmerged = p.pull_request?.merged === false;
    return complete(head.ref, `pull request from ${head.ref} closed ${unmerged ? "without merging" : "merged"}`, unmerged);
  }
  return ignored(`event ${event} is not used`);
}

async function refresh(repo: WhitelistedRepo, deps: WebhookDeps): Promise<"refreshed" | "failed" | "pending"> {
  const reader = repo.reader;
  if (!reader.refreshNow) return "refreshed";
  const running = reader.refreshNow().then(
    () => "refreshed" as const,
    (e: unknown) => {
      deps.log.warn(`webhook: refreshing ${repo.name} after a push to ${repo.main_branch} failed (${e instanceof Error ? e.message : String(e)})`);
      return "failed" as const;
    },
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), deps.refresh_wait_ms ?? REFRESH_WAIT_MS);
  });
  try {
    return await Promise.race([running, waited]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The webhook route as an Elysia plugin: `POST /webhooks/github` reads the raw body (the signature
 * covers its exact bytes) and answers `handleGitHubWebhook`'s result; errors are thrown to the
 * app's one error mapping (401 bad signature, 400, 413).
 */
export function webhookRoutes(deps: WebhookDeps) {
  return new Elysia({ name: "github-webhooks" }).post(WEBHOOK_PATH, ({ request }) => handleGitHubWebhook(request, deps), {
    parse: "none",
  });
}
