// The dashboard page's script (TypeScript, bundled for the browser at build time by dashboard-bundle.ts): credentials, snapshot loads, the /events stream, rendering with textContent only, answers to stuck sessions.
/// <reference lib="dom" />
import type { Reservation, ReservationsResponse } from "../../api/reservations.ts";
import type { ActiveClaim, ClaimsResponse, CompletedClaim, ControlResponse, ErrorBody, InboxResponse, SendResponse, SessionsResponse } from "../../api/schemas.ts";
import { type NeedKind, needsOf, timeInState } from "../../core/needs.ts";

type SessionView = SessionsResponse["sessions"][number];
type MessageView = InboxResponse["messages"][number];

/** What the page proves access with: an admin token, or a repo token with its commit. */
interface Credentials {
  repo: string;
  admin?: string;
  token?: string;
  commit_sha?: string;
}

const STORAGE_KEY = "claude-coord.dashboard";
const REFRESH_MS = 60_000; // re-reads the listings: stale flags and TTL expiries make no event
const CLOCK_MS = 15_000; // re-renders relative times
const SUBJECT_MAX = 200;

// ---- credentials: URL fragment (never the query string) → sessionStorage ----

function loadCredentials(): Credentials | null {
  const hash = location.hash.replace(/^#/, "");
  if (hash !== "") {
    const p = new URLSearchParams(hash);
    const repo = (p.get("repo") || "").trim();
    if (repo !== "") {
      const creds: Credentials = { repo };
      for (const k of ["admin", "token", "commit_sha"] as const) {
        const v = (p.get(k) || "").trim();
        if (v !== "") creds[k] = v;
      }
      saveCredentials(creds);
    }
    // The tokens leave the address bar and the history at once.
    history.replaceState(null, "", location.pathname + location.search);
  }
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null") as Credentials | null;
    if (stored && typeof stored.repo === "string" && stored.repo !== "" && (stored.admin || (stored.token && stored.commit_sha))) return stored;
  } catch {
    // A broken entry counts as none.
  }
  return null;
}

function saveCredentials(creds: Credentials): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(creds));
}

let creds: Credentials | null = null;

/** The query proving access: repo, plus token and commit_sha without an admin token. */
function authQuery(c: Credentials): string {
  const q = new URLSearchParams({ repo: c.repo });
  if (!c.admin) {
    q.set("token", c.token ?? "");
    q.set("commit_sha", c.commit_sha ?? "");
  }
  return q.toString();
}

function authHeaders(c: Credentials): Record<string, string> {
  return c.admin ? { Authorization: `Bearer ${c.admin}` } : {};
}

class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, body: Partial<ErrorBody> | null) {
    const text = body && typeof body.message === "string" ? body.message : `The service answered HTTP ${status}.`;
    super(text);
    this.status = status;
    this.code = body && typeof body.status === "string" ? body.status : "";
  }
  /** Errors a retry cannot fix: wrong credentials, unknown repo, a route this service does not serve. */
  get fatal() {
    return this.status >= 400 && this.status < 500;
  }
}

async function apiError(res: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> | null = null;
  try {
    body = (await res.json()) as Partial<ErrorBody>;
  } catch {
    // Not JSON: the status says enough.
  }
  return new ApiError(res.status, body);
}

async function getJson<T>(c: Credentials, path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`${path}?${authQuery(c)}`, { headers: authHeaders(c), cache: "no-store", signal: signal ?? null });
  if (!res.ok) throw await apiError(res);
  return (await res.json()) as T;
}

// ---- state: listings, updated by events (every update is "last write per key wins") ----

const state = {
  claims: new Map<string, ActiveClaim>(), // task_id → active claim
  completions: new Map<string, CompletedClaim>(), // task_id + fence → completed claim
  sessions: new Map<string, SessionView>(), // session prefix + first_seen → session
  messages: new Map<number, MessageView>(), // id → message
  reservations: new Map<number, Reservation>(), // id → live reservation (SPEC §11)
};
/** Events applied while a snapshot loads; replayed on top of it, so nothing that happened meanwhile is lost. */
let collecting: Array<[string, unknown]> | null = null;

