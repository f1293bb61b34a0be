// A fake GitHub for tests on 127.0.0.1: the REST, GraphQL and App endpoints the service calls, and git smart HTTP from real bare repositories, with failures on demand and a request log.
import { createPublicKey, createVerify, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { git, tempDir } from "./git-fixture.ts";
import { gitHttpBackend } from "./git-http-server.ts";

/** What kind of endpoint a request went to. */
export type FakeKind = "rest" | "graphql" | "git" | "app";

/** How a request authenticated: a known PAT, an installation token, an App JWT, none, or something refused. */
export type FakeAuth = "pat" | "installation" | "jwt" | "none" | "bad";

/** One request the fake answered. */
export interface FakeRequest {
  method: string;
  /** Path after the host, e.g. `/api/v3/repos/o/r/commits/main`. */
  path: string;
  kind: FakeKind;
  auth: FakeAuth;
  status: number;
  /** True when the request carried `If-None-Match`. */
  conditional: boolean;
}

/** A failure to answer with instead of the real answer. */
export type FakeFailure =
  | 401
  | 403
  | 404
  | 500
  | 502
  /** 403 with `x-ratelimit-remaining: 0` and a reset a minute ahead (GitHub's primary limit). */
  | "rate_limit"
  /** 403 with `retry-after: 60` (GitHub's secondary limit). */
  | "secondary_rate_limit"
  /** 429 with `retry-after: 30`. */
  | 429
  /** GraphQL's primary limit: 200 with `errors: [{type: "RATE_LIMITED"}]` and remaining 0. */
  | "graphql_rate_limited"
  /** 304 whatever the request (also to one without `If-None-Match`). */
  | 304
  /** 200 with a body of the wrong shape (REST: text that is no sha; GraphQL: `nodes` not a list). */
  | "garbage";

interface FailureRule {
  failure: FakeFailure;
  kinds: ReadonlySet<FakeKind>;
  times: number;
}

/** The fake's GitHub App: its id, its private key as GitHub hands it out (PKCS#1 PEM), its installation. */
export interface FakeApp {
  id: number;
  private_key: string;
  installation_id: number;
}

/** A running fake GitHub. */
export interface FakeGitHub {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The API URL to configure, GitHub Enterprise Server style: `<base>/api/v3` (GraphQL at `<base>/api/graphql`, git at `<base>/<owner>/<name>.git`). */
  api_url: string;
  /** A personal access token the fake accepts. */
  pat: string;
  app: FakeApp;
  /** Every request so far, oldest first. */
  requests: FakeRequest[];
  /** Creates an empty bare repository `owner/name` (main as default branch) and returns its path. */
  createRepo(full_name: string): string;
  /** Answers the next `times` requests of `kinds` (default: rest, graphql and git) with `failure`. */
  fail(failure: FakeFailure, opts?: { times?: number; kinds?: FakeKind[] }): void;
  /** Installation tokens minted from now on live this long (default one hour). */
  setTokenLifetime(ms: number): void;
  /** Every installation token minted so far is refused from now on (401), as if it had expired. */
  expireTokens(): void;
  /** Installation tokens minted so far. */
  mintedTokens(): string[];
  /** Stops listening and drops open connections. */
  stop(): void;
}

let appKeys: { private_key: string; public_key: string } | undefined;

/** One RSA key pair per test process (2048-bit generation is the slow part). */
function keys(): { private_key: string; public_key: string } {
  appKeys ??= (() => {
    const pair = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    return { private_key: pair.privateKey, public_key: pair.publicKey };
  })();
  return appKeys;
}

function b64url(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

const FAILURE_BODIES: Record<string, string> = {
  401: "Bad credentials",
  403: "Resource not accessible by integration",
  404: "Not Found",
  500: "Server Error",
  502: "Bad Gateway",
};

/**
 * Starts the fake on 127.0.0.1 and a free port. It serves:
 * - `GET /api/v3/repos/{o}/{r}/commits/{ref}` (Accept `application/vnd.github.sha`: the sha as text;
 *   ETag `"<sha>"`; `If-None-Match` matching it → 304); unknown repository → 404; unknown ref → 422;
 * - `POST /api/graphql`: `repository(owner, name) { refs(refPrefix: "refs/heads/", first, after) }`
 *   from the bare repository's branches (unknown repository → `NOT_FOUND`);
 * - `GET /api/v3/repos/{o}/{r}/installation` and `POST /api/v3/app/installations/{id}/access_tokens`
 *   for its App (an RS256 JWT signed by `app.private_key`, `iss` = app id, checked);
 * - git smart HTTP at `/{o}/{r}.git/...` through `git http-backend`, with Basic auth
 *   (`x-access-token:<token>`).
 * Every API and git request needs the PAT or a live installation token: a wrong one is 401, none is
 * 404 (a private repository). Every API answer carries `x-ratelimit-*` headers; answers other than
 * 304 count down `x-ratelimit-remaining`.
 */
export function startFakeGitHub(opts: { now?: () => number } = {}): FakeGitHub {
  const now = opts.now ?? Date.now;
  const root = tempDir("coord-fake-github-");
  const repos = new Map<string, string>();
  const requests: FakeRequest[] = [];
  const rules: FailureRule[] = [];
  const pat = `ghp_${randomBytes(18).toString("hex")}`;
  const { private_key, public_key } = keys();
  const app: FakeApp = { id: 4242, private_key, installation_id: 777 };
  const tokens = new Map<string, { expires_at_ms: number; revoked: boolean }>();
  let tokenLifetime_ms = 3_600_000;
  const remaining = { core: 5000, graphql: 5000 };
  const verifyKey = createPublicKey(public_key);

  function authOf(req: Request): FakeAuth {
    const h = req.headers.get("authorization");
    if (!h) return "none";
    const bearer = /^(?:bearer|token)\s+(\S+)$/i.exec(h)?.[1];
    const basic = /^basic\s+(\S+)$/i.exec(h)?.[1];
    let token = bearer;
    if (basic) {
      const decoded = Buffer.from(basic, "base64").toString();
      token = decoded.slice(decoded.indexOf(":") + 1);
    }
    if (!token) return "bad";
    if (token === pat) return "pat";
    const t = tokens.get(token);
    if (t) return !t.revoked && t.expires_at_ms > now() ? "installation" : "bad";
    if (bearer && token.split(".").length === 3) return jwtValid(token) ? "jwt" : "bad";
    return "bad";
  }

  function jwtValid(jwt: string): boolean {
    const [h, p, sig] = jwt.split(".") as [string, string, string];
    try {
      const header = JSON.parse(b64url(h).toString()) as { alg?: string };
      const payload = JSON.parse(b64url(p).toString()) as { iss?: unknown; exp?: number; iat?: number };
      if (header.alg !== "RS256") return false;
      const v = createVerify("RSA-SHA256");
      v.update(`${h}.${p}`);
      if (!v.verify(verifyKey, b64url(sig))) return false;
      const t = Math.floor(Date.now() / 1000);
      return String(payload.iss) === String(app.id) && typeof payload.exp === "number" && payload.exp > t && (payload.iat ?? 0) <= t + 60;
    } catch {
      return false;
    }
  }

  function kindOf(path: string): FakeKind {
    if (path === "/api/graphql") return "graphql";
    if (/^\/api\/v3\/(app\/|repos\/[^/]+\/[^/]+\/installation$)/.test(path)) return "app";
    if (path.startsWith("/api/")) return "rest";
    return "git";
  }

  function rateHeaders(bucket: "core" | "graphql"): Record<string, string> {
    return {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(remaining[bucket]),
      "x-ratelimit-reset": String(Math.floor(now() / 1000) + 3600),
      "x-ratelimit-resource": bucket,
    };
  }

  function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return Response.json(body, { status, headers });
  }

  function failureAnswer(f: FakeFailure, kind: FakeKind): Response {
    const bucket = kind === "graphql" ? "graphql" : "core";
    const reset = String(Math.floor(now() / 1000) + 60);
    if (f === "rate_limit") {
      return json(403, { message: "API rate limit exceeded for installation ID 777." }, { ...rateHeaders(bucket), "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset });
    }
    if (f === "secondary_rate_limit") {
      return json(403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }, { ...rateHeaders(bucket), "retry-after": "60" });
    }
    if (f === 429) return json(429, { message: "Too many requests" }, { ...rateHeaders(bucket), "retry-after": "30" });
    if (f === "graphql_rate_limited") {
      return json(200, { data: null, errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for installation ID 777." }] }, { ...rateHeaders(bucket), "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset });
    }
    if (f === 304) return new Response(null, { status: 304, headers: rateHeaders(bucket) });
    if (f === "garbage") {
      if (kind === "graphql") return json(200, { data: { repository: { refs: { nodes: "main", pageInfo: { hasNextPage: false } } } } }, rateHeaders(bucket));
      return new Response("<html>maintenance</html>", { status: 200, headers: { "content-type": "text/html; charset=utf-8", ...rateHeaders(bucket) } });
    }
    if (kind === "git") return new Response(FAILURE_BODIES[String(f)] ?? "error", { status: f as number, headers: f === 401 ? { "www-authenticate": 'Basic realm="GitHub"' } : {} });
    return json(f as number, { message: FAILURE_BODIES[String(f)] ?? "error" }, rateHeaders(bucket));
  }

  function takeFailure(kind: FakeKind): FakeFailure | undefined {
    const i = rules.findIndex((r) => r.times > 0 && r.kinds.has(kind));
    if (i < 0) return undefined;
    const rule = rules[i]!;
    rule.times--;
    if (rule.times === 0) rules.splice(i, 1);
    return rule.failure;
  }

  function branches(dir: string): string[] {
    const out = git(dir, ["for-each-ref", "--format=%(refname:strip=2)", "refs/heads/"]);
    return out === "" ? [] : out.split("\n").sort();
  }

  async function answer(req: Request, path: string, kind: FakeKind, auth: FakeAuth): Promise<Response> {
    if (kind === "app") return appAnswer(req, path, auth);
    if (auth === "bad") {
      if (kind === "git") return new Response("Invalid username or token.", { status: 401, headers: { "www-authenticate": 'Basic realm="GitHub"' } });
      return json(401, { message: "Bad credentials" }, rateHeaders(kind === "graphql" ? "graphql" : "core"));
    }
    if (auth === "jwt") return json(403, { message: "A JSON web token cannot be used to access this resource" });
    if (kind === "git") {
      const m = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/.exec(path);
      const dir = m ? repos.get(`${m[1]}/${m[2]}`.toLowerCase()) : undefined;
      if (!m || !dir) return new Response("Repository not found.", { status: 404 });
      if (auth === "none") return new Response("Authentication required", { status: 401, headers: { "www-authenticate": 'Basic realm="GitHub"' } });
      return gitHttpBackend(req, root, path);
    }
    if (kind === "graphql") {
      const body = (await req.json()) as { variables?: { owner?: string; name?: string; first?: number; after?: string | null } };
      const v = body.variables ?? {};
      const dir = repos.get(`${v.owner}/${v.name}`.toLowerCase());
      remaining.graphql--;
      if (!dir || auth === "none") {
        return json(200, { data: { repository: null }, errors: [{ type: "NOT_FOUND", path: ["repository"], message: `Could not resolve to a Repository with the name '${v.owner}/${v.name}'.` }] }, rateHeaders("graphql"));
      }
      const all = branches(dir);
      const start = v.after ? Number(Buffer.from(v.after, "base64").toString()) : 0;
      const first = Math.min(100, v.first ?? 100);
      const page = all.slice(start, start + first);
      const end = start + page.length;
      return json(200, {
        data: {
          repository: {
            refs: { nodes: page.map((name) => ({ name })), pageInfo: { hasNextPage: end < all.length, endCursor: page.length ? Buffer.from(String(end)).toString("base64") : null } },
          },
        },
      }, rateHeaders("graphql"));
    }
    const m = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/commits\/(.+)$/.exec(path);
    if (!m) return json(404, { message: "Not Found" }, rateHeaders("core"));
    const dir = repos.get(`${m[1]}/${m[2]}`.toLowerCase());
    if (!dir || auth === "none") {
      remaining.core--;
      return json(404, { message: "Not Found" }, rateHeaders("core"));
    }
    const ref = decodeURIComponent(m[3]!);
    let sha: string;
    try {
      sha = git(dir, ["rev-parse", "--verify", "-q", `refs/heads/${ref}^{commit}`]);
    } catch {
      remaining.core--;
      return json(422, { message: `No commit found for SHA: ${ref}` }, rateHeaders("core"));
    }
    const etag = `"${sha}"`;
    if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers: { etag, ...rateHeaders("core") } });
    remaining.core--;
    if ((req.headers.get("accept") ?? "").includes("application/vnd.github.sha")) {
      return new Response(sha, { status: 200, headers: { "content-type": "application/vnd.github.sha; charset=utf-8", etag, ...rateHeaders("core") } });
    }
    return json(200, { sha }, { etag, ...rateHeaders("core") });
  }

  function appAnswer(req: Request, path: string, auth: FakeAuth): Response {
    if (auth !== "jwt") return json(401, { message: "A JSON web token could not be decoded" });
    const inst = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path);
    if (inst && req.method === "GET") {
      if (!repos.has(`${inst[1]}/${inst[2]}`.toLowerCase())) return json(404, { message: "Not Found" });
      return json(200, { id: app.installation_id, app_id: app.id, target_type: "Organization" });
    }
    const mint = /^\/api\/v3\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (mint && req.method === "POST") {
      if (Number(mint[1]) !== app.installation_id) return json(404, { message: "Not Found" });
      const token = `ghs_${randomBytes(18).toString("hex")}`;
      const expires_at_ms = now() + tokenLifetime_ms;
      tokens.set(token, { expires_at_ms, revoked: false });
      return json(201, { token, expires_at: new Date(expires_at_ms).toISOString().replace(/\.\d{3}Z$/, "Z"), permissions: { contents: "read", metadata: "read" }, repository_selection: "all" });
    }
    return json(404, { message: "Not Found" });
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname;
      const kind = kindOf(path);
      const auth = authOf(req);
      const conditional = req.headers.has("if-none-match");
      const failure = takeFailure(kind);
      const res = failure !== undefined ? failureAnswer(failure, kind) : await answer(req, path, kind, auth);
      requests.push({ method: req.method, path, kind, auth, status: res.status, conditional });
      return res;
    },
  });
  const base = `http://127.0.0.1:${server.port}`;
  return {
    base,
    api_url: `${base}/api/v3`,
    pat,
    app,
    requests,
    createRepo(full_name) {
      const dir = join(root, `${full_name}.git`);
      mkdirSync(dir, { recursive: true });
      git(dir, ["init", "-q", "--bare", "-b", "main", "."]);
      repos.set(full_name.toLowerCase(), dir);
      return dir;
    },
    fail(failure, o = {}) {
      rules.push({ failure, kinds: new Set(o.kinds ?? ["rest", "graphql", "git"]), times: o.times ?? 1 });
    },
    setTokenLifetime(ms) {
      tokenLifetime_ms = ms;
    },
    expireTokens() {
      for (const t of tokens.values()) t.revoked = true;
    },
    mintedTokens: () => [...tokens.keys()],
    stop() {
      server.stop(true);
    },
  };
}
