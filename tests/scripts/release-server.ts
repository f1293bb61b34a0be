// Test helper: a GitHub-release look-alike and an npm registry on 127.0.0.1, serving built archives and packed tarballs, with failure modes chosen by URL prefix.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";

/** One release version: the folder holding its archives, SHA256SUMS and VERSION (what buildRelease writes). */
export interface ReleaseDir {
  version: string;
  dir: string;
}

/** One npm package version: its package.json and, when it can be installed, its packed tarball. */
export interface NpmVersion {
  manifest: Record<string, unknown>;
  tgz?: string;
}

/** A running server. Base URLs select the behaviour, so concurrent runs need no shared state. */
export interface ReleaseServer {
  url: string;
  /** Releases served normally: `<url>/ok/releases`. */
  releases: string;
  /** Every release request answers 403 (a sandbox blocking GitHub downloads): `<url>/forbidden/releases`. */
  forbidden: string;
  /** SHA256SUMS carries a wrong hash for every asset: `<url>/badsum/releases`. */
  badsum: string;
  /** The npm registry: `<url>/npm`. */
  registry: string;
  /** The registry, with every integrity naming other bytes: `<url>/npm-badint`. */
  registry_badint: string;
  /** The paths requested so far, in order. */
  requests: string[];
  stop(): void;
}

function sha(algo: "sha512" | "sha1", data: Uint8Array, enc: "base64" | "hex"): string {
  return new Bun.CryptoHasher(algo).update(data).digest(enc);
}

const INSTALL_SH = join(import.meta.dir, "..", "..", "scripts", "install.sh");

/**
 * Starts the server on 127.0.0.1 (a free port). `latest` names the version `releases/latest/`
 * serves. `packages` maps an npm name to its versions (the last one is `latest`); a version without
 * a tarball is listed (npm reads its os/cpu) but its tarball answers 404. `/install.sh` serves
 * scripts/install.sh.
 */
export function startReleaseServer(opts: { releases: readonly ReleaseDir[]; latest: string; packages?: ReadonlyMap<string, readonly NpmVersion[]> }): ReleaseServer {
  const requests: string[] = [];
  const byVersion = new Map(opts.releases.map((r) => [r.version, r.dir]));
  const tarballs = new Map<string, Uint8Array>();
  // Digests once at start: the tarballs are 50 MB. `bad` is the sha512 of the tarball plus one byte.
  const digests = new Map<string, { sha512: string; bad: string; sha1: string }>();
  for (const versions of opts.packages?.values() ?? []) {
    for (const v of versions) {
      if (!v.tgz) continue;
      const data = new Uint8Array(readFileSync(v.tgz));
      tarballs.set(basename(v.tgz), data);
      digests.set(basename(v.tgz), {
        sha512: sha("sha512", data, "base64"),
        bad: new Bun.CryptoHasher("sha512").update(data).update(new Uint8Array([1])).digest("base64"),
        sha1: sha("sha1", data, "hex"),
      });
    }
  }
  const none = { sha512: sha("sha512", new Uint8Array([0]), "base64"), bad: sha("sha512", new Uint8Array([1]), "base64"), sha1: sha("sha1", new Uint8Array([0]), "hex") };
  let base = "";
  const manifest = (name: string, v: NpmVersion, registry: string, badint: boolean) => {
    const file = `${name}-${String(v.manifest.version)}.tgz`;
    const d = digests.get(file) ?? none;
    return { ...v.manifest, dist: { tarball: `${registry}/${name}/-/${file}`, integrity: `sha512-${badint ? d.bad : d.sha512}`, shasum: d.sha1 } };
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(path);
      if (path === "/install.sh") return new Response(Bun.file(INSTALL_SH));
      const rel = /^\/(ok|forbidden|badsum)\/releases\/(?:latest\/download|download\/v([^/]+))\/([^/]+)$/.exec(path);
      if (rel) {
        const [, mode, tag, file] = rel;
        if (mode === "forbidden") return new Response("blocked by the sandbox's egress policy\n", { status: 403 });
        const dir = byVersion.get(tag ?? opts.latest);
        if (!dir) return new Response("Not Found", { status: 404 });
        const f = Bun.file(join(dir, file!));
        if (mode === "badsum" && file === "SHA256SUMS") {
          return f.text().then((t) => new Response(t.replace(/^([0-9a-f])/gm, (c) => (c === "0" ? "1" : "0"))));
        }
        return f.exists().then((ok) => (ok ? new Response(f) : new Response("Not Found", { status: 404 })));
      }
      const npm = /^\/(npm|npm-badint)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(decodeURIComponent(path));
      if (npm && opts.packages) {
        const [, prefix, name, spec, file] = npm;
        const registry = `${base}/${prefix}`;
        const versions = opts.packages.get(name!);
        if (!versions || versions.length === 0) return Response.json({ error: "Not found" }, { status: 404 });
        if (spec === "-" && file) {
          const data = tarballs.get(file);
          return data ? new Response(data as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/octet-stream" } }) : new Response("Not Found", { status: 404 });
        }
        const badint = prefix === "npm-badint";
        const latest = versions[versions.length - 1]!;
        if (spec === undefined) {
          return Response.json({
            name,
            "dist-tags": { latest: latest.manifest.version },
            versions: Object.fromEntries(versions.map((v) => [String(v.manifest.version), manifest(name!, v, registry, badint)])),
          });
        }
        const v = spec === "latest" ? latest : versions.find((x) => x.manifest.version === spec);
        return v ? Response.json(manifest(name!, v, registry, badint)) : Response.json({ error: "version not found" }, { status: 404 });
      }
      return new Response("Not Found", { status: 404 });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
  return {
    url: base,
    releases: `${base}/ok/releases`,
    forbidden: `${base}/forbidden/releases`,
    badsum: `${base}/badsum/releases`,
    registry: `${base}/npm`,
    registry_badint: `${base}/npm-badint`,
    requests,
    stop: () => server.stop(true),
  };
}

/** Runs `npm pack <dir>` into `dest` with an isolated cache; returns the tarball's path. Throws with npm's output on failure. */
export async function npmPack(dir: string, dest: string, cache: string): Promise<string> {
  const p = Bun.spawn(["npm", "pack", dir, "--pack-destination", dest, "--json", "--cache", cache, "--loglevel", "error"], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`npm pack ${dir} failed (exit ${code}): ${err}`);
  const [info] = JSON.parse(out) as { filename: string }[];
  return join(dest, info!.filename);
}