const completionKey = (c: CompletedClaim) => `${c.task_id}\u0000${c.fence}`;
const sessionKey = (s: SessionView) => `${s.session}\u0000${s.first_seen}`;

function applyEvent(type: string, data: unknown): void {
  if (collecting) collecting.push([type, data]);
  applyOne(type, data);
}

/** Applies one event; its data has the shape the listings give (server/activity-routes.ts and core/claims.ts log them so). */
function applyOne(type: string, data: unknown): void {
  if (!data || typeof data !== "object") return;
  if (type === "claimed") {
    const c = data as ActiveClaim;
    state.claims.set(c.task_id, c);
  } else if (type === "completed" || type === "expired" || type === "released") {
    const c = data as CompletedClaim;
    const held = state.claims.get(c.task_id);
    if (held && held.fence <= c.fence) state.claims.delete(c.task_id);
    state.completions.set(completionKey(c), c);
  } else if (type === "heartbeat") {
    const s = data as SessionView;
    state.sessions.set(sessionKey(s), s);
  } else if (type === "message") {
    const m = data as MessageView;
    state.messages.set(m.id, m);
  } else if (type === "reserved") {
    for (const r of (data as { reservations?: Reservation[] }).reservations ?? []) state.reservations.set(r.id, r);
  } else if (type === "unreserved") {
    for (const id of (data as { ids?: number[] }).ids ?? []) state.reservations.delete(id);
  }
}

async function loadSnapshot(c: Credentials, signal?: AbortSignal): Promise<void> {
  collecting = [];
  try {
    const [claims, sessions, messages, reservations] = await Promise.all([
      getJson<ClaimsResponse>(c, "/claims", signal),
      getJson<SessionsResponse>(c, "/sessions", signal),
      c.admin ? getJson<InboxResponse>(c, "/messages", signal) : Promise.resolve(null),
      getJson<ReservationsResponse>(c, "/reservations", signal),
    ]);
    state.reservations = new Map(reservations.reservations.map((r) => [r.id, r]));
    state.claims = new Map(claims.active.map((c) => [c.task_id, c]));
    state.completions = new Map(claims.recently_completed.map((c) => [completionKey(c), c]));
    state.sessions = new Map(sessions.sessions.map((s) => [sessionKey(s), s]));
    if (messages) {
      state.messages = new Map(messages.messages.map((m) => [m.id, m]));
    }
    saveLastData(c, claims, sessions);
    for (const [type, data] of collecting) applyOne(type, data);
  } finally {
    collecting = null;
  }
  render();
}

// ---- the event stream: fetch + a streaming reader (EventSource cannot send Authorization) ----

let generation = 0;
let lastEventId: string | null = null;
let retryMs = 2000;
let aborter: AbortController | null = null;

