// The bad-input part of the robustness suite: generated malformed requests over every route (broken JSON, wrong types, huge and deep values, NUL and invalid UTF-8, path traversal, wrong content types): no 5xx, no hang, nothing stored by a rejected request.
import { ADMIN_TOKEN, sessionId, type Access } from "./fixture.ts";
import { random } from "./workload.ts";

/** One route the generator knows: its method and path, and a valid body or query to mutate. */
interface RouteTemplate {
  method: "GET" | "POST" | "DELETE";
  path: string;
  /** A valid JSON body (POST/DELETE) or query (GET). */
  valid: Record<string, unknown>;
  /** Extra headers a valid request carries. */
  headers?: Record<string, string>;
}

/** One generated request. */
export interface BadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** What was broken, for the report. */
  label: string;
}

/** What the run found. */
export interface BadInputReport {
  requests: number;
  /** Answers with status ≥ 500. */
  server_errors: number;
  /** Requests with no answer within the timeout. */
  hangs: number;
  /** Rejected requests (status ≥ 400) after which the stored state differed. */
  state_changes: number;
  by_status: Record<string, number>;
  anomalies: string[];
}

/** Every route of the service with a valid request (SPEC §3, §7). */
export function routes(access: Access): RouteTemplate[] {
  const session = sessionId(900_001);
  const q = { repo: access.repo, token: access.token, commit_sha: access.commit_sha };
  return [
    { method: "POST", path: "/claim", valid: { ...q, session_id: session, task_id: "fuzz-task", branch: "claude/fuzz", plan_file: "" } },
    { method: "POST", path: "/complete", valid: { ...q, session_id: session, task_id: "fuzz-task" } },
    { method: "DELETE", path: "/claim", valid: { repo: access.repo, task_id: "fuzz-task" }, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    { method: "GET", path: "/claims", valid: q },
    { method: "POST", path: "/heartbeat", valid: { ...q, session_id: session, branch: "claude/fuzz", state: "working", progress: 10, note: "n" } },
    { method: "GET", path: "/sessions", valid: q },
    { method: "POST", path: "/messages", valid: { ...q, session_id: session, broadcast: true, subject: "s", body: "b" } },
    { method: "GET", path: "/messages", valid: q, headers: { "x-session-id": session } },
    { method: "POST", path: "/messages/ack", valid: { ...q, session_id: session, ids: [1] } },
    { method: "GET", path: "/events", valid: q },
    { method: "GET", path: "/health", valid: {} },
    { method: "GET", path: "/", valid: {} },
  ];
}

const deep = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

/** Values of the wrong type or shape, put in place of a field. */
const BAD_VALUES: [string, unknown][] = [
  ["null", null],
  ["zero", 0],
  ["negative", -1],
  ["huge number", 1e308],
  ["float", 1.5],
  ["true", true],
  ["array", ["x"]],
  ["object", { a: 1 }],
  ["empty string", ""],
  ["10 kB string", "x".repeat(10_000)],
  ["NUL", "a\u0000b"],
  ["lone surrogate", "\ud800"],
  ["control characters", "\u0001\u001b[31m\u007f"],
  ["deep array", deep(2000)],
  ["traversal", "../../../etc/passwd"],
  ["traversal in repo form", "acme/../../robust"],
  ["encoded traversal", "%2e%2e%2f%2e%2e"],
  ["backslashes", "acme\\..\\robust"],
  ["absolute path", "/etc/passwd"],
  ["newline", "a\nb"],
  ["unicode", "ﬁ𝔘\u200b"],
  ["proto", { __proto__: { polluted: true } }],
  ["numeric string", "123"],
];

const BROKEN_JSON = ["", "{", "}", "[]", "null", "1", '"str"', "{'a':1}", '{"repo":', '{"a":1} trailing', "\ufeff{}", "{\"a\":\"\\ud800\"}", "{\"a\":1,}", "NaN", "{\"__proto__\":{\"x\":1}}", "[".repeat(5000)];

const CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/xml", ""];

const INVALID_UTF8: [string, number[]][] = [
  ["0xff bytes", [0xff, 0xfe, 0xfd]],
  ["overlong slash", [0xc0, 0xaf]],
  ["truncated sequence", [0xe2, 0x82]],
  ["surrogate encoded", [0xed, 0xa0, 0x80]],
];

/** Percent-encodes `s`; a lone surrogate (which encodeURIComponent refuses) becomes its WTF-8 bytes, invalid UTF-8 on purpose. */
function encode(s: string): string {
  return s.replace(/[\ud800-\udfff]/g, "\u0000").split("\u0000").map(encodeURIComponent).join("%ED%A0%80");
}

function encodeQuery(q: Record<string, unknown>): string {
  return Object.entries(q)
    .map(([k, v]) => `${encode(k)}=${encode(typeof v === "string" ? v : (JSON.stringify(v) ?? "undefined"))}`)
    .join("&");
}

/** A request with `body` (any value, JSON-encoded) or, for GET, `query`. */
function make(r: RouteTemplate, value: Record<string, unknown>, label: string, headers: Record<string, string> = {}): BadRequest {
  if (r.method === "GET") return { method: "GET", path: `${r.path}?${encodeQuery(value)}`, headers: { ...r.headers, ...headers }, label };
  return { method: r.method, path: r.path, headers: { "content-type": "application/json", ...r.headers, ...headers }, body: JSON.stringify(value), label };
}

/**
 * Generates at least `count` bad requests over `routes(access)`: first every systematic case (each
 * field of each route replaced by each bad value or removed; broken JSON; wrong content types;
 * invalid UTF-8 inside a string; a 2 MB body; traversal and NUL in paths; wrong headers), then
 * random combinations (1-3 fields broken at once) from `seed` until `count`.
 */
export function generate(access: Access, count: number, seed: number): BadRequest[] {
  const out: BadRequest[] = [];
  const rs = routes(access);
  for (const r of rs) {
    for (const field of Object.keys(r.valid)) {
      for (const [name, v] of BAD_VALUES) out.push(make(r, { ...r.valid, [field]: v }, `${r.method} ${r.path}: ${field} = ${name}`));
      const { [field]: _, ...rest } = r.valid;
      out.push(make(r, rest, `${r.method} ${r.path}: ${field} missing`));
    }
    if (r.method === "GET") {
      out.push({ method: "GET", path: `${r.path}?repo=a&repo=b&token=x`, headers: { ...r.headers }, label: `GET ${r.path}: repeated parameters` });
      out.push({ method: "GET", path: `${r.path}?${"x".repeat(6000)}=1`, headers: { ...r.headers }, label: `GET ${r.path}: 6 kB parameter name` });
      out.push({ method: "GET", path: `${r.path}?repo=%ff%fe&token=%00`, headers: { ...r.headers }, label: `GET ${r.path}: invalid UTF-8 and NUL in the query` });
      continue;
    }
    for (const text of BROKEN_JSON) out.push({ method: r.method, path: r.path, headers: { "content-type": "application/json", ...r.headers }, body: text, label: `${r.method} ${r.path}: broken JSON ${JSON.stringify(text.slice(0, 20))}` });
    for (const ct of CONTENT_TYPES) {
      const headers: Record<string, string> = { ...r.headers };
      if (ct !== "") headers["content-type"] = ct;
      out.push({ method: r.method, path: r.path, headers, body: ct.startsWith("application/x-www") ? encodeQuery(r.valid) : JSON.stringify(r.valid), label: `${r.method} ${r.path}: content type ${ct || "(none)"}` });
    }
    for (const [name, bytes] of INVALID_UTF8) {
      const json = JSON.stringify({ ...r.valid, task_id: "@@" });
      const [before, after] = json.split("@@") as [string, string];
      const body = new Uint8Array([...new TextEncoder().encode(before), ...bytes, ...new TextEncoder().encode(after)]);
      out.push({ method: r.method, path: r.path, headers: { "content-type": "application/json", ...r.headers }, body, label: `${r.method} ${r.path}: ${name} in a string` });
    }
    out.push({ method: r.method, path: r.path, headers: { "content-type": "application/json", ...r.headers }, body: JSON.stringify({ ...r.valid, pad: "x".repeat(2 * 1024 * 1024) }), label: `${r.method} ${r.path}: 2 MB body` });
    out.push(make(r, { ...r.valid, extra: deep(100), constructor: { prototype: { x: 1 } } }, `${r.method} ${r.path}: unknown fields`));
  }
  for (const p of ["/claim/../claims", "/%00", "/claims%2f..%2f..", "/..%2f..%2fetc%2fpasswd", `/${"a".repeat(8000)}`, "/claims/", "//claims", "/CLAIMS", "/events/%ff"]) {
    out.push({ method: "GET", path: p, headers: {}, label: `GET ${JSON.stringify(p.slice(0, 30))}` });
  }
  for (const auth of ["Bearer", "Bearer ", `Bearer ${"x".repeat(5000)}`, "Basic YTpi", `Bearer ${ADMIN_TOKEN}\u0000`]) {
    out.push({ method: "DELETE", path: "/claim", headers: { "content-type": "application/json", authorization: auth.replace(/\u0000/g, "") }, body: JSON.stringify({ repo: access.repo, task_id: "fuzz-task" }), label: `DELETE /claim: authorization ${JSON.stringify(auth.slice(0, 20))}` });
  }
  for (const id of ["", "x", "s".repeat(5000), "../../x", " s900001-robustness-session"]) {
    out.push({ method: "GET", path: `/messages?${encodeQuery({ repo: access.repo, token: access.token, commit_sha: access.commit_sha })}`, headers: { "x-session-id": id }, label: `GET /messages: X-Session-Id ${JSON.stringify(id.slice(0, 20))}` });
  }
  for (const id of ["-1", "1e3", "99999999999999999999", "abc", "0x10"]) {
    out.push({ method: "GET", path: `/events?${encodeQuery({ repo: access.repo, token: "sha256:0", commit_sha: "0" })}`, headers: { "last-event-id": id }, label: `GET /events: bad token, Last-Event-ID ${id}` });
  }
  const rnd = random(seed);
  const bodyRoutes = rs.filter((r) => Object.keys(r.valid).length > 0);
  while (out.length < count) {
    const r = bodyRoutes[Math.floor(rnd() * bodyRoutes.length)]!;
    const fields = Object.keys(r.valid);
    const value: Record<string, unknown> = { ...r.valid };
    const names: string[] = [];
    const n = 1 + Math.floor(rnd() * 3);
    for (let i = 0; i < n; i++) {
      const f = fields[Math.floor(rnd() * fields.length)]!;
      const [name, v] = BAD_VALUES[Math.floor(rnd() * BAD_VALUES.length)]!;
      value[f] = v;
      names.push(`${f} = ${name}`);
    }
    out.push(make(r, value, `${r.method} ${r.path}: ${names.join(", ")}`));
  }
  return out;
}

/**
 * Sends `requests` one after another to `url` (each bounded by `timeout_ms`; a `text/event-stream`
 * answer is closed once its status is known) and checks each answer: status < 500, an answer in
 * time, and, when the request was rejected (status ≥ 400), `fingerprint()` of the stored state
 * unchanged by it.
 */
export async function runBadInput(url: string, requests: readonly BadRequest[], fingerprint: () => Promise<string>, timeout_ms = 10_000): Promise<BadInputReport> {
  const report: BadInputReport = { requests: 0, server_errors: 0, hangs: 0, state_changes: 0, by_status: {}, anomalies: [] };
  let state = await fingerprint();
  for (const req of requests) {
    report.requests++;
    let status: number;
    try {
      const res = await fetch(url + req.path, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(timeout_ms) });
      status = res.status;
      if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) await res.body?.cancel();
      else await res.arrayBuffer();
    } catch (e) {
      report.hangs++;
      if (report.anomalies.length < 20) report.anomalies.push(`${req.label}: no answer (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    report.by_status[status] = (report.by_status[status] ?? 0) + 1;
    if (status >= 500) {
      report.server_errors++;
      if (report.anomalies.length < 20) report.anomalies.push(`${req.label}: HTTP ${status}`);
    }
    const now = await fingerprint();
    if (now !== state && status >= 400) {
      report.state_changes++;
      if (report.anomalies.length < 20) report.anomalies.push(`${req.label}: rejected with ${status} but the stored state changed`);
    }
    state = now;
  }
  return report;
}
