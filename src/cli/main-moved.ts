// Main moved (SPEC §10): on stale_token, fetch origin's main with the git binary (the worktree is never touched), say which plan files changed, and let the caller retry once.
import type { PlanState } from "../core/token.ts";
import { CoordError } from "../core/errors.ts";
import { GitCommandError, gitBinary } from "../git/git-cli.ts";
import { fetchMain, hasRemote } from "../git/worktrees.ts";
import { readEnv } from "../env.ts";
import { type ClientContext, loadContext, localToken } from "./context.ts";
import type { Terminal } from "./output.ts";

/** True when fetching on a stale token is off: `--no-fetch` among the arguments, or CLAUDE_COORD_NO_FETCH set to 1/true/yes. */
export function fetchDisabled(rawArgs: readonly string[], no_fetch_env: string | undefined): boolean {
  if (rawArgs.includes("--no-fetch")) return true;
  return no_fetch_env !== undefined && /^(1|true|yes)$/i.test(no_fetch_env.trim());
}

/** The plan files whose newest change differs between two plan states (added, removed or changed), sorted. */
export function changedPlanFiles(before: PlanState, after: PlanState): string[] {
  const was = new Map(before.plan_files.map((f) => [f.path, f.sha]));
  const now = new Map(after.plan_files.map((f) => [f.path, f.sha]));
  const paths = new Set([...was.keys(), ...now.keys()]);
  return [...paths].filter((p) => was.get(p) !== now.get(p)).sort();
}

/** What a successful fetch changed. */
export interface MainFetched {
  main_branch: string;
  before: string;
  after: string;
  changed: string[];
}

/** The note printed (stderr) before the retry: what moved and which plan files changed. */
export function movedNote(f: MainFetched): string {
  const files = f.changed.length === 0 ? "no plan file changed" : `plan files changed: ${f.changed.join(", ")}`;
  return `Note: main moved; fetched origin/${f.main_branch} (${f.before.slice(0, 12)} -> ${f.after.slice(0, 12)}; ${files}). Retrying once.`;
}

/** The stale_token error that tells the user to fetch: `stale` with the main branch and why the client did not fetch itself. */
export function fetchRequired(stale: CoordError, main_branch: string, why: string): CoordError {
  return new CoordError("stale_token", stale.message, { ...stale.details, main_branch, not_fetched: why });
}

/**
 * Runs `git fetch --quiet origin <main>` in the checkout (it updates `origin/<main>` only) and
 * recomputes the token. Returns what moved. Throws the stale_token error of `fetchRequired` (exit
 * 4, ACTION `git fetch origin <main>`) when git is not on PATH, there is no remote `origin`, the
 * fetch fails, or main did not move (the service knows a main this checkout cannot fetch).
 */
export async function fetchMovedMain(ctx: ClientContext, stale: CoordError): Promise<MainFetched> {
  const main = ctx.config.main_branch;
  const root = ctx.checkout.root;
  if (gitBinary() === null) throw fetchRequired(stale, main, "git is not on PATH");
  if (!hasRemote(root, "origin")) throw fetchRequired(stale, main, "the checkout has no remote named origin");
  const before = (await localToken(ctx)).state;
  try {
    fetchMain(root, main);
  } catch (e) {
    if (!(e instanceof GitCommandError)) throw e;
    throw fetchRequired(stale, main, `git fetch failed: ${e.stderr || "no output"}`);
  }
  const after = (await localToken(ctx)).state;
  if (after.head_sha === before.head_sha) throw fetchRequired(stale, main, `origin/${main} is still at ${before.head_sha.slice(0, 12)} after fetching`);
  return { main_branch: main, before: before.head_sha, after: after.head_sha, changed: changedPlanFiles(before, after) };
}

/**
 * The CLI's answer to a stale token (SPEC §10): unless fetching is off (`--no-fetch`,
 * CLAUDE_COORD_NO_FETCH=1), fetches origin's main, tells `term` (stderr) what moved and which plan
 * files changed, and runs the command once more with `again`. Throws the stale_token error with
 * the fetch ACTION when fetching is off or impossible; whatever `again` throws otherwise.
 */
export async function retryAfterFetch(stale: CoordError, rawArgs: readonly string[], term: Terminal, again: () => Promise<number>): Promise<number> {
  const ctx = await loadContext({});
  if (fetchDisabled(rawArgs, readEnv().no_fetch)) throw fetchRequired(stale, ctx.config.main_branch, "fetching is turned off (--no-fetch or CLAUDE_COORD_NO_FETCH)");
  const moved = await fetchMovedMain(ctx, stale);
  term.err(movedNote(moved));
  return again();
}
