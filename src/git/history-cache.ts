// The plan-history disk cache: per-commit metadata, plan-dir entries and answers, written atomically.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { endianness } from "node:os";
import { join } from "node:path";
import { canonicalMode, forEachTreeEntry } from "./object-store.ts";

/** A commit as the plan walk sees it. */
export interface CommitNode {
  /** Parents in order, 40 hex each (the commit's own parents, whatever `shallow` says). */
  parents: string[];
  /** Tree oid of the plan directory in this commit, `""` when the plan directory is absent. */
  dir: string;
}

/**
 * What the plan walk learned about one repository for one plan path. Every key is a content
 * address (a commit or tree oid), so entries never go stale: a cache dir may even be shared by
 * several repositories. Plan-dir entries are interned (most plan dirs differ from the previous one
 * by one file), which keeps the file small and lets a dir be decoded only when a walk needs it.
 */
export class HistoryModel {
  readonly commits = new Map<string, CommitNode>();
  /** Recent heads → plan file name → newest commit changing it. Oldest first. */
  readonly heads = new Map<string, Map<string, string>>();
  /** True when something was added since the model was loaded. */
  dirty = false;
  /** Interned entries: name and `"<canonical mode> <oid>"`. */
  readonly entryNames: string[] = [];
  readonly entryValues: string[] = [];
  private readonly entryIds = new Map<string, number>();
  /** Raw tree entry (latin1) → interned id, for this run only. */
  private readonly rawIds = new Map<string, number>();
  /** Plan-dir tree oid → interned entry ids. */
  readonly dirLists = new Map<string, Uint32Array>();
  private readonly dirMaps = new Map<string, Map<string, string>>();

  /** Entries (names ending in `.json` only) of a plan-dir tree: name → `"<canonical mode> <oid>"`; undefined when unknown. */
  dir(oid: string): Map<string, string> | undefined {
    const decoded = this.dirMaps.get(oid);
    if (decoded !== undefined) return decoded;
    const list = this.dirLists.get(oid);
    if (list === undefined) return undefined;
    const map = new Map<string, string>();
    for (const id of list) map.set(this.entryNames[id] as string, this.entryValues[id] as string);
    this.dirMaps.set(oid, map);
    return map;
  }

  /**
   * Records the entries named `*.json` of a plan-dir tree, given the tree's raw content, and returns
   * them as a map. Raw entries are looked up as they are before any decoding: a plan dir mostly
   * repeats entries already seen.
   */
  addDir(oid: string, tree: Buffer): Map<string, string> {
    const ids: number[] = [];
    forEachTreeEntry(oid, tree, (p, space, nul) => {
      if (nul - space <= 5 || tree.toString("latin1", nul - 5, nul) !== ".json") return;
      const end = nul + 21;
      const raw = tree.toString("latin1", p, end);
      let id = this.rawIds.get(raw);
      if (id === undefined) {
        const value = `${canonicalMode(tree.toString("latin1", p, space))} ${tree.toString("hex", nul + 1, end)}`;
        id = this.intern(tree.toString("utf8", space + 1, nul), value);
        this.rawIds.set(raw, id);
      }
      ids.push(id);
    });
    this.dirLists.set(oid, Uint32Array.from(ids));
    this.dirty = true;
    return this.dir(oid) as Map<string, string>;
  }

  /** The id of an entry, adding it when new. */
  intern(name: string, value: string): number {
    const key = `${name}\0${value}`;
    let id = this.entryIds.get(key);
    if (id === undefined) {
      id = this.entryNames.length;
      this.entryNames.push(name);
      this.entryValues.push(value);
      this.entryIds.set(key, id);
    }
    return id;
  }
}

/** How many heads' answers the history file keeps as shortcuts for later walks. */
const KEPT_HEADS = 16;
/** How many answer files one plan path keeps. */
const KEPT_ANSWERS = 256;
const MAGIC = Buffer.from("CCPH\x02", "latin1");
const LITTLE_ENDIAN = endianness() === "LE";
const ZERO_OID = "0".repeat(40);

