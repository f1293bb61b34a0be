// `claude-coord init`: wires a repository for coordination (config file, SessionStart hook script, .claude/settings.json entry, .mcp.json server), offline and idempotent.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { defineCommand } from "citty";
import serviceUnit from "../../templates/claude-coord.service" with { type: "text" };
import clientToml from "../../templates/claude-coord.toml.example" with { type: "text" };
import serviceToml from "../../templates/service.toml.example" with { type: "text" };
import hookScript from "../../templates/session-start-hook.sh" with { type: "text" };
import settingsJson from "../../templates/settings.json.example" with { type: "text" };
import { AGENTS_FILE, CODEX_CONFIG_FILE, CODEX_HOOKS_FILE, planCodex } from "./init-codex.ts";

const CODEX_FILES: readonly string[] = [AGENTS_FILE, CODEX_HOOKS_FILE, CODEX_CONFIG_FILE];
import { CLIENT_CONFIG_FILE, CLIENT_DEFAULTS, readClientConfigFile } from "../config.ts";
import { CoordError } from "../core/errors.ts";
import { findCheckout } from "../git/checkout.ts";
import { isObject, type Json, parseJsonFile, shapeError, stringifyLike } from "./json-file.ts";
import { MCP_JSON, mergeMcpJson } from "./mcp-json.ts";
import { processTerminal, reportResult } from "./output.ts";

/** The templates embedded in the binary, by the name `init --print` takes (the file names in templates/). */
export const TEMPLATES: Readonly<Record<string, string>> = {
  "session-start-hook.sh": hookScript,
  "settings.json.example": settingsJson,
  "claude-coord.toml.example": clientToml,
  "service.toml.example": serviceToml,
  "claude-coord.service": serviceUnit,
};

/** Where init puts the hook script, relative to the repository root. */
export const HOOK_SCRIPT = ".claude/hooks/session-start-coord.sh";

/** The agents `--agent` wires besides Claude Code (always wired). */
export const AGENTS: readonly string[] = ["codex"];

/** Where init adds the SessionStart entry, relative to the repository root. */
export const SETTINGS_FILE = ".claude/settings.json";

/** What init did to one file. `kept`: it exists, differs from what init would write, and was left alone. */
export interface InitFile {
  path: string;
  action: "created" | "updated" | "unchanged" | "kept";
  note?: string;
}

/** The outcome of `initRepo`. */
export interface InitResult {
  root: string;
  repo: string;
  /** The service URL the repository's config names, or undefined when it relies on the default. */
  service_url: string | undefined;
  files: InitFile[];
}

/**
 * The `owner/name` a remote URL names: the last two path segments, `.git` removed, of an
 * `https://`, `ssh://`, `git://` or scp-style (`git@host:owner/name.git`) URL. Undefined for a local
 * path or a URL with fewer than two segments.
 */
export function repoFromRemoteUrl(url: string): string | undefined {
  let path: string | undefined;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]+(\/.*)$/i.exec(url);
  if (scheme) path = scheme[1];
  else {
    const scp = /^(?:[^@/\s]+@)?[^:/\s]+:(?!\/)(.+)$/.exec(url);
    if (scp && !/^[a-z]:[\\/]/i.test(url)) path = scp[1];
  }
  if (path === undefined) return undefined;
  const parts = path.replace(/\/+$/, "").replace(/\.git$/, "").split("/").filter(Boolean);
  if (parts.length < 2) return undefined;
  return `${parts[parts.length - 2]}/${parts[parts.length - 1]}`;
}

/** The URL of remote `origin` in a git dir's `config`, or undefined when there is none. */
export function originUrl(gitdir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(gitdir, "config"), "utf8");
  } catch {
    return undefined;
  }
  let inOrigin = false;
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[([^\]]+)\]/.exec(line);
    if (section) {
      inOrigin = /^remote\s+"origin"$/.test(section[1]!.trim());
      continue;
    }
    const url = inOrigin ? /^\s*url\s*=\s*(.+?)\s*$/.exec(line) : null;
    if (url) return url[1];
  }
  return undefined;
}