/** Reads SSE lines from `body`, calling `onEvent(type, data)` per dispatched event; resolves when the stream ends. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (type: string, data: unknown) => void): Promise<void> {
  const reader = body.pipeThrough<string>(new TextDecoderStream() as ReadableWritablePair<string, Uint8Array>).getReader();
  let buf = "";
  let type = "";
  let data: string[] = [];
  let id: string | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      if (line === "") {
        if (id !== null) lastEventId = id;
        if (data.length > 0) {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(data.join("\n")) as unknown;
          } catch {
            parsed = null;
          }
          if (parsed !== null) onEvent(type || "message", parsed);
        }
        type = "";
        data = [];
        id = null;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = val;
      else if (field === "data") data.push(val);
      else if (field === "id" && !val.includes("\u0000")) id = val;
      else if (field === "retry" && /^\d+$/.test(val)) retryMs = Number(val);
    }
  }
}

async function follow(c: Credentials, gen: number): Promise<void> {
  while (gen === generation) {
    const ctrl = new AbortController();
    aborter = ctrl;
    try {
      const headers = authHeaders(c);
      const resuming = lastEventId !== null;
      if (lastEventId !== null) headers["Last-Event-ID"] = lastEventId;
      setLive("wait", resuming ? "reconnecting…" : "connecting…");
      const res = await fetch(`/events?${authQuery(c)}`, { headers, cache: "no-store", signal: ctrl.signal });
      if (!res.ok || !res.body) throw await apiError(res);
      // The stream is open (the service fixed where it starts) before the snapshot is read, so
      // events in between are both in the snapshot and replayed on it: none is missed.
      const reading = readEvents(res.body, (type, data) => {
        if (gen !== generation) return;
        applyEvent(type, data);
        renderSoon();
      });
      reading.catch(() => {});
      if (!resuming) await loadSnapshot(c, ctrl.signal);
      showBoardError(null);
      setLive("on", "live");
      await reading;
    } catch (e) {
      if (gen !== generation) return;
      if (e instanceof ApiError && e.fatal) {
        setLive("error", "stopped");
        if (e.code === "stale_token") markOutdated(c);
        else showBoardError(explain(e));
        return;
      }
    } finally {
      ctrl.abort();
    }
    if (gen !== generation) return;
    setLive("retry", `reconnecting in ${Math.round(retryMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, retryMs));
  }
}

function explain(e: ApiError): string {
  if (e.code === "stale_token") return `${e.message}\nThe repo token is stale: main moved. Run 'claude-coord token' and open the dashboard with the new token.`;
  if (e.code === "unauthorized") return `${e.message}\nSign out and open the dashboard with a valid admin token.`;
  if (e.status === 404) return `${e.message}\nThis service does not serve sessions and events.`;
  return e.message;
}

async function refresh(c: Credentials, gen: number): Promise<void> {
  if (gen !== generation || live.dataset.state !== "on") return;
  try {
    await loadSnapshot(c);
  } catch (e) {
    if (gen !== generation) return;
    if (e instanceof ApiError && e.code === "stale_token") markOutdated(c);
    else showBoardError(e instanceof ApiError ? explain(e) : "The service could not be reached; the view may be out of date.");
  }
}

// ---- rendering (textContent and DOM properties only: every value from the service is data) ----

/** The element with `id`: the page's skeleton (index.html) has every id this script asks for. */
function $<E extends HTMLElement = HTMLElement>(id: string): E {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the dashboard page has no #${id}`);
  return e as E;
}
const live = $("live");

