// Raw HTTP against the compiled service on 127.0.0.1 (SPEC §16): odd request lines never get a development page, a path or a stack; a short Host header still routes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { makeOrigin, type ServiceProcess, startService, tempDir } from "../helpers/e2e.ts";

let root: string;
let service: ServiceProcess;
let admin: string;

beforeAll(async () => {
  root = tempDir("raw-http");
  const { origin } = makeOrigin(root);
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/raw=${origin}`]);
  admin = readFileSync(join(root, "coord.db.data", "admin-token"), "utf8").trim();
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Sends `text` on a fresh TCP connection and returns what came back before the server closed it or 1.5 s passed. */
function raw(text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const socket = connect(service.port, "127.0.0.1", () => socket.write(text));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 1500);
    socket.on("data", (d) => {
      got += d.toString("utf8");
      const body = got.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(got);
      if (body >= 0 && length && Buffer.byteLength(got.slice(body + 4)) >= Number(length[1])) done();
    });
    socket.on("end", done);
    socket.on("error", done);
  });
}

/** The status code and the body of a raw answer ("" when the server closed without one). */
function parse(answer: string): { status: number | null; type: string | null; body: string } {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
  const type = /content-type: ([^\r\n]+)/i.exec(answer);
  const at = answer.indexOf("\r\n\r\n");
  return { status: m ? Number(m[1]) : null, type: type ? type[1]! : null, body: at >= 0 ? answer.slice(at + 4) : "" };
}

/** Nothing in an answer may show the server's paths, a stack or an HTML page. */
function leaksNothing(answer: string): void {
  for (const secret of [root, process.cwd(), "    at ", "<html", "<!doctype", "__bunfallback", ".ts:"]) expect(answer.toLowerCase()).not.toContain(secret.toLowerCase());
}

describe("odd requests get a 4xx and leak nothing", () => {
  test("CONNECT 127.0.0.1:22 is 400 JSON invalid_request, not Bun's development page", async () => {
    const answer = await raw("CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n");
    const r = parse(answer);
    expect([r.status, r.type]).toEqual([400, "application/json;charset=utf-8"]);
    expect(JSON.parse(r.body)).toEqual({
      status: "invalid_request",
      message: "This service answers HTTP requests to its routes only (GET, POST, DELETE with a path); see GET /health.",
    });
    leaksNothing(answer);
    for (let i = 0; i < 50 && !service.output().includes("a request failed outside the routes"); i++) await Bun.sleep(20);
    expect(service.output()).toContain("a request failed outside the routes");
  });

  test("a method no route has (PROPFIND, TRACE) is 404 JSON naming the method", async () => {
    for (const method of ["PROPFIND", "TRACE"]) {
      const r = parse(await raw(`${method} / HTTP/1.1\r\nHost: x\r\n\r\n`));
      expect([r.status, JSON.parse(r.body)]).toEqual([404, { status: "not_found", message: `No route ${method} /.` }]);
    }
  });

  test("a method token Bun's parser does not know and a request line that is not HTTP: Bun's bare 400 or a closed connection, never a page", async () => {
    const unknown = await raw("FOO / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(unknown === "" || parse(unknown).status === 400).toBe(true);
    leaksNothing(unknown);
    const garbage = await raw("garbage\r\n\r\n");
    expect([parse(garbage).status, parse(garbage).body]).toEqual([400, ""]);
    leaksNothing(garbage);
    const star = await raw("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(parse(star).status).toBe(400);
    leaksNothing(star);
  });

  test("the service still answers after every one of them", async () => {
    const r = parse(await raw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    expect([r.status, JSON.parse(r.body).status]).toEqual([200, "ok"]);
  });
});

describe("a short Host header (a reverse proxy's short host name) routes like any other", () => {
  test("GET /sessions and GET /claims with 'Host: vm' read their query", async () => {
    for (const path of ["/sessions?repo=acme/raw", "/claims?repo=acme/raw"]) {
      const r = parse(await raw(`GET ${path} HTTP/1.1\r\nHost: vm\r\nAuthorization: Bearer ${admin}\r\nConnection: close\r\n\r\n`));
      expect(r.status).toBe(200);
    }
    const missing = parse(await raw("GET /claims?repo=acme/raw HTTP/1.1\r\nHost: vm\r\nConnection: close\r\n\r\n"));
    expect([missing.status, JSON.parse(missing.body)]).toEqual([400, { status: "invalid_request", message: "Invalid request query: field 'token' is required.", field: "token" }]);
  });

  test("curl -H 'Host: vm' gets the same answer as without it", async () => {
    const curl = (host: string[]) =>
      Bun.spawnSync(["curl", "-sS", ...host, "-H", `Authorization: Bearer ${admin}`, `${service.url}/claims?repo=acme/raw`]).stdout.toString();
    expect(JSON.parse(curl(["-H", "Host: vm"]))).toEqual({ active: [], recently_completed: [] });
    expect(curl(["-H", "Host: vm"])).toBe(curl([]));
  });
});