/** A stable, file-name-safe key for a plan path. */
export function planKey(plan_path: string): string {
  return createHash("sha1").update(plan_path).digest("hex").slice(0, 16);
}

/** Writes `data` to `path` through a temp file and a rename, so readers never see half a file. */
export function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A cached answer: the plan files at `head` as `[path, sha]` pairs in byte order. Undefined when absent or unreadable. */
export function readAnswer(cache_dir: string, plan_path: string, head: string): [string, string][] | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(answerPath(cache_dir, plan_path, head), "utf8"));
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { plan_path: p, head_sha, files } = parsed as Record<string, unknown>;
    if (p !== plan_path || head_sha !== head || !Array.isArray(files)) return undefined;
    const ok = files.every(
      (f) => Array.isArray(f) && f.length === 2 && typeof f[0] === "string" && /^[0-9a-f]{40}$/.test(String(f[1])),
    );
    return ok ? (files as [string, string][]) : undefined;
  } catch {
    return undefined;
  }
}

/** Stores an answer. Failures are swallowed: the cache only ever saves time. */
export function writeAnswer(cache_dir: string, plan_path: string, head: string, files: [string, string][]): void {
  try {
    const dir = join(cache_dir, "answers", planKey(plan_path));
    mkdirSync(dir, { recursive: true });
    writeAtomic(answerPath(cache_dir, plan_path, head), JSON.stringify({ plan_path, head_sha: head, files }));
    pruneAnswers(dir);
  } catch {
    // A read-only or full disk only costs speed.
  }
}

function answerPath(cache_dir: string, plan_path: string, head: string): string {
  return join(cache_dir, "answers", planKey(plan_path), `${head}.json`);
}

function pruneAnswers(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  if (names.length <= KEPT_ANSWERS) return;
  const aged = names.map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { n } of aged.slice(0, names.length - KEPT_ANSWERS)) unlinkSync(join(dir, n));
}

function historyPath(cache_dir: string, plan_path: string): string {
  return join(cache_dir, `plan-history-${planKey(plan_path)}.bin`);
}

/** Loads the history file of a plan path; an absent, foreign or corrupt file gives an empty model. */
export function loadHistory(cache_dir: string, plan_path: string): HistoryModel {
  try {
    return decode(readFileSync(historyPath(cache_dir, plan_path)), plan_path) ?? new HistoryModel();
  } catch {
    return new HistoryModel();
  }
}

/** Saves the history file when the model changed. Failures are swallowed. */
export function saveHistory(cache_dir: string, plan_path: string, model: HistoryModel): void {
  if (!model.dirty) return;
  try {
    mkdirSync(cache_dir, { recursive: true });
    writeAtomic(historyPath(cache_dir, plan_path), encode(model, plan_path));
    model.dirty = false;
  } catch {
    // A read-only or full disk only costs speed.
  }
}

/** Records the answers at `head`, keeping the most recent heads only. */
export function rememberHead(model: HistoryModel, head: string, files: Map<string, string>): void {
  model.heads.delete(head);
  model.heads.set(head, files);
  while (model.heads.size > KEPT_HEADS) model.heads.delete(model.heads.keys().next().value as string);
  model.dirty = true;
}