interface ElementOptions {
  cls?: string;
  text?: string | number | null;
  title?: string;
  data?: Record<string, string | number>;
}
type Child = Node | string | null | undefined;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, opts?: ElementOptions | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (opts) {
    if (opts.cls) e.className = opts.cls;
    if (opts.text !== undefined && opts.text !== null) e.textContent = String(opts.text);
    if (opts.title) e.title = opts.title;
    if (opts.data) for (const [k, v] of Object.entries(opts.data)) e.dataset[k] = String(v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function setLive(kind: string, text: string): void {
  live.dataset.state = kind;
  live.textContent = text;
}

function showBoardError(text: string | null): void {
  const p = $("board-error");
  p.hidden = text === null;
  p.textContent = text || "";
}

function ago(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  if (s < 10) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

function timeCell(iso: string): HTMLTableCellElement {
  return h("td", { text: ago(iso), title: new Date(iso).toLocaleString() });
}

/** A link only for http(s) URLs; anything else is shown as text. */
function link(url: string, text?: string): Node {
  let ok = false;
  try {
    const u = new URL(url);
    ok = u.protocol === "https:" || u.protocol === "http:";
  } catch {
    ok = false;
  }
  if (!ok) return document.createTextNode(String(url));
  const a = h("a", { text: text || url });
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

function stateBadge(s: SessionView): DocumentFragment {
  const frag = document.createDocumentFragment();
  frag.append(h("span", { cls: `badge state-${s.state}`, text: s.state.replaceAll("_", " ") }));
  if (s.stale) frag.append(h("span", { cls: "badge stale", text: "stale", title: "no heartbeat for longer than the stale interval; the session keeps its claim" }));
  return frag;
}

function progressCell(p: number | null): HTMLTableCellElement {
  const td = h("td");
  if (p === null || p === undefined) {
    td.textContent = "—";
    return td;
  }
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = p;
  td.append(bar, `${p}%`);
  return td;
}

function fillTable(id: string, rows: HTMLTableRowElement[], emptyId: string, countId: string): void {
  $<HTMLTableElement>(id).tBodies[0]?.replaceChildren(...rows);
  $(id).hidden = rows.length === 0;
  $(emptyId).hidden = rows.length > 0;
  $(countId).textContent = rows.length > 0 ? `(${rows.length})` : "";
}

const byNewest =
  <K extends string>(field: K) =>
  (a: Record<K, string>, b: Record<K, string>): number =>
    Date.parse(b[field]) - Date.parse(a[field]);

/** The PR of a completion: the one it named (complete --pr), else the pr_url its session reported (same session prefix, same branch first). */
function prFor(c: CompletedClaim): string | null {
  if (c.pr_url) return c.pr_url;
  let found: string | null = null;
  for (const s of state.sessions.values()) {
    if (s.session !== c.session || !s.pr_url) continue;
    if (s.branch === c.branch) return s.pr_url;
    found = found || s.pr_url;
  }
  return found;
}

let renderQueued = false;

/** One render for all the events of a chunk (a resumed stream can bring hundreds at once). */
function renderSoon(): void {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(() => {
    renderQueued = false;
    render();
  });
}

const HOW: Record<string, string> = {
  client_completed: "completed",
  admin_expired: "expired by an admin (task open again)",
  branch_removed: "branch merged or deleted",
  released: "released (task open again)",
};

function render(): void {
  const c = creds;
  if (!c) return;
  const sessions = [...state.sessions.values()];
  renderNeedsYou(c, sessions);
  const stuck = sessions.filter((s) => s.state === "stuck").sort(byNewest("last_heartbeat"));
  renderStuck(c, stuck);

  fillTable(
    "claims",
    [...state.claims.values()].sort(byNewest("claimed_at")).map((c) =>
      h(
        "tr",
        { data: { task: c.task_id, session: c.session } },
        h("td", { cls: "mono task", text: c.task_id }),
        h("td", { cls: "mono", text: c.session }),
        h("td", { cls: "mono", text: c.branch }),
        h("td", { cls: "mono", text: c.plan_file || "—" }),
        timeCell(c.claimed_at),
      ),
    ),
    "claims-empty",
    "claims-count",
  );

  fillTable(
    "reservations",
    [...state.reservations.values()]
      .filter((r) => Date.parse(r.expires_at) > Date.now())
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((r) =>
        h(
          "tr",
          { data: { session: r.session, path: r.path } },
          h("td", { cls: "mono", text: r.path }),
          h("td", { cls: "mono", text: r.session }),
          h("td", { text: r.exclusive ? "exclusive" : "shared" }),
          h("td", { cls: "mono", text: r.expires_at }),
          h("td", { text: r.reason || "" }),
        ),
      ),
    "reservations-empty",
    "reservations-count",
  );

  const rank = (s: SessionView) => (s.state === "stuck" ? 0 : s.stale ? 2 : 1);
  fillTable(
    "sessions",
    sessions
      .sort((a, b) => rank(a) - rank(b) || Date.parse(b.last_heartbeat) - Date.parse(a.last_heartbeat))
      .map((s) =>
        h(
          "tr",
          { cls: s.stale ? "is-stale" : "", data: { session: s.session, state: s.state } },
          h("td", { cls: "mono", text: s.session }),
          h("td", null, stateBadge(s)),
          h("td", { cls: "mono", text: s.task_id || "—" }),
          progressCell(s.progress),
          h("td", { text: s.note || "" }, s.pr_url ? h("div", null, link(s.pr_url, "pull request")) : null),
          h("td", { cls: "mono", text: s.branch }, s.worktree ? h("div", { cls: "worktree", text: s.worktree, title: "the session's git worktree" }) : null),
          timeCell(s.last_heartbeat),
        ),
      ),
    "sessions-empty",
    "sessions-count",
  );

  fillTable(
    "completions",
    [...state.completions.values()].sort(byNewest("completed_at")).map((c) => {
      const pr = prFor(c);
      return h(
        "tr",
        { data: { task: c.task_id, session: c.session } },
        h("td", { cls: "mono task", text: c.task_id }),
        h("td", { cls: "mono", text: c.session }),
        h("td", { cls: "mono", text: c.branch }),
        h("td", { text: HOW[c.completion_reason] || c.completion_reason }),
        timeCell(c.completed_at),
        h("td", { cls: "pr" }, pr ? link(pr) : "—"),
      );
    }),
    "completions-empty",
    "completions-count",
  );

  const msgs = [...state.messages.values()].sort((a, b) => b.id - a.id);
  $("messages").replaceChildren(
    ...msgs.map((m) =>
      h(
        "li",
        { data: { id: m.id } },
        h("div", { cls: "meta", text: `#${m.id} · ${m.from} → ${m.to} · ${ago(m.sent_at)}` }),
        h("div", { cls: "subject", text: m.subject }),
        h("div", { cls: "body", text: m.body }),
      ),
    ),
  );
  $("messages-empty").hidden = msgs.length > 0;
  $("messages-count").textContent = msgs.length > 0 ? `(${msgs.length})` : "";
}

/** A stuck session's card: its parts, kept so live updates change them in place. */
interface Card {
  root: HTMLElement;
  who: HTMLElement;
  reason: HTMLElement;
  context: HTMLElement;
  options: HTMLElement;
  answer: HTMLTextAreaElement;
  send: HTMLButtonElement;
  status: HTMLElement;
  session: SessionView;
  optionsKey: string | null;
}

// Stuck cards are updated in place, so an answer being typed survives live updates.
const cards = new Map<string, Card>();

function renderStuck(c: Credentials, stuck: SessionView[]): void {
  const list = $("stuck-list");
  const keep = new Set();
  stuck.forEach((s, i) => {
    const key = sessionKey(s);
    keep.add(key);
    let card = cards.get(key);
    if (!card) {
      card = makeCard(c, s);
      cards.set(key, card);
    }
    updateCard(c, card, s);
    // Moved only when out of order: moving a node takes the focus from the answer being typed.
    if (list.children[i] !== card.root) list.insertBefore(card.root, list.children[i] ?? null);
  });
  for (const [key, card] of cards) {
    if (!keep.has(key)) {
      card.root.remove();
      cards.delete(key);
    }
  }
  $("stuck-empty").hidden = stuck.length > 0;
  $("stuck-count").textContent = stuck.length > 0 ? `(${stuck.length})` : "";
}

function makeCard(c: Credentials, s: SessionView): Card {
  const root = h("article", { cls: "stuck-card", data: { session: s.session } });
  const who = h("div", { cls: "who" });
  const reason = h("div", { cls: "reason" });
  const context = h("div", { cls: "context" });
  const options = h("div", { cls: "options" });
  const answer = document.createElement("textarea");
  answer.name = "answer";
  answer.maxLength = 8000;
  answer.placeholder = `Your answer to session ${s.session}`;
  const send = h("button", { cls: "primary", text: "Send answer" });
  send.type = "submit";
  const status = h("span", { cls: "status", data: { role: "status" } });
  const form = h("form", null, answer, h("div", { cls: "row" }, send, status));
  if (!c.admin) {
    answer.disabled = true;
    send.disabled = true;
    answer.placeholder = "Answering needs the admin token: the service takes messages from the human only with it.";
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void sendAnswer(c, card);
  });
  root.append(who, reason, context, options, form);
  const card: Card = { root, who, reason, context, options, answer, send, status, session: s, optionsKey: null };
  return card;
}

function updateCard(c: Credentials, card: Card, s: SessionView): void {
  card.session = s;
  const st = s.stuck || { reason: "(no reason given)", context: null, options: [] };
  card.who.replaceChildren(
    ...[
      h("span", { cls: "mono", text: s.session }),
      ` on ${s.branch}`,
      s.task_id ? h("span", null, " · task ", h("span", { cls: "mono", text: s.task_id })) : null,
      ` · last heartbeat ${ago(s.last_heartbeat)}`,
      s.stale ? h("span", { cls: "badge stale", text: "stale" }) : null,
    ].filter((c) => c !== null),
  );
  card.reason.textContent = st.reason;
  card.context.textContent = st.context || "";
  card.context.hidden = !st.context;
  const optionsKey = JSON.stringify(st.options || []);
  if (optionsKey !== card.optionsKey) {
    card.optionsKey = optionsKey;
    card.options.replaceChildren(
      ...(st.options || []).map((o) => {
        const b = h("button", { text: o, title: "Put this option in the answer box" });
        b.type = "button";
        b.disabled = !c.admin;
        b.addEventListener("click", () => {
          card.answer.value = o;
          card.answer.focus();
        });
        return b;
      }),
    );
    card.options.hidden = (st.options || []).length === 0;
  }
}

async function sendAnswer(c: Credentials, card: Card): Promise<void> {
  const body = card.answer.value.trim();
  if (body === "") {
    setStatus(card, "Write an answer first (or pick an option).", true);
    return;
  }
  const reason = (card.session.stuck && card.session.stuck.reason) || "your question";
  const subject = `Re: ${reason}`.slice(0, SUBJECT_MAX);
  card.send.disabled = true;
  setStatus(card, "Sending…", false);
  try {
    const res = await fetch("/messages", {
      method: "POST",
      headers: { ...authHeaders(c), "Content-Type": "application/json" },
      body: JSON.stringify({ repo: c.repo, to_session: card.session.session, subject, body }),
    });
    if (!res.ok) throw await apiError(res);
    const sent = (await res.json()) as SendResponse;
    card.answer.value = "";
    setStatus(card, `Sent to ${sent.to.join(", ")} (message #${sent.ids.join(", #")}). The session reads it with 'claude-coord inbox'.`, false);
  } catch (e) {
    setStatus(card, e instanceof ApiError ? e.message : "The service could not be reached; the answer was not sent.", true);
  } finally {
    card.send.disabled = !c.admin;
  }
}

function setStatus(card: Card, text: string, isError: boolean): void {
  card.status.textContent = text;
  card.status.classList.toggle("error", isError);
}

// ---- what needs the human (SPEC §13): stuck, plan ready, PR ready, paused; time in state; title count; browser notifications ----

const LAST_DATA_KEY = "claude-coord.dashboard.last";

/** Keeps the last listings of this repo in this tab, so a stale repo token shows them marked out of date instead of empty lists. */
function saveLastData(c: Credentials, claims: ClaimsResponse, sessions: SessionsResponse): void {
  try {
    sessionStorage.setItem(LAST_DATA_KEY, JSON.stringify({ repo: c.repo, claims, sessions }));
  } catch {
    // Storage full or off: the live view works without it.
  }
}

/** Main moved (the repo token is stale): keep (or bring back) the last data, marked out of date. */
function markOutdated(c: Credentials): void {
  if (state.claims.size === 0 && state.sessions.size === 0) {
    try {
      const last = JSON.parse(sessionStorage.getItem(LAST_DATA_KEY) ?? "null") as { repo: string; claims: ClaimsResponse; sessions: SessionsResponse } | null;
      if (last && last.repo === c.repo) {
        state.claims = new Map(last.claims.active.map((x) => [x.task_id, x]));
        state.completions = new Map(last.claims.recently_completed.map((x) => [completionKey(x), x]));
        state.sessions = new Map(last.sessions.sessions.map((x) => [sessionKey(x), x]));
      }
    } catch {
      // A broken entry: nothing to bring back.
    }
  }
  $("board").dataset.outdated = "true";
  $("outdated").hidden = false;
  showBoardError(null);
  render();
}

const NEED_LABEL: Record<NeedKind, string> = { stuck: "Stuck", plan_ready: "Plan ready", pr_ready: "PR ready", paused: "Paused" };

/** The needs already seen (null before the first render: what is there at load notifies nothing). */
let seenNeeds: Set<string> | null = null;

function renderNeedsYou(c: Credentials, sessions: SessionView[]): void {
  const items = needsOf(sessions);
  const list = $("needs-list");
  // Kept while the same items show, so a message being typed survives live updates.
  const keys = items.map((x) => x.key);
  if (list.dataset.keys !== keys.join("\u0001")) {
    list.dataset.keys = keys.join("\u0001");
    list.replaceChildren(...items.map((x) => needItem(c, x.s, x.kind)));
  } else {
    for (const [i, x] of items.entries()) {
      const since = list.children[i]?.querySelector(".since");
      if (since) since.textContent = `for ${timeInState(x.s, Date.now())}`;
    }
  }
  $("needs-empty").hidden = items.length > 0;
  $("needs-count").textContent = items.length > 0 ? `(${items.length})` : "";
  document.title = items.length > 0 ? `(${items.length}) claude-coord` : "claude-coord";
  const fresh = seenNeeds === null ? [] : items.filter((_, i) => !seenNeeds!.has(keys[i]!));
  seenNeeds = new Set(keys);
  if (fresh.length > 0 && "Notification" in window && Notification.permission === "granted") {
    for (const x of fresh) new Notification(`claude-coord: ${NEED_LABEL[x.kind]}`, { body: `${c.repo}: session ${x.s.session}${x.s.task_id ? ` (task ${x.s.task_id})` : ""}`, tag: `${x.kind}-${x.s.session}` });
  }
}

function needItem(c: Credentials, s: SessionView, kind: NeedKind): HTMLLIElement {
  const li = h(
    "li",
    { data: { session: s.session, kind } },
    h("span", { cls: `kind badge state-${s.state}`, text: NEED_LABEL[kind] }),
    h("span", { cls: "mono", text: s.session }),
    s.task_id ? h("span", null, " · task ", h("span", { cls: "mono", text: s.task_id })) : null,
    ` · ${s.branch}`,
    h("span", { cls: "since", text: `for ${timeInState(s, Date.now())}`, title: `in this state since ${new Date(s.state_since ?? s.last_heartbeat).toLocaleString()}` }),
  );
  if (kind === "stuck" && s.stuck) li.append(h("div", { cls: "reason", text: s.stuck.reason }));
  if (kind === "plan_ready") li.append(s.plan ? h("pre", { cls: "plan", text: s.plan }) : h("div", { cls: "empty", text: "No plan attached (heartbeat --plan)." }));
  if (kind === "pr_ready" && s.pr_url) li.append(h("div", { cls: "pr" }, link(s.pr_url)));
  if (!c.admin) return li;
  const actions: Array<"pause" | "resume" | "approve" | "reject"> = kind === "plan_ready" ? ["approve", "reject"] : kind === "paused" ? ["resume"] : ["pause"];
  const message = document.createElement("input");
  message.name = "message";
  message.placeholder = "Message to the session (optional)";
  message.maxLength = 2000;
  const status = h("span", { cls: "status", data: { role: "status" } });
  const row = h("div", { cls: "controls row" }, message);
  for (const action of actions) {
    const b = h("button", { text: action[0]!.toUpperCase() + action.slice(1), data: { action } });
    b.type = "button";
    b.addEventListener("click", () => void control(c, s.session, action, message.value.trim(), status));
    row.append(b);
  }
  row.append(status);
  li.append(row);
  return li;
}

/** POST /sessions/control with the admin token; the session's new state arrives as an event. */
async function control(c: Credentials, session: string, action: string, message: string, status: HTMLElement): Promise<void> {
  status.textContent = "Sending…";
  try {
    const res = await fetch("/sessions/control", {
      method: "POST",
      headers: { ...authHeaders(c), "Content-Type": "application/json" },
      body: JSON.stringify({ repo: c.repo, session, action, ...(message ? { message } : {}) }),
    });
    if (!res.ok) throw await apiError(res);
    const r = (await res.json()) as ControlResponse;
    status.textContent = `Done: session ${r.session} is ${r.state}.`;
  } catch (e) {
    status.textContent = e instanceof ApiError ? e.message : "The service could not be reached.";
  }
}

$("notify-optin").addEventListener("click", () => {
  if (!("Notification" in window)) return;
  void Notification.requestPermission().then((p) => {
    $("notify-optin").textContent = p === "granted" ? "Notifications on" : "Notifications blocked";
  });
});

// ---- the two screens ----

function showLogin(message: string): void {
  generation++;
  if (aborter) aborter.abort();
  creds = null;
  $("board").hidden = true;
  $("login").hidden = false;
  $("sign-out").hidden = true;
  live.hidden = true;
  $("repo-name").textContent = "";
  $("login-error").textContent = message || "";
}

function showBoard(c: Credentials): void {
  creds = c;
  if (aborter) aborter.abort();
  $("login").hidden = true;
  $("board").hidden = false;
  $("sign-out").hidden = false;
  live.hidden = false;
  $("repo-name").textContent = c.repo;
  $("messages-note").hidden = Boolean(c.admin);
  state.claims.clear();
  state.completions.clear();
  state.sessions.clear();
  state.messages.clear();
  state.reservations.clear();
  for (const card of cards.values()) card.root.remove();
  cards.clear();
  lastEventId = null;
  showBoardError(null);
  $("board").dataset.outdated = "false";
  $("outdated").hidden = true;
  seenNeeds = null;
  render();
  const gen = ++generation;
  void follow(c, gen);
  const timer = setInterval(() => (gen === generation ? void refresh(c, gen) : clearInterval(timer)), REFRESH_MS);
  const clock = setInterval(() => (gen === generation ? render() : clearInterval(clock)), CLOCK_MS);
}

const loginForm = $<HTMLFormElement>("login-form");
loginForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const f = new FormData(loginForm);
  const get = (k: string) => String(f.get(k) ?? "").trim();
  const next: Credentials = { repo: get("repo") };
  if (get("admin") !== "") next.admin = get("admin");
  else if (get("token") !== "" && get("commit_sha") !== "") Object.assign(next, { token: get("token"), commit_sha: get("commit_sha") });
  else {
    $("login-error").textContent = "Give an admin token, or a repo token with its commit_sha.";
    return;
  }
  saveCredentials(next);
  loginForm.reset();
  showBoard(next);
});

$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(STORAGE_KEY);
  sessionStorage.removeItem(LAST_DATA_KEY);
  showLogin("");
});

// A link pasted into an open tab: adopt the credentials in its fragment.
window.addEventListener("hashchange", () => {
  if (location.hash.replace(/^#/, "") === "") return;
  const next = loadCredentials();
  if (next) showBoard(next);
});

const initial = loadCredentials();
if (initial) showBoard(initial);
else showLogin("");
