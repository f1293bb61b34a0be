// GitHub credentials of the service: a personal access token, or a GitHub App's installation tokens minted and refreshed with @octokit/auth-app.
import { createAppAuth } from "@octokit/auth-app";
import type { Octokit } from "@octokit/core";
import { createOctokit, GitHubError, type GitHubCredentials, type GitHubFailure, type RepoRef } from "./github-api.ts";

/** What the credentials are made from: `[github]` of the service config, the private key already read. */
export interface GitHubAuthConfig {
  /** A personal access token (classic or fine-grained); exclusive with `app_id`. */
  token?: string;
  /** A GitHub App's id; needs `private_key`. */
  app_id?: number;
  /** The App's private key, PEM (PKCS#1 as GitHub hands it out, or PKCS#8). */
  private_key?: string;
  /** `https://api.github.com` or `https://HOST/api/v3`. */
  api_url: string;
  /** Epoch milliseconds: when an installation token counts as expiring. */
  now: () => number;
  /** Time allowed for one request, milliseconds (default 10 s). */
  timeout_ms?: number;
}

/**
 * An installation token is minted again when less than this is left of its life (GitHub: tokens
 * live one hour); @octokit/auth-app's own cache keeps tokens 59 minutes by the wall clock and
 * never looks at `expires_at`, so the service checks `expires_at` itself.
 */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/** How many installation tokens are remembered for redaction (the current ones and a few before). */
const REMEMBERED_TOKENS = 16;

function basic(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
}

function redactWith(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join("***");
    const b64 = Buffer.from(`x-access-token:${s}`).toString("base64");
    out = out.split(b64).join("***");
  }
  return out;
}

class NoCredentials implements GitHubCredentials {
  readonly kind = "none" as const;
  async apiAuthorization(): Promise<undefined> {
    return undefined;
  }
  async gitAuthorization(): Promise<undefined> {
    return undefined;
  }
  invalidate(): boolean {
    return false;
  }
  redact(text: string): string {
    return text;
  }
}

class TokenCredentials implements GitHubCredentials {
  readonly kind = "token" as const;
  constructor(private readonly token: string) {}
  async apiAuthorization(): Promise<string> {
    return `Bearer ${this.token}`;
  }
  async gitAuthorization(): Promise<string> {
    return basic(this.token);
  }
  invalidate(): boolean {
    return false;
  }
  redact(text: string): string {
    return redactWith(text, [this.token]);
  }
}

class AppCredentials implements GitHubCredentials {
  readonly kind = "app" as const;
  private readonly auth: ReturnType<typeof createAppAuth>;
  private readonly octokit: Octokit;
  /** Installation id per `owner/name` (lowercase); a failed lookup is forgotten so the next call asks again. */
  private readonly installations = new Map<string, Promise<number>>();
  /** The installation ids already known, by the same key. */
  private readonly resolved = new Map<string, number>();
  /** Installations whose next token must be minted fresh (GitHub refused the cached one). */
  private readonly stale = new Set<number>();
  private readonly tokens: string[] = [];

  constructor(
    app_id: number,
    private_key: string,
    private readonly cfg: GitHubAuthConfig,
  ) {
    this.octokit = createOctokit(cfg.api_url, cfg.timeout_ms);
    this.auth = createAppAuth({ appId: app_id, privateKey: private_key, request: this.octokit.request, log: { warn: () => {} } });
  }

  async apiAuthorization(repo: RepoRef): Promise<string> {
    return `Bearer ${await this.installationToken(repo)}`;
  }

  async gitAuthorization(repo: RepoRef): Promise<string> {
    return basic(await this.installationToken(repo));
  }

  invalidate(repo: RepoRef): boolean {
    const id = this.resolved.get(`${repo.owner}/${repo.name}`.toLowerCase());
    if (id !== undefined) this.stale.add(id);
    return true;
  }

  redact(text: string): string {
    return redactWith(text, this.tokens);
  }

  /** Signs a JWT with the private key (no request): throws when the key is not usable. */
  async checkKey(): Promise<void> {
    await this.auth({ type: "app" });
  }

  private async installationToken(repo: RepoRef): Promise<string> {
    const id = await this.installationId(repo);
    const forced = this.stale.delete(id);
    let token;
    try {
      token = await this.auth({ type: "installation", installationId: id, refresh: forced });
      if (!forced && Date.parse(token.expiresAt) - this.cfg.now() < TOKEN_REFRESH_MARGIN_MS) {
        token = await this.auth({ type: "installation", installationId: id, refresh: true });
      }
    } catch (e) {
      // A refused token stays refused: the next call mints again rather than use the cached one.
      if (forced) this.stale.add(id);
      // The App was uninstalled (and maybe installed again under a new id): look it up next time.
      if ((e as { status?: unknown }).status === 404) this.forget(repo);
      throw this.failure(e, repo, "an installation token");
    }
    if (!this.tokens.includes(token.token)) {
      this.tokens.push(token.token);
      if (this.tokens.length > REMEMBERED_TOKENS) this.tokens.shift();
    }
    return token.token;
  }

