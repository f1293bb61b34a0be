// A repository behind an http(s) git URL, kept as a bare mirror on disk and refreshed on demand.
import * as fs from "node:fs";
import { join } from "node:path";
import git, { type HttpClient } from "isomorphic-git";
import httpWeb from "isomorphic-git/http/web";
import { CoordError } from "../core/errors.ts";
import type { CurrentMain } from "../core/repo.ts";
import { planTokenAt } from "../git/checkout.ts";
import { ObjectStore } from "../git/object-store.ts";
import { resolveRef } from "../git/refs.ts";
import type { RepoConfig, RepoSource } from "./source.ts";

const HEX40 = /^[0-9a-f]{40}$/;

/** Tunables of an HTTP source; tests shorten the timeouts or count requests through `client`. */
export interface HttpSourceOptions {
  /**
   * isomorphic-git's HTTP client. Default `isomorphic-git/http/web`, i.e. Bun's native fetch (both
   * clients work under Bun; the web one reports a refused connection as ECONNREFUSED where the
   * node one reports a socket hang-up).
   */
  client?: HttpClient;
  /** Time allowed for a head lookup, milliseconds (default 10 s). */
  lookup_timeout_ms?: number;
  /** Time allowed for a fetch, milliseconds (default 10 min: a first clone may be large). */
  fetch_timeout_ms?: number;
  /** Called before each git HTTP request to the remote (the service counts them: `coord_git_host_requests_total`). */
  on_request?: () => void;
}

/**
 * How an HTTP source learns main's head and authenticates, when the remote is more than a plain git
 * URL (the GitHub source: a conditional REST request instead of a ref advertisement, a token in a
 * header instead of credentials in the URL).
 */
export interface HttpSourceHooks {
  /**
   * The remote's current head of main, 40 hex. `known` is the mirror's head, if it has one (a
   * conditional lookup can send it as its validator). Throws `CoordError("upstream_unavailable")`.
   * Default: main's line of the remote's ref advertisement (one git request).
   */
  lookupHead?: (known: string | undefined) => Promise<string>;
  /**
   * The `Authorization` header value for every git request (asked per request, so a token that
   * rotates is picked up), or undefined for none. It never reaches errors, logs or disk.
   */
  authorization?: () => Promise<string | undefined>;
  /** Called when the remote answered a git request with 401 (a token to drop and mint again). */
  onUnauthorized?: () => void;
}

/** Where an HTTP source keeps its data and how it reads the clock. */
export interface HttpSourceConfig extends HttpSourceOptions, HttpSourceHooks {
  /** The remote's URL; it may carry credentials, which never appear in errors or on disk. */
  url: string;
  /** The bare mirror's git dir, created on the first call. */
  mirror_dir: string;
  /** Token cache dir. */
  cache_dir: string;
  /** Epoch milliseconds. */
  now: () => number;
}

/** `url` without user name and password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "<invalid URL>";
  }
}

function withTimeout(client: HttpClient, ms: number, on_request: (() => void) | undefined): HttpClient {
  return {
    request: (req) => {
      on_request?.();
      return client.request({ ...req, signal: AbortSignal.timeout(ms) });
    },
  };
}

function withAuthorization(client: HttpClient, hooks: HttpSourceHooks): HttpClient {
  const { authorization, onUnauthorized } = hooks;
  if (!authorization && !onUnauthorized) return client;
  return {
    async request(req) {
      const value = await authorization?.();
      const res = await client.request(value === undefined ? req : { ...req, headers: { ...req.headers, Authorization: value } });
      if (res.statusCode === 401) onUnauthorized?.();
      return res;
    },
  };
}

/** How many times one refresh looks main up again when a push was announced while it ran (bounded). */
const MAX_REFRESH_ROUNDS = 3;

/**
 * An `http://` or `https://` source. Main's head is looked up on the remote (one request) at most
 * every `head_ttl_ms`, at once when a client presents a commit the mirror does not have, and at
 * once after `refreshNow` (a push webhook); the mirror (full history of main only, under
 * `mirror_dir`) is fetched only when the remote head moved. Concurrent calls share one in-flight
 * refresh. The first call on an empty mirror clones. `hooks` replace the head lookup and add an
 * Authorization header to git requests (the GitHub source).
 */
export class HttpSource implements RepoSource {
  private lastLookup_ms: number | undefined;
  private inflight: Promise<void> | undefined;
  /** Bumped by `refreshNow`: a refresh that started before the bump runs once more. */
  private staleGeneration = 0;
  private readonly client: HttpClient;
  private readonly lookupClient: HttpClient;
  private readonly fetchClient: HttpClient;

  constructor(
    private readonly entry: RepoConfig,
    private readonly cfg: HttpSourceConfig,
  ) {
    this.client = withAuthorization(cfg.client ?? httpWeb, cfg);
    this.lookupClient = withTimeout(this.client, cfg.lookup_timeout_ms ?? 10_000, cfg.on_request);
    this.fetchClient = withTimeout(this.client, cfg.fetch_timeout_ms ?? 600_000, cfg.on_request);
  }

  /**
   * Main's head and token, refreshing the mirror first when the looked-up head is older than
   * `head_ttl_ms` or `presented_commit` is a commit id the mirror lacks. Throws
   * `CoordError("upstream_unavailable")` when the remote cannot be reached or the mirror read.
   */
  async current(presented_commit: string): Promise<CurrentMain> {
    const fresh = this.lastLookup_ms !== undefined && this.cfg.now() - this.lastLookup_ms < this.entry.head_ttl_ms;
    let head = this.mirrorHead();
    if (head === undefined || !fresh || this.lacksCommit(presented_commit)) {
      await this.refresh();
      head = this.mirrorHead();
    }
    if (head === undefined) throw this.unavailable(`the mirror has no branch "${this.entry.main_branch}"`);
    try {
      const { token } = await planTokenAt({
        gitdir: this.cfg.mirror_dir,
        head_sha: head,
        plan_path: this.entry.plan_path,
        cache_dir: this.cfg.cache_dir,
      });
      return { head_sha: head, token };
    } catch (e) {
      throw this.unavailable(`the mirror cannot be read: ${(e as Error).message}`);
    }
  }

