// Claude Code on the web's path to the service: HTTPS through a CONNECT forward proxy to a TLS endpoint whose certificate a throwaway CA signed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { requireCommand } from "../../scripts/system-packages.ts";
import { binary, cloneSession, makeOrigin, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

const SESSION = "cccccccc-3333-4333-8333-333333333333";
let root: string;
let service: ServiceProcess;
let tls: ReturnType<typeof Bun.serve>;
let proxy: net.Server;
let proxyPort: number;
let work: string;
let ca: string;
const connects: string[] = [];

/** Runs openssl in `root`; throws with its stderr on failure. */
function openssl(...args: string[]): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr.toString()}`);
}

beforeAll(async () => {
  requireCommand("openssl");
  root = tempDir("tls");
  // A throwaway CA and a certificate for localhost signed by it (what a TLS-terminating egress proxy presents).
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=claude-coord test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost");
  write(join(root, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf");
  ca = join(root, "ca.pem");

  const { origin } = makeOrigin(root);
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/widgets=${origin}`]);
  // The TLS endpoint forwards every request to the service over plain HTTP.
  tls = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: Bun.file(join(root, "srv.pem")), key: Bun.file(join(root, "srv.key")) },
    async fetch(req) {
      const u = new URL(req.url);
      return await fetch(service.url + u.pathname + u.search, { method: req.method, headers: req.headers, body: req.method === "GET" ? undefined : await req.arrayBuffer() });
    },
  });
  // A forward proxy that only tunnels: CONNECT host:port, then bytes both ways.
  proxy = net.createServer((client) => {
    client.once("data", (head) => {
      const [method, target] = head.toString().split("\r\n")[0]!.split(" ");
      if (method !== "CONNECT" || !target) return client.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
      connects.push(target);
      const [host, port] = target.split(":");
      const upstream = net.connect(Number(port), host!, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyPort = (proxy.address() as net.AddressInfo).port;
  work = cloneSession(origin, root, "web");
  await binary();
}, 60_000);
afterAll(async () => {
  proxy?.close();
  tls?.stop(true);
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    CLAUDE_COORD_REPO: "acme/widgets",
    CLAUDE_COORD_URL: `https://localhost:${tls.port}`,
    CLAUDE_COORD_SESSION_ID: SESSION,
    HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`,
    NODE_EXTRA_CA_CERTS: "",
    SSL_CERT_FILE: "",
    ...extra,
  };
}

describe("through a TLS-terminating proxy", () => {
  test("an untrusted CA is its own error: exit 2, the certificate named as the cause, and the ACTION naming NODE_EXTRA_CA_CERTS", async () => {
    const before = connects.length;
    const r = await runClient(["claims"], { cwd: work, env: env() });
    expect(r.code).toBe(2);
    expect(connects.length).toBeGreaterThan(before);
    expect(connects.at(-1)).toBe(`localhost:${tls.port}`);
    expect(r.stderr).toContain("ERROR: The coordination service's TLS certificate could not be verified.\n");
    expect(r.stderr).toContain(`Service URL: https://localhost:${tls.port}\nStatus: UNABLE_TO_VERIFY_LEAF_SIGNATURE: `);
    expect(r.stderr).toContain("ACTION REQUIRED: Point NODE_EXTRA_CA_CERTS (or SSL_CERT_FILE) at that authority's certificate (PEM) and retry:\nexport NODE_EXTRA_CA_CERTS=<path of the proxy's CA certificate>\n");
    expect(r.stderr).not.toContain("Please ask the user whether to");
    const j = await runClient(["claims", "--json"], { cwd: work, env: env() });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).status).toBe("tls_untrusted");
  });

  test("the ACTION run as printed (the CA's path filled in) resolves it: claims and claim go through the proxy", async () => {
    const first = await runClient(["claims"], { cwd: work, env: env() });
    const action = first.stderr.split("\n").find((l) => l.startsWith("export NODE_EXTRA_CA_CERTS="))!;
    const command = action.replace("<path of the proxy's CA certificate>", ca);
    const bin = await binary();
    // Async: the proxy and the TLS endpoint live in this process, so it must not block.
    const proc = Bun.spawn(["bash", "-c", `${command} && "$BIN" claims && "$BIN" claim --task task-a --branch claude/web`], {
      cwd: work,
      env: { ...process.env, ...env(), BIN: bin, NODE_EXTRA_CA_CERTS: "" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toContain("=== Coordination State: acme/widgets (main at ");
    expect(stdout).toContain("task-a");
  });

  test("SSL_CERT_FILE works too", async () => {
    const r = await runClient(["claims", "--json"], { cwd: work, env: env({ SSL_CERT_FILE: ca }) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).active.map((c: { task_id: string }) => c.task_id)).toEqual(["task-a"]);
  });
});