  private installationId(repo: RepoRef): Promise<number> {
    const key = `${repo.owner}/${repo.name}`.toLowerCase();
    let id = this.installations.get(key);
    if (id === undefined) {
      const lookup = this.lookupInstallation(repo);
      id = lookup;
      this.installations.set(key, lookup);
      lookup.then(
        (n) => this.resolved.set(key, n),
        () => {
          if (this.installations.get(key) === lookup) this.installations.delete(key);
        },
      );
    }
    return id;
  }

  private forget(repo: RepoRef): void {
    const key = `${repo.owner}/${repo.name}`.toLowerCase();
    this.installations.delete(key);
    this.resolved.delete(key);
  }

  private async lookupInstallation(repo: RepoRef): Promise<number> {
    let jwt: string;
    try {
      jwt = (await this.auth({ type: "app" })).token;
    } catch {
      throw new GitHubError("unauthorized", `Repository "${repo.owner}/${repo.name}": the GitHub App's private key cannot sign a token.`, `${repo.owner}/${repo.name}`);
    }
    try {
      const res = await this.octokit.request("GET /repos/{owner}/{repo}/installation", {
        owner: repo.owner,
        repo: repo.name,
        headers: { authorization: `Bearer ${jwt}` },
      });
      const id = (res.data as { id?: unknown }).id;
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
        throw new GitHubError("invalid_response", `Repository "${repo.owner}/${repo.name}": GitHub answered the App installation without an id.`, `${repo.owner}/${repo.name}`);
      }
      return id;
    } catch (e) {
      throw this.failure(e, repo, "the GitHub App's installation");
    }
  }

  private failure(e: unknown, repo: RepoRef, what: string): GitHubError {
    if (e instanceof GitHubError) return e;
    const full = `${repo.owner}/${repo.name}`;
    const err = e as { name?: unknown; status?: unknown; message?: unknown; response?: unknown };
    if (err?.name === "HttpError" && typeof err.status === "number" && err.response !== undefined) {
      const status = err.status;
      const kind: GitHubFailure =
        status === 401 ? "unauthorized" : status === 403 ? "forbidden" : status === 404 ? "not_found" : status === 429 ? "rate_limited" : status >= 500 ? "server_error" : "invalid_response";
      const hint = status === 404 ? " Is the App installed on this repository?" : status === 401 ? " Check github.app_id and github.private_key_path." : "";
      const message = this.redact(String(err.message ?? "")).slice(0, 200);
      return new GitHubError(kind, `Repository "${full}": GitHub answered HTTP ${status} asking for ${what} (${message}).${hint}`, full);
    }
    const reason = err?.name === "TimeoutError" || err?.name === "AbortError" ? "timed out" : this.redact(String(err?.message ?? e)).slice(0, 200);
    return new GitHubError("network", `Repository "${full}": GitHub cannot be reached asking for ${what} (${reason}).`, full);
  }
}

/**
 * The credentials of `[github]`: a personal access token (`token`), a GitHub App (`app_id` and
 * `private_key`), or none (public repositories only, at GitHub's anonymous rate limit).
 *
 * API calls carry `Authorization: Bearer <token>`; git smart HTTP carries
 * `Authorization: Basic base64("x-access-token:" + token)` (GitHub docs, "Authenticating as a
 * GitHub App installation": the installation token as the password of user `x-access-token`; a
 * personal access token works the same way). An App finds each repository's installation with
 * `GET /repos/{owner}/{repo}/installation` (JWT, once per repository) and mints installation
 * tokens with @octokit/auth-app, minting again when less than `TOKEN_REFRESH_MARGIN_MS` is left
 * (by `now`) or after GitHub refused one (`invalidate`). Failures throw GitHubError
 * (`upstream_unavailable`); no message ever holds a token or the key. Never throws itself and
 * makes no request: `checkGitHubAuth` checks an App's key at start-up.
 */
export function createCredentials(cfg: GitHubAuthConfig): GitHubCredentials {
  if (cfg.app_id !== undefined && cfg.app_id > 0 && cfg.private_key !== undefined) return new AppCredentials(cfg.app_id, cfg.private_key, cfg);
  if (cfg.token !== undefined && cfg.token !== "") return new TokenCredentials(cfg.token);
  return new NoCredentials();
}

/**
 * Checks credentials that can be checked without a request: an App's private key must sign a JWT.
 * Returns an error message (naming no secret) or undefined when usable.
 */
export async function checkGitHubAuth(credentials: GitHubCredentials): Promise<string | undefined> {
  if (!(credentials instanceof AppCredentials)) return undefined;
  try {
    await credentials.checkKey();
    return undefined;
  } catch {
    return "the GitHub App's private key cannot sign a token (expected an RSA private key in PEM form, as GitHub hands it out)";
  }
}
