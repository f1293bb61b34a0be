// Benchmark helper (not a test): holds idle /events streams open on raw TCP sockets (a hand-written HTTP/1.1 request per socket, no fetch connection pool), for scripts/bench-postgres.ts's idle-stream CPU rows.
// Usage: bun scripts/bench-stream-client.ts <url> <streams> <admin token>
// Prints "open <n>" once every stream has answered 200, then reads and drops what arrives until stdin closes (or LIFETIME_MS passes) and exits.
import { connect, type Socket } from "node:net";

/** How long opening all streams may take, in ms. */
const OPEN_TIMEOUT_MS = 60_000;
/** The longest this process lives, in ms, whatever its parent does. */
const LIFETIME_MS = 300_000;

/** Opens one stream of `repo` and resolves with its socket once the status line says 200; rejects on another status, an error or a close. */
function openStream(host: string, port: number, path: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let head = "";
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      reject(e);
    };
    sock.once("error", fail);
    sock.once("close", () => fail(new Error("closed before answering")));
    sock.once("connect", () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    sock.on("data", (chunk: Buffer) => {
      if (settled) return;
      head += chunk.toString("latin1");
      const eol = head.indexOf("\r\n");
      if (eol < 0) return;
      const status = head.slice(0, eol);
      if (!/^HTTP\/1\.1 200 /.test(status)) return fail(new Error(`answered '${status}'`));
      settled = true;
      resolve(sock);
    });
  });
}

if (import.meta.main) {
  const [url, count, token] = process.argv.slice(2);
  if (!url || !count || !token || !/^\d+$/.test(count)) throw new Error("usage: bench-stream-client.ts <url> <streams> <admin token>");
  const u = new URL(url);
  const n = Number(count);
  const socks: Socket[] = [];
  const quit = (code: number) => {
    for (const s of socks) s.destroy();
    process.exit(code);
  };
  setTimeout(() => quit(0), LIFETIME_MS).unref();
  process.stdin.on("end", () => quit(0));
  process.stdin.on("close", () => quit(0));
  process.stdin.resume();
  const deadline = setTimeout(() => {
    console.error(`opened ${socks.length} of ${n} streams within ${OPEN_TIMEOUT_MS / 1000} s`);
    quit(1);
  }, OPEN_TIMEOUT_MS);
  // 50 at a time: a burst of a few hundred connects overflows the listen backlog.
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => openStream(u.hostname, Number(u.port), "/events?repo=acme/bench", token)),
    ).catch((e: unknown) => {
      console.error(`stream ${socks.length + 1} of ${n}: ${e instanceof Error ? e.message : String(e)}`);
      quit(1);
      return [];
    });
    socks.push(...batch);
  }
  clearTimeout(deadline);
  for (const s of socks) {
    // Idle readers: drop keep-alives; a stream the service closes is an error for the measurement.
    s.on("data", () => undefined);
    s.on("close", () => {
      console.error("a stream was closed by the service");
      quit(1);
    });
  }
  console.log(`open ${socks.length}`);
}
