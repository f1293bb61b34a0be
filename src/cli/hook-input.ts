// Claude Code's hook JSON on stdin: reading it bounded in size and time, and the fields claude-coord uses (kept small: `hook activity` starts from here).

/** The fields of Claude Code's hook JSON (stdin) that claude-coord reads; all optional, since any may be missing. */
export interface HookInput {
  session_id?: string;
  cwd?: string;
  /** SessionStart: `startup`, `resume`, `clear` or `compact`. */
  source?: string;
  hook_event_name?: string;
}

/** The hook JSON, or why it could not be read (`problem`); never throws. Empty input is no input, not a problem. */
export function parseHookInput(text: string): { input: HookInput; problem?: string } {
  if (text.trim() === "") return { input: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { input: {}, problem: `the hook input on stdin is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { input: {}, problem: "the hook input on stdin is not a JSON object" };
  const o = parsed as Record<string, unknown>;
  const s = (k: string) => (typeof o[k] === "string" && o[k] !== "" ? (o[k] as string) : undefined);
  return { input: { session_id: s("session_id"), cwd: s("cwd"), source: s("source"), hook_event_name: s("hook_event_name") } };
}

/**
 * Reads `stream` to its end, at most `limit_bytes` (default 1 MiB) and for at most `timeout_ms`
 * (default 3000): Claude Code writes the JSON and closes stdin at once, and a hook must not hang
 * when run by hand with stdin left open. Returns what was read (UTF-8); never throws.
 */
export async function readBounded(stream: ReadableStream<Uint8Array>, timeout_ms = 3000, limit_bytes = 1 << 20): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeout_ms);
  });
  try {
    while (size < limit_bytes) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      chunks.push(next.value);
      size += next.value.length;
    }
  } catch {
    // an unreadable stdin is no input
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks)).slice(0, limit_bytes);
}