  /** True when `presented_commit` is a commit id (40 hex) the mirror lacks: `current` would look main up first. False before the first clone. */
  lacksCommit(presented_commit: string): boolean {
    const head = this.mirrorHead();
    return head !== undefined && HEX40.test(presented_commit) && presented_commit !== head && !this.has(presented_commit);
  }

  /** Branch names on the remote (one request), sorted. */
  async listBranches(): Promise<string[]> {
    const refs = await this.remoteRefs("refs/heads/");
    return refs.map((r) => r.ref.slice("refs/heads/".length)).sort();
  }

  /** Looks main up on the remote and fetches when it moved; one at a time, shared by concurrent callers. */
  refresh(): Promise<void> {
    this.inflight ??= this.refreshRounds().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * Main moved on the remote (a push webhook said so): forgets the looked-up head and refreshes now,
   * so that the next `current` within `head_ttl_ms` needs no request. A refresh already running
   * when this is called runs once more after it. Throws like `current`.
   */
  refreshNow(): Promise<void> {
    this.staleGeneration++;
    this.lastLookup_ms = undefined;
    return this.refresh();
  }

  /**
   * Main's head on the remote from its ref advertisement (one git request, with the source's
   * Authorization header). Throws `CoordError("upstream_unavailable")` when the remote cannot be
   * read or has no such branch.
   */
  async remoteHead(): Promise<string> {
    const ref = `refs/heads/${this.entry.main_branch}`;
    const remote = (await this.remoteRefs(ref)).find((r) => r.ref === ref)?.oid;
    if (remote === undefined) throw this.unavailable(`the remote has no branch "${this.entry.main_branch}"`);
    return remote;
  }

  private async refreshRounds(): Promise<void> {
    for (let round = 0; round < MAX_REFRESH_ROUNDS; round++) {
      const generation = this.staleGeneration;
      await this.lookupAndFetch();
      if (generation === this.staleGeneration) return;
    }
  }

  private async lookupAndFetch(): Promise<void> {
    const known = this.mirrorHead();
    const remote = this.cfg.lookupHead ? await this.cfg.lookupHead(known) : await this.remoteHead();
    if (remote !== known || !this.has(remote)) await this.fetch();
    this.lastLookup_ms = this.cfg.now();
  }

  private async remoteRefs(prefix: string): Promise<{ ref: string; oid: string }[]> {
    try {
      // Protocol v1: the ref advertisement is the answer to one GET (v2 needs a second request).
      return await git.listServerRefs({ http: this.lookupClient, url: this.cfg.url, prefix, protocolVersion: 1 });
    } catch (e) {
      throw this.unreachable(e);
    }
  }

  private async fetch(): Promise<void> {
    const gitdir = this.cfg.mirror_dir;
    const main = this.entry.main_branch;
    try {
      if (!fs.existsSync(join(gitdir, "HEAD"))) {
        fs.mkdirSync(gitdir, { recursive: true });
        await git.init({ fs, gitdir, bare: true, defaultBranch: main });
      }
      // The refspec lives in the mirror's config; the URL (maybe with credentials) does not.
      await git.setConfig({ fs, gitdir, path: "remote.origin.fetch", value: `+refs/heads/${main}:refs/remotes/origin/${main}` });
      await git.fetch({
        fs,
        http: this.fetchClient,
        gitdir,
        url: this.cfg.url,
        remote: "origin",
        ref: main,
        remoteRef: main,
        singleBranch: true,
        tags: false,
      });
    } catch (e) {
      throw this.unreachable(e);
    }
  }

  private mirrorHead(): string | undefined {
    return resolveRef({ gitdir: this.cfg.mirror_dir }, `refs/remotes/origin/${this.entry.main_branch}`);
  }

  private has(oid: string): boolean {
    if (!fs.existsSync(join(this.cfg.mirror_dir, "objects"))) return false;
    const store = new ObjectStore(this.cfg.mirror_dir);
    try {
      return store.has(oid);
    } finally {
      store.close();
    }
  }

  private unreachable(e: unknown): CoordError {
    if (e instanceof CoordError) return e;
    const err = e as { code?: unknown; name?: unknown; message?: unknown; data?: { statusCode?: unknown } };
    let reason: string;
    if (err?.code === "HttpError" && err.data?.statusCode !== undefined) reason = `HTTP ${String(err.data.statusCode)}`;
    else if (err?.name === "TimeoutError" || err?.name === "AbortError") reason = "timed out";
    else if (typeof err?.code === "string") reason = err.code;
    else reason = String(err?.message ?? e);
    return this.unavailable(`cannot reach ${redactUrl(this.cfg.url)} (${this.scrub(reason)})`);
  }

  private scrub(text: string): string {
    let out = text.split(this.cfg.url).join(redactUrl(this.cfg.url));
    try {
      const u = new URL(this.cfg.url);
      for (const secret of [u.password, u.username]) {
        if (secret !== "") out = out.split(secret).join("***");
      }
    } catch {
      // An invalid URL has no credentials to hide.
    }
    return out;
  }

  private unavailable(reason: string): CoordError {
    return new CoordError("upstream_unavailable", `Repository "${this.entry.name}": ${reason}.`, {
      repo: this.entry.name,
    });
  }
}
