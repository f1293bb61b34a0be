// `init --agent codex` (SPEC §10): Codex's wiring next to Claude Code's — AGENTS.md instructions, .codex/hooks.json (merged like Claude Code's settings) and the hooks feature flag.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WORKFLOW_STEPS } from "./hook.ts";
import type { InitFile } from "./init.ts";

/** Where Codex looks for a project's hooks and config, and for agent instructions (developers.openai.com/codex/hooks, AGENTS.md). */
export const CODEX_HOOKS_FILE = ".codex/hooks.json";
export const CODEX_CONFIG_FILE = ".codex/config.toml";
export const AGENTS_FILE = "AGENTS.md";

const ACTIVITY = 'claude-coord hook activity 2>/dev/null || "$HOME/.local/bin/claude-coord" hook activity 2>/dev/null || true';

/** The hooks init writes for Codex: the same commands as for Claude Code (Codex sends the same hook JSON fields claude-coord reads). */
export const CODEX_HOOKS = {
  hooks: {
    SessionStart: [{ hooks: [{ type: "command", command: "claude-coord hook session-start", timeout: 120 }] }],
    UserPromptSubmit: [{ hooks: [{ type: "command", command: ACTIVITY, timeout: 15 }] }],
    PostToolUse: [{ matcher: "", hooks: [{ type: "command", command: ACTIVITY, timeout: 15 }] }],
  },
};

/** Marks claude-coord's section in AGENTS.md, so a second init finds it. */
export const AGENTS_MARKER = "<!-- claude-coord: coordination of parallel sessions -->";

/** The AGENTS.md section: the workflow, and how the session id is found. */
export function agentsSection(): string {
  return [
    AGENTS_MARKER,
    "## Task coordination (claude-coord)",
    "",
    "Several sessions work on this repository at once. Before starting any task from the plan files:",
    "",
    ...WORKFLOW_STEPS.map((s) => (/^\d\./.test(s) ? s : `- ${s}`)),
    "",
    "Exit codes: 1 taken (pick another task), 2 service unavailable (ask the user), 3 you already hold a claim, 4 main moved (run the printed `git fetch`), 6 not yours.",
    "The session id comes from `CLAUDE_COORD_SESSION_ID`, else `CODEX_SESSION_ID`, else the id the SessionStart hook saved for this worktree.",
    "",
  ].join("\n");
}

/** One planned write: a path, its new text. */
export interface PlannedWrite {
  path: string;
  text: string;
}

/**
 * What `init --agent codex` does at `root`, planned before anything is written: AGENTS.md gets the
 * section (appended; unchanged when the marker is there), `.codex/hooks.json` gets claude-coord's
 * hooks merged with what is there (`merge`: the settings merger of init, which keeps every other
 * hook), `.codex/config.toml` is created with `[features] codex_hooks = true` (Codex runs hooks only
 * with it) or, when it exists without the flag, kept with a note saying what to add. Throws what
 * `merge` throws for a broken hooks file.
 */
export function planCodex(root: string, merge: (text: string, file: string, wanted: unknown) => string | undefined): { files: InitFile[]; writes: PlannedWrite[] } {
  const files: InitFile[] = [];
  const writes: PlannedWrite[] = [];
  const agents = join(root, AGENTS_FILE);
  const agentsText = existsSync(agents) ? readFileSync(agents, "utf8") : undefined;
  if (agentsText === undefined) {
    writes.push({ path: agents, text: agentsSection() });
    files.push({ path: AGENTS_FILE, action: "created" });
  } else if (agentsText.includes(AGENTS_MARKER)) {
    files.push({ path: AGENTS_FILE, action: "unchanged" });
  } else {
    writes.push({ path: agents, text: `${agentsText}${agentsText.endsWith("\n") ? "" : "\n"}\n${agentsSection()}` });
    files.push({ path: AGENTS_FILE, action: "updated", note: "claude-coord section appended" });
  }
  const hooks = join(root, CODEX_HOOKS_FILE);
  if (!existsSync(hooks)) {
    writes.push({ path: hooks, text: `${JSON.stringify(CODEX_HOOKS, null, 2)}\n` });
    files.push({ path: CODEX_HOOKS_FILE, action: "created" });
  } else {
    const merged = merge(readFileSync(hooks, "utf8"), hooks, CODEX_HOOKS);
    if (merged === undefined) files.push({ path: CODEX_HOOKS_FILE, action: "unchanged" });
    else {
      writes.push({ path: hooks, text: merged });
      files.push({ path: CODEX_HOOKS_FILE, action: "updated", note: "claude-coord hooks added; other hooks kept" });
    }
  }
  const config = join(root, CODEX_CONFIG_FILE);
  if (!existsSync(config)) {
    writes.push({ path: config, text: "[features]\ncodex_hooks = true   # Codex runs .codex/hooks.json only with this\n" });
    files.push({ path: CODEX_CONFIG_FILE, action: "created" });
  } else if (/^\s*codex_hooks\s*=\s*true/m.test(readFileSync(config, "utf8"))) {
    files.push({ path: CODEX_CONFIG_FILE, action: "unchanged" });
  } else {
    files.push({ path: CODEX_CONFIG_FILE, action: "kept", note: "add 'codex_hooks = true' under [features] so that Codex runs the hooks" });
  }
  return { files, writes };
}
