// Builds the service's repository source for a whitelist entry, chosen by the entry's `source` (the only file that imports every implementation).
import { createHash } from "node:crypto";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CoordError } from "../core/errors.ts";
import { GitHubSource, type GitHubContext } from "./github-source.ts";
import { HttpSource, type HttpSourceOptions } from "./http-source.ts";
import { LocalSource } from "./local-source.ts";
import type { RepoConfig, RepoSource } from "./source.ts";

/** What every source is given besides its entry. */
export interface SourceDeps {
  /** The service's data directory: mirrors and caches go under it. */
  data_dir: string;
  /** The clock, epoch milliseconds. */
  now: () => number;
  /** HTTP and GitHub sources: overrides for tests (timeouts, the HTTP client). */
  http?: HttpSourceOptions;
  /** GitHub sources: the API client and credentials of `[github]` (required when an entry says `github`). */
  github?: GitHubContext;
}

/**
 * A directory name for a repository name: safe characters kept, the rest `_`, and a short hash of
 * the full name so that `a/b` and `a_b` never share a mirror.
 */
export function safeName(name: string): string {
  const slug = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_").slice(0, 80);
  return `${slug}-${createHash("sha1").update(name).digest("hex").slice(0, 8)}`;
}

/**
 * Builds the source for one whitelist entry, dispatching on `entry.source`:
 * - a local path (absolute, or relative to the working directory): read live on every call;
 * - `file://` URL: isomorphic-git has no file transport, and a repository on this host needs no
 *   mirror, so it is read in place exactly like a local path;
 * - `http://` / `https://`: a bare mirror under `<data_dir>/mirrors/<safe name>`, refreshed by a
 *   head lookup at most every `head_ttl_ms`;
 * - `github`: the repository `<owner>/<name>` on GitHub (`deps.github`): a bare mirror under
 *   `<data_dir>/mirrors/<safe name>` fetched with the credentials, main's head by conditional
 *   REST request (see `GitHubSource`).
 * Token caches go under `<data_dir>/cache/<safe name>`.
 * Throws `CoordError("config_error")` for a source it cannot serve (also `github` without
 * `deps.github`, or a name that is not `owner/name`); never touches the network.
 */
export function createRepoSource(entry: RepoConfig, deps: SourceDeps): RepoSource {
  const cache_dir = join(deps.data_dir, "cache", safeName(entry.name));
  const source = entry.source.trim();
  if (source === "github") {
    if (!deps.github) {
      throw new CoordError("config_error", `Repository "${entry.name}" has source "github" but the service has no GitHub client configured.`, {
        repo: entry.name,
      });
    }
    const mirror_dir = join(deps.data_dir, "mirrors", safeName(entry.name));
    return new GitHubSource(entry, deps.github, { mirror_dir, cache_dir, now: deps.now, http: deps.http });
  }
  if (/^https?:\/\//i.test(source)) {
    const mirror_dir = join(deps.data_dir, "mirrors", safeName(entry.name));
    return new HttpSource(entry, { url: source, mirror_dir, cache_dir, now: deps.now, ...deps.http });
  }
  if (/^file:\/\//i.test(source)) {
    return new LocalSource(entry, { path: fileURLToPath(source), cache_dir });
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source) || /^[^/\\]+@[^/\\]+:/.test(source)) {
    throw new CoordError(
      "config_error",
      `source of repository "${entry.name}" uses a transport that is not supported; use http(s)://, file:// or a local path.`,
      { repo: entry.name },
    );
  }
  return new LocalSource(entry, { path: isAbsolute(source) ? source : resolve(source), cache_dir });
}
