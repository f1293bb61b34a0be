// A recording reverse proxy on 127.0.0.1 in front of a service: the request log tests assert on (method and path of every request that reached it).
/** A running proxy: its URL, the log, and stop. */
export interface RequestLog {
  url: string;
  /** `METHOD /path` of every request, in arrival order (query strings cut). */
  requests: string[];
  stop(): void;
}

/** Starts a proxy forwarding every request to `target` (an http://127.0.0.1 URL) and logging it. */
export function startRequestLog(target: string): RequestLog {
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      requests.push(`${req.method} ${url.pathname}`);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(target + url.pathname + url.search, { method: req.method, headers: req.headers, body });
      return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}