class Writer {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u16(v: number): void {
    this.room(2);
    this.len = this.buf.writeUInt16BE(v, this.len);
  }
  u32(v: number): void {
    this.room(4);
    this.len = this.buf.writeUInt32BE(v, this.len);
  }
  oid(hex: string): void {
    this.room(20);
    this.len += this.buf.write(hex, this.len, 20, "hex");
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u16(b.length);
    this.bytes(b);
  }
  /** A list of u32 as little-endian bytes in one copy (one loop on a big-endian host). */
  u32s(list: Uint32Array): void {
    this.room(list.byteLength);
    if (LITTLE_ENDIAN) Buffer.from(list.buffer, list.byteOffset, list.byteLength).copy(this.buf, this.len);
    else for (let i = 0; i < list.length; i++) this.buf.writeUInt32LE(list[i] as number, this.len + i * 4);
    this.len += list.byteLength;
  }
  bytes(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }
  done(): Buffer {
    const body = this.buf.subarray(0, this.len);
    return Buffer.concat([body, createHash("sha1").update(body).digest()]);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u16(): number {
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u32s(n: number): Uint32Array {
    if (this.pos + n * 4 > this.buf.length) throw new RangeError("truncated");
    const list = new Uint32Array(n);
    if (LITTLE_ENDIAN) Buffer.from(list.buffer).set(this.buf.subarray(this.pos, this.pos + n * 4));
    else for (let i = 0; i < n; i++) list[i] = this.buf.readUInt32LE(this.pos + i * 4);
    this.pos += n * 4;
    return list;
  }
  oid(): string {
    if (this.pos + 20 > this.buf.length) throw new RangeError("truncated");
    const v = this.buf.toString("hex", this.pos, this.pos + 20);
    this.pos += 20;
    return v;
  }
  str(): string {
    const n = this.u16();
    if (this.pos + n > this.buf.length) throw new RangeError("truncated");
    const v = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

function encode(model: HistoryModel, plan_path: string): Buffer {
  const w = new Writer();
  w.bytes(MAGIC);
  w.str(plan_path);
  w.u32(model.commits.size);
  for (const [oid, node] of model.commits) {
    w.oid(oid);
    w.oid(node.dir === "" ? ZERO_OID : node.dir);
    w.u16(node.parents.length);
    for (const p of node.parents) w.oid(p);
  }
  w.u32(model.entryNames.length);
  model.entryNames.forEach((name, id) => {
    const value = model.entryValues[id] as string;
    const space = value.indexOf(" ");
    w.str(name);
    w.u32(Number.parseInt(value.slice(0, space), 8));
    w.oid(value.slice(space + 1));
  });
  w.u32(model.dirLists.size);
  for (const [oid, list] of model.dirLists) {
    w.oid(oid);
    w.u32(list.length);
    w.u32s(list);
  }
  w.u32(model.heads.size);
  for (const [head, files] of model.heads) {
    w.oid(head);
    w.u32(files.size);
    for (const [name, sha] of files) {
      w.str(name);
      w.oid(sha);
    }
  }
  return w.done();
}

function decode(buf: Buffer, plan_path: string): HistoryModel | undefined {
  if (buf.length < MAGIC.length + 20 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const body = buf.subarray(0, buf.length - 20);
  if (!createHash("sha1").update(body).digest().equals(buf.subarray(buf.length - 20))) return undefined;
  const r = new Reader(body);
  r.pos = MAGIC.length;
  if (r.str() !== plan_path) return undefined;
  const model = new HistoryModel();
  for (let n = r.u32(); n > 0; n--) {
    const oid = r.oid();
    const dir = r.oid();
    const parents: string[] = [];
    for (let k = r.u16(); k > 0; k--) parents.push(r.oid());
    model.commits.set(oid, { parents, dir: dir === ZERO_OID ? "" : dir });
  }
  const entryCount = r.u32();
  for (let id = 0; id < entryCount; id++) {
    const name = r.str();
    const mode = r.u32().toString(8);
    if (model.intern(name, `${mode} ${r.oid()}`) !== id) return undefined;
  }
  for (let n = r.u32(); n > 0; n--) {
    const oid = r.oid();
    const list = r.u32s(r.u32());
    for (let i = 0; i < list.length; i++) if ((list[i] as number) >= entryCount) return undefined;
    model.dirLists.set(oid, list);
  }
  for (let n = r.u32(); n > 0; n--) {
    const head = r.oid();
    const files = new Map<string, string>();
    for (let k = r.u32(); k > 0; k--) {
      const name = r.str();
      files.set(name, r.oid());
    }
    model.heads.set(head, files);
  }
  return r.pos === body.length ? model : undefined;
}
