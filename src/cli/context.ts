// What every client command needs: the checkout, the configuration, the token, the session and the branch.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CoordClient } from "../api/client.ts";
import { type ClientConfig, resolveClientConfig } from "../config.ts";
import { CoordError } from "../core/errors.ts";
import type { PlanState } from "../core/token.ts";
import { readEnv } from "../env.ts";
import { type Checkout, currentBranch, findCheckout, isShallow } from "../git/checkout.ts";
import { deepPlanToken, ShallowCloneError } from "../git/deepen.ts";
import { GitReadError } from "../git/read-error.ts";

/** The flags every client command shares (SPEC §4, §7). */
export interface CommonFlags {
  repo?: string;
  "session-id"?: string;
  json?: boolean;
}

/** A client command's world: where it runs and with what settings. */
export interface ClientContext {
  checkout: Checkout;
  config: ClientConfig;
  client: CoordClient;
}

/** The folder inside the common git dir where the client keeps its token cache and saved session id. */
export function stateDir(checkout: Checkout): string {
  return join(checkout.gitdir, "claude-coord");
}

/** Where `hook session-start` saves this worktree's session id (per worktree: the HEAD git dir). */
export function sessionFile(checkout: Checkout): string {
  return join(checkout.head_gitdir, "claude-coord-session-id");
}

/**
 * Finds the checkout around `cwd` and resolves the configuration. Throws CoordError `config_error`
 * when `cwd` is not inside a git checkout or the config file is broken.
 */
export async function loadContext(flags: CommonFlags, cwd: string = process.cwd()): Promise<ClientContext> {
  const checkout = await findCheckout(cwd);
  if (!checkout) {
    throw new CoordError("config_error", `${cwd} is not inside a git checkout.`, {
      action: "Run claude-coord from inside a clone or worktree of the repository.",
    });
  }
  const config = resolveClientConfig({
    root: checkout.root,
    env: readEnv(),
    flags: { repo: flags.repo, session_id: flags["session-id"] },
  });
  return { checkout, config, client: new CoordClient({ service_url: config.service_url, timeout_ms: config.timeout_ms }) };
}

/**
 * Where the repo name comes from, in the precedence of SPEC §4, for messages: the `--repo` flag
 * among `rawArgs`, the CLAUDE_COORD_REPO environment variable, or the config file (its path).
 * Never throws.
 */
export async function repoSource(rawArgs: readonly string[], cwd: string = process.cwd()): Promise<string> {
  if (rawArgs.some((a) => a === "--repo" || a.startsWith("--repo="))) return "the --repo flag";
  if (readEnv().repo !== undefined) return "the environment variable CLAUDE_COORD_REPO";
  const checkout = await findCheckout(cwd);
  return checkout ? join(checkout.root, ".claude-coord.toml") : "the configuration";
}

/** The configured repo name; throws CoordError `config_error` (exit 78) when none is set. */
export function requireRepo(ctx: ClientContext): string {
  if (ctx.config.repo) return ctx.config.repo;
  throw new CoordError("config_error", "No repository is configured.", {
    action: `Add repo = "owner/name" to ${join(ctx.checkout.root, ".claude-coord.toml")}, or export CLAUDE_COORD_REPO=owner/name, or pass --repo owner/name.`,
  });
}

/** The session id `hook session-start` saved for this worktree, if any. Never throws. */
export function savedSessionId(ctx: Pick<ClientContext, "checkout">): string | undefined {
  try {
    const file = sessionFile(ctx.checkout);
    const id = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
    return id === "" ? undefined : id;
  } catch {
    return undefined;
  }
}

/**
 * The session id: --session-id, then CLAUDE_COORD_SESSION_ID, then CLAUDE_CODE_SESSION_ID, then the id
 * `hook session-start` saved for this worktree. Throws CoordError `config_error` when there is none.
 */
export function requireSession(ctx: ClientContext): string {
  if (ctx.config.session_id) return ctx.config.session_id;
  const saved = savedSessionId(ctx);
  if (saved !== undefined) return saved;
  throw new CoordError("config_error", "No session id: this command needs to know which session is asking.", {
    action: "export CLAUDE_COORD_SESSION_ID=<a unique id for this session> (Claude Code sets CLAUDE_CODE_SESSION_ID itself), or pass --session-id <id>.",
  });
}

/** The branch: --branch, else the checkout's current branch. Throws CoordError `usage_error` on a detached HEAD. */
export async function requireBranch(ctx: ClientContext, flag: string | undefined): Promise<string> {
  if (flag) return flag;
  const branch = await currentBranch(ctx.checkout);
  if (branch) return branch;
  throw new CoordError("usage_error", "HEAD is detached, so the branch of this work is unknown.", {
    action: "Switch to your work branch (git switch <branch>) or pass --branch <branch>.",
  });
}

/**
 * Main's plan state and token at the local main (SPEC §2), cached under the state dir. In a shallow
 * clone whose plan files' history reaches the boundary, deepens the clone with git first (SPEC §10,
 * `deepPlanToken`). Throws CoordError `config_error` (exit 78) when main cannot be read (no
 * `origin/<main>` nor `<main>`, a damaged object store) or a shallow clone cannot be deepened (no
 * git on PATH, a failed fetch), naming the command to run.
 */
export async function localToken(ctx: ClientContext): Promise<{ state: PlanState; token: string }> {
  try {
    return await deepPlanToken(ctx.checkout.root, {
      gitdir: ctx.checkout.gitdir,
      main_branch: ctx.config.main_branch,
      plan_path: ctx.config.plan_path,
      cache_dir: join(stateDir(ctx.checkout), "token-cache"),
    });
  } catch (e) {
    if (e instanceof ShallowCloneError) {
      throw new CoordError("config_error", e.message, { action: `Run '${e.command}' in ${ctx.checkout.root}, then try again.`, command: e.command });
    }
    if (!(e instanceof GitReadError)) throw e;
    const main = ctx.config.main_branch;
    const shallow = isShallow(ctx.checkout.gitdir);
    throw new CoordError("config_error", `Cannot compute the repo token from ${ctx.checkout.root}: ${e.message}.`, {
      action: shallow
        ? `This is a shallow clone: run 'git fetch --unshallow origin ${main}', then try again.`
        : `Run 'git fetch origin ${main}' so that origin/${main} exists (or set main_branch in .claude-coord.toml), then try again.`,
    });
  }
}

/** The three auth fields of every repo-scoped request, and the plan state the token was computed from. */
export interface RepoAuth {
  repo: string;
  token: string;
  commit_sha: string;
  state: PlanState;
}

/** The three auth fields of every repo-scoped request. Throws as `requireRepo` and `localToken` do (CoordError config_error). */
export async function repoAuth(ctx: ClientContext): Promise<RepoAuth> {
  const repo = requireRepo(ctx);
  const { state, token } = await localToken(ctx);
  return { repo, token, commit_sha: state.head_sha, state };
}