const KEY_LINE = (key: string) => new RegExp(`^(\\s*${key}\\s*=\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*')(.*)$`);

/**
 * `text` (a flat TOML file) with `key` set to the string `value`: an active `key = ...` line gets the
 * new value (its trailing comment kept), else a commented-out `# key = ...` line is switched on,
 * else the line is appended. Returns `text` unchanged when the key already has that value.
 */
export function setTomlKey(text: string, key: string, value: string): string {
  const lines = text.split("\n");
  const quoted = JSON.stringify(value);
  const active = lines.findIndex((l) => new RegExp(`^\\s*${key}\\s*=`).test(l));
  // Keeps a trailing comment at its column (at least two spaces after the new value).
  const withTail = (start: string, m: RegExpExecArray) => {
    const tail = /^(\s*)(#.*)$/.exec(m[3]!);
    if (!tail) return `${start}${quoted}${m[3]}`;
    const column = m[1]!.length + m[2]!.length + tail[1]!.length;
    return `${start}${quoted}${" ".repeat(Math.max(2, column - start.length - quoted.length))}${tail[2]}`;
  };
  if (active >= 0) {
    const m = KEY_LINE(key).exec(lines[active]!);
    lines[active] = m ? withTail(m[1]!, m) : `${key} = ${quoted}`;
    return lines.join("\n");
  }
  const commented = lines.findIndex((l) => new RegExp(`^\\s*#\\s*${key}\\s*=`).test(l));
  if (commented >= 0) {
    const m = KEY_LINE(key).exec(lines[commented]!.replace(/^\s*#\s*/, ""));
    lines[commented] = m ? withTail(`${key} = `, m) : `${key} = ${quoted}`;
    return lines.join("\n");
  }
  const body = text === "" || text.endsWith("\n") ? text : `${text}\n`;
  return `${body}${key} = ${quoted}\n`;
}

/** The `.claude-coord.toml` init writes into a repository without one: the template with `repo` set and `service_url` set or commented out. */
export function renderClientToml(repo: string, service_url: string | undefined): string {
  let text = setTomlKey(clientToml, "repo", repo);
  if (service_url !== undefined) return setTomlKey(text, "service_url", service_url);
  text = text.replace(/^service_url\s*=/m, "# service_url =");
  return text;
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.claude-coord-${process.pid}.tmp`;
  writeFileSync(tmp, text);
  if (existsSync(path)) chmodSync(tmp, statSync(path).mode & 0o7777);
  renameSync(tmp, path);
}


/**
 * The hook entries init adds, by event (SessionStart, and `hook activity` for UserPromptSubmit and
 * PostToolUse): the ones in templates/settings.json.example, or those of `wanted` (`{hooks: {...}}`,
 * e.g. Codex's).
 */
export function hookEntries(wanted: unknown = JSON.parse(settingsJson)): [string, Json][] {
  const hooks = (wanted as { hooks: Record<string, Json[]> }).hooks;
  return Object.entries(hooks).map(([event, groups]) => {
    if (!groups[0]) throw new Error(`templates/settings.json.example has no ${event} entry`);
    return [event, groups[0]];
  });
}

/** The SessionStart entry init adds. */
export function sessionStartEntry(): Json {
  return hookEntries().find(([e]) => e === "SessionStart")![1];
}

/**
 * `text` with `entry` appended to `hooks.<event>`, every other key and hook kept in order and the
 * file's indentation reused; undefined when a group of that event already satisfies `present`.
 * Throws CoordError `config_error` naming the file when it is not JSON or `hooks` /
 * `hooks.<event>` has the wrong shape.
 */
function addHookEntry(text: string, file: string, event: string, entry: Json, present: (group: unknown) => boolean): string | undefined {
  const format = "Claude Code's settings format";
  const parsed = parseJsonFile(text, file, format);
  const bad = (what: string) => shapeError(file, what, format);
  const hooks = parsed.hooks ?? {};
  if (!isObject(hooks)) throw bad("'hooks' must be an object");
  const groups = hooks[event] ?? [];
  if (!Array.isArray(groups)) throw bad(`'hooks.${event}' must be an array`);
  if (groups.some(present)) return undefined;
  return stringifyLike(text, { ...parsed, hooks: { ...hooks, [event]: [...groups, entry] } });
}

/**
 * The settings file's text with claude-coord's SessionStart entry added, every other key and hook
 * kept in order and the file's indentation reused; undefined when it already runs claude-coord.
 * Throws CoordError `config_error` naming the file when it is not JSON or `hooks` /
 * `hooks.SessionStart` has the wrong shape.
 */
export function mergeSettings(text: string, file: string): string | undefined {
  const entry = sessionStartEntry();
  return addHookEntry(text, file, "SessionStart", entry, (g) => runsEntry(g, entry));
}

/** The PreToolUse entry init adds (the reservation guard, SPEC §11): the one in templates/settings.json.example. */
export function preToolUseEntry(): Json {
  const entry = ((JSON.parse(settingsJson) as { hooks: { PreToolUse: Json[] } }).hooks.PreToolUse)[0];
  if (!entry) throw new Error("templates/settings.json.example has no PreToolUse entry");
  return entry;
}

/**
 * The settings file's text with the reservation guard's PreToolUse entry added (Claude Code runs it
 * before Edit, Write, MultiEdit and NotebookEdit), merged like `mergeSettings`; undefined when a
 * PreToolUse group already runs `claude-coord hook pre-tool-use`.
 */
export function mergePreToolUse(text: string, file: string): string | undefined {
  const runsGuard = (group: unknown) =>
    isObject(group) && Array.isArray(group.hooks) && group.hooks.some((h) => isObject(h) && typeof h.command === "string" && h.command.includes("claude-coord hook pre-tool-use"));
  return addHookEntry(text, file, "PreToolUse", preToolUseEntry(), runsGuard);
}

/** The lines `init --git-hook` puts into the git pre-commit hook: the reservation guard, skipped when the CLI is not installed. */
export const PRE_COMMIT_BLOCK = [
  "# claude-coord: refuse a commit of paths another session reserves (claude-coord init --git-hook; SPEC §11)",
  'command -v claude-coord >/dev/null 2>&1 || PATH="$PATH:$HOME/.local/bin"',
  "if command -v claude-coord >/dev/null 2>&1; then claude-coord guard pre-commit || exit 1; fi",
].join("\n");

/**
 * `existing` pre-commit hook text (undefined: none) with the guard block: a new `#!/bin/sh` script,
 * or the block inserted after the shebang so it runs before the rest; undefined when the hook
 * already runs `claude-coord guard pre-commit`.
 */
export function withPreCommitGuard(existing: string | undefined): string | undefined {
  if (existing === undefined || existing.trim() === "") return `#!/bin/sh\n${PRE_COMMIT_BLOCK}\n`;
  if (existing.includes("claude-coord guard pre-commit")) return undefined;
  const lines = existing.split("\n");
  const at = lines[0]!.startsWith("#!") ? 1 : 0;
  lines.splice(at, 0, PRE_COMMIT_BLOCK);
  return lines.join("\n");
}

/**
 * What marks a hook command as claude-coord's: `claude-coord hook <event>` for a command running it,
 * and also the hook script's file name for the SessionStart entry (which runs the script).
 */
function markers(entry: Json): string[] {
  const out: string[] = [];
  for (const h of Array.isArray(entry.hooks) ? entry.hooks : []) {
    const command = isObject(h) && typeof h.command === "string" ? h.command : "";
    const hook = /claude-coord hook [a-z-]+/.exec(command);
    if (hook) out.push(hook[0]);
    if (command.includes("session-start-coord.sh")) out.push("session-start-coord.sh", "claude-coord hook session-start");
  }
  return out;
}

/** True when `group` already runs what `entry` runs (a command with one of its markers). */
function runsEntry(group: unknown, entry: Json): boolean {
  if (!isObject(group) || !Array.isArray(group.hooks)) return false;
  const m = markers(entry);
  return group.hooks.some((h) => isObject(h) && typeof h.command === "string" && m.some((x) => (h.command as string).includes(x)));
}

/**
 * `text` with each of `wanted`'s hook entries (`{hooks: {<event>: [entry]}}`) added where that event
 * has no group running the same claude-coord command yet, merged like `mergeSettings`; undefined
 * when nothing is missing. Used for Codex's `.codex/hooks.json` (same format).
 */
export function mergeHooks(text: string, file: string, wanted: unknown): string | undefined {
  let out = text;
  let changed = false;
  for (const [event, entry] of hookEntries(wanted)) {
    const next = addHookEntry(out, file, event, entry, (g) => runsEntry(g, entry));
    if (next === undefined) continue;
    out = next;
    changed = true;
  }
  return changed ? out : undefined;
}

/** The events of `hook activity` (SPEC §10) init installs: Claude Code's UserPromptSubmit and PostToolUse. */
export const ACTIVITY_EVENTS = ["UserPromptSubmit", "PostToolUse"] as const;

/** The settings file's text with `hook activity` added for UserPromptSubmit and PostToolUse where missing (template entries); undefined when both are there. */
export function mergeActivity(text: string, file: string): string | undefined {
  const hooks = (JSON.parse(settingsJson) as { hooks: Record<string, Json[]> }).hooks;
  return mergeHooks(text, file, { hooks: Object.fromEntries(ACTIVITY_EVENTS.map((e) => [e, hooks[e]])) });
}

/**
 * Wires the repository around `cwd`: `.claude-coord.toml` (repo: `flags.repo`, else the file's,
 * else derived from origin's URL; service_url: `flags.service_url`, else the file's), the hook
 * script (mode 0755) and its SessionStart entry in `.claude/settings.json`, and the MCP server
 * (`claude-coord mcp`) in `.mcp.json`, each merged with what is there. Writes only what must change, so a second run changes nothing. No network.
 * Throws CoordError `config_error` (exit 78) outside a git checkout, with no repo to use, or for a
 * broken config or settings file; `usage_error` (exit 64) for a service URL that is not http(s).
 */
export async function initRepo(cwd: string, flags: { repo?: string; service_url?: string; git_hook?: boolean; agent?: string }): Promise<InitResult> {
  const checkout = await findCheckout(cwd);
  if (!checkout) {
    throw new CoordError("config_error", `${cwd} is not inside a git checkout.`, { action: "Run 'claude-coord init' from inside a clone of the repository." });
  }
  const root = checkout.root;
  if (flags.service_url !== undefined && !/^https?:\/\/[^\s/]+/.test(flags.service_url)) {
    throw new CoordError("usage_error", `--service-url must be an http:// or https:// URL, got '${flags.service_url}'.`, {
      action: "Run 'claude-coord init --service-url https://coord.example.com'.",
    });
  }
  if (flags.agent !== undefined && !AGENTS.includes(flags.agent)) {
    throw new CoordError("usage_error", `--agent must be one of ${AGENTS.join(", ")}, got '${flags.agent}'.`, { action: "Run 'claude-coord init --agent codex' (Claude Code's wiring is always written)." });
  }
  if (flags.repo !== undefined && (flags.repo.trim() === "" || /[\s"'\\]/.test(flags.repo))) {
    throw new CoordError("usage_error", `--repo must be a name such as owner/name, got '${flags.repo}'.`, { action: "Run 'claude-coord init --repo owner/name'." });
  }
  // Every file is read and checked before any is written, so a broken one leaves the others untouched.
  const files: InitFile[] = [];
  const writes: { path: string; text?: string; mode?: number }[] = [];

  const tomlPath = join(root, CLIENT_CONFIG_FILE);
  const existing = existsSync(tomlPath) ? readFileSync(tomlPath, "utf8") : undefined;
  const current = existing === undefined ? {} : readClientConfigFile(tomlPath);
  const origin = originUrl(checkout.gitdir);
  const repo = flags.repo ?? (current.repo as string | undefined) ?? (origin ? repoFromRemoteUrl(origin) : undefined);
  if (!repo) {
    throw new CoordError("config_error", `No repository name for ${tomlPath}: --repo was not given${origin ? ` and origin's URL (${origin}) names none` : " and there is no remote 'origin'"}.`, {
      action: "Run 'claude-coord init --repo owner/name' with the name the service whitelists.",
    });
  }
  const service_url = flags.service_url ?? (current.service_url as string | undefined);
  if (existing === undefined) {
    writes.push({ path: tomlPath, text: renderClientToml(repo, service_url) });
    files.push({ path: CLIENT_CONFIG_FILE, action: "created" });
  } else {
    let next = existing;
    if (current.repo !== repo) next = setTomlKey(next, "repo", repo);
    if (flags.service_url !== undefined && current.service_url !== flags.service_url) next = setTomlKey(next, "service_url", flags.service_url);
    if (next !== existing) {
      writes.push({ path: tomlPath, text: next });
      files.push({ path: CLIENT_CONFIG_FILE, action: "updated" });
    } else files.push({ path: CLIENT_CONFIG_FILE, action: "unchanged" });
  }

  const hookPath = join(root, HOOK_SCRIPT);
  if (!existsSync(hookPath)) {
    writes.push({ path: hookPath, text: hookScript, mode: 0o755 });
    files.push({ path: HOOK_SCRIPT, action: "created" });
  } else if (readFileSync(hookPath, "utf8") !== hookScript) {
    files.push({ path: HOOK_SCRIPT, action: "kept", note: "differs from the template: left as is (delete it and run init again for the current template)" });
  } else if ((statSync(hookPath).mode & 0o111) !== 0o111) {
    writes.push({ path: hookPath, mode: 0o755 });
    files.push({ path: HOOK_SCRIPT, action: "updated", note: "made executable" });
  } else files.push({ path: HOOK_SCRIPT, action: "unchanged" });

  const settingsPath = join(root, SETTINGS_FILE);
  if (!existsSync(settingsPath)) {
    writes.push({ path: settingsPath, text: settingsJson });
    files.push({ path: SETTINGS_FILE, action: "created" });
  } else {
    let text = readFileSync(settingsPath, "utf8");
    const added: string[] = [];
    for (const [events, merge] of [[["SessionStart"], mergeSettings], [["PreToolUse"], mergePreToolUse], [ACTIVITY_EVENTS, mergeActivity]] as const) {
      const next = merge(text, settingsPath);
      if (next === undefined) continue;
      text = next;
      added.push(...events);
    }
    if (added.length === 0) files.push({ path: SETTINGS_FILE, action: "unchanged" });
    else {
      writes.push({ path: settingsPath, text });
      const last = added.pop()!;
      files.push({ path: SETTINGS_FILE, action: "updated", note: `${added.length > 0 ? `${added.join(", ")} and ${last} hooks` : `${last} hook`} added; other settings and hooks kept` });
    }
  }

  const mcpPath = join(root, MCP_JSON);
  const mcpText = existsSync(mcpPath) ? readFileSync(mcpPath, "utf8") : undefined;
  const mcp = mergeMcpJson(mcpText, mcpPath);
  if (mcp === undefined) files.push({ path: MCP_JSON, action: "unchanged" });
  else {
    writes.push({ path: mcpPath, text: mcp });
    files.push(mcpText === undefined ? { path: MCP_JSON, action: "created" } : { path: MCP_JSON, action: "updated", note: "claude-coord MCP server added; other servers kept" });
  }

  if (flags.git_hook === true) {
    const hookFile = join(checkout.gitdir, "hooks", "pre-commit");
    const shown = relative(root, hookFile) || hookFile;
    const before = existsSync(hookFile) ? readFileSync(hookFile, "utf8") : undefined;
    const next = withPreCommitGuard(before);
    if (next === undefined && (statSync(hookFile).mode & 0o111) === 0o111) files.push({ path: shown, action: "unchanged" });
    else {
      writes.push({ path: hookFile, ...(next === undefined ? {} : { text: next }), mode: 0o755 });
      files.push({ path: shown, action: before === undefined ? "created" : "updated", note: "runs claude-coord guard pre-commit before a commit" });
    }
  }

  if (flags.agent === "codex") {
    const codex = planCodex(root, mergeHooks);
    files.push(...codex.files);
    writes.push(...codex.writes);
  }

  for (const w of writes) {
    if (w.text !== undefined) writeAtomic(w.path, w.text);
    if (w.mode !== undefined) chmodSync(w.path, w.mode);
  }
  return { root, repo, service_url, files };
}

/** The report of an init for the model and the human: what happened to each file, then the next steps. */
export function initText(r: InitResult): string {
  const service = r.service_url ?? `${CLIENT_DEFAULTS.service_url} (the default; set one with --service-url)`;
  const lines = [`claude-coord init: repository ${r.repo}, service ${service}`, ""];
  for (const f of r.files) lines.push(`  ${f.action.padEnd(9)} ${f.path}${f.note ? ` (${f.note})` : ""}`);
  lines.push("");
  if (r.files.every((f) => f.action === "unchanged")) {
    lines.push("Nothing changed: this repository is already wired for claude-coord.");
    return lines.join("\n");
  }
  const host = r.service_url ? new URL(r.service_url).host : undefined;
  // Claude Code on the web cannot reach this machine's loopback, so allowlisting 127.0.0.1 would not help.
  const steps = [
    `Commit the files: git add ${[CLIENT_CONFIG_FILE, HOOK_SCRIPT, SETTINGS_FILE, MCP_JSON, ...r.files.filter((f) => CODEX_FILES.includes(f.path) && f.action !== "kept").map((f) => f.path)].join(" ")} && git commit -m "Coordinate sessions with claude-coord"`,
    ...(host === undefined || /^(127\.|localhost|\[::1\])/.test(host) ? [] : [`Claude Code on the web: add ${host} to the environment's network allowlist.`]),
    `Check the hook (prints the coordination state): ${HOOK_SCRIPT} </dev/null`,
  ];
  lines.push("Next steps:", ...steps.map((s, i) => `  ${i + 1}. ${s}`));
  return lines.join("\n");
}

export default defineCommand({
  meta: { name: "init", description: "Wire this repository for coordination: .claude-coord.toml, the SessionStart hook and its entry in .claude/settings.json, the MCP server in .mcp.json" },
  args: {
    repo: { type: "string", description: "owner/name the service whitelists (default: the config file's, else origin's URL)", valueHint: "owner/name" },
    "service-url": { type: "string", description: "the coordination service's URL (default: the config file's, else http://127.0.0.1:8787)", valueHint: "url" },
    "git-hook": { type: "boolean", description: "also install the git pre-commit hook: claude-coord guard pre-commit (refuses commits of paths another session reserves)" },
    agent: { type: "string", description: "also wire this agent next to Claude Code: codex (AGENTS.md, .codex/hooks.json, .codex/config.toml)", valueHint: "codex" },
    print: { type: "string", description: `print an embedded template and write nothing: ${Object.keys(TEMPLATES).join(", ")}`, valueHint: "template" },
    json: { type: "boolean", description: "print one JSON document on stdout instead of text" },
  },
  async run({ args }) {
    if (args.print !== undefined) {
      const text = TEMPLATES[args.print];
      if (text === undefined) {
        throw new CoordError("usage_error", `There is no template '${args.print}'.`, { action: `Run 'claude-coord init --print <name>' with one of: ${Object.keys(TEMPLATES).join(", ")}.` });
      }
      processTerminal.out(text);
      return 0;
    }
    const r = await initRepo(process.cwd(), { repo: args.repo, service_url: args["service-url"], git_hook: args["git-hook"] === true, agent: args.agent });
    return reportResult(processTerminal, args.json === true, { repo: r.repo, service_url: r.service_url ?? null, files: r.files }, () => initText(r));
  },
});
