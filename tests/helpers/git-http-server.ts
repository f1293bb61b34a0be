// A local smart-HTTP git server for tests: Bun.serve running `git http-backend` as CGI, with a request log.
import { gitEnv } from "./git-fixture.ts";

/** One request the server answered. */
export interface LoggedRequest {
  method: string;
  /** Path after the host, e.g. `/repo.git/info/refs`. */
  path: string;
  /** Query string without `?`, e.g. `service=git-upload-pack`. */
  query: string;
  status: number;
}

/** A running server. */
export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The clone URL of a repository under the project root, e.g. `repoUrl("o.git")`. */
  repoUrl(name: string): string;
  /** Every request so far, oldest first. */
  requests: LoggedRequest[];
  /** Stops listening and drops open connections; later requests are refused. */
  stop(): void;
}

/**
 * Answers one smart-HTTP request by running `git http-backend` as CGI over the repositories under
 * `projectRoot` (GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL; protocol v2 when the client asks for it).
 * `pathInfo` is the path inside the project root, e.g. `/o.git/info/refs`.
 */
export async function gitHttpBackend(req: Request, projectRoot: string, pathInfo: string): Promise<Response> {
  const url = new URL(req.url);
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(await req.arrayBuffer());
  const env: Record<string, string> = {
    ...gitEnv(),
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    REQUEST_METHOD: req.method,
    PATH_INFO: decodeURIComponent(pathInfo),
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: req.headers.get("content-type") ?? "",
    CONTENT_LENGTH: String(body?.length ?? 0),
    REMOTE_ADDR: "127.0.0.1",
    SERVER_PROTOCOL: "HTTP/1.1",
    GATEWAY_INTERFACE: "CGI/1.1",
  };
  const protocol = req.headers.get("git-protocol");
  if (protocol) env.GIT_PROTOCOL = protocol;
  const encoding = req.headers.get("content-encoding");
  if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
  const proc = Bun.spawn(["git", "http-backend"], { env, stdin: body ?? "ignore", stdout: "pipe", stderr: "pipe" });
  const out = Buffer.from(await new Response(proc.stdout).arrayBuffer());
  await proc.exited;
  const split = out.indexOf("\r\n\r\n");
  const headEnd = split >= 0 ? split : out.indexOf("\n\n");
  const sep = split >= 0 ? 4 : 2;
  const headers = new Headers();
  let status = 200;
  for (const line of out.subarray(0, Math.max(0, headEnd)).toString("latin1").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
    else headers.append(name, value);
  }
  return new Response(headEnd < 0 ? out : out.subarray(headEnd + sep), { status, headers });
}

/**
 * Serves every repository under `projectRoot` over smart HTTP (see `gitHttpBackend`) on 127.0.0.1
 * and a free port.
 */
export function startGitHttpServer(projectRoot: string): GitHttpServer {
  const requests: LoggedRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const res = await gitHttpBackend(req, projectRoot, url.pathname);
      requests.push({ method: req.method, path: url.pathname, query: url.search.replace(/^\?/, ""), status: res.status });
      return res;
    },
  });
  const base = `http://127.0.0.1:${server.port}`;
  return {
    base,
    repoUrl: (name) => `${base}/${name}`,
    requests,
    stop: () => {
      server.stop(true);
    },
  };
}
