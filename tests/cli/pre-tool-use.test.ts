// Tests of src/cli/pre-tool-use.ts: Claude Code's PreToolUse JSON read per tool, and the checks run in order (the seam for more rules).
import { describe, expect, test } from "bun:test";
import { parsePreToolUse, preToolUse, type PreToolUseCheck } from "../../src/cli/pre-tool-use.ts";

const base = { session_id: "abcdefgh-0000-0000-0000-000000000001", transcript_path: "/t.jsonl", cwd: "/repo", permission_mode: "default", hook_event_name: "PreToolUse" };

describe("parsePreToolUse", () => {
  const cases: Array<[string, Record<string, unknown>, string | undefined]> = [
    ["Edit", { file_path: "/repo/a.ts", old_string: "a", new_string: "b" }, "/repo/a.ts"],
    ["Write", { file_path: "/repo/b.ts", content: "x" }, "/repo/b.ts"],
    ["MultiEdit", { file_path: "/repo/c.ts", edits: [{ old_string: "a", new_string: "b" }] }, "/repo/c.ts"],
    ["NotebookEdit", { notebook_path: "/repo/n.ipynb", new_source: "x" }, "/repo/n.ipynb"],
    ["Read", { file_path: "/repo/a.ts" }, undefined],
    ["Bash", { command: "rm -rf src" }, undefined],
  ];
  for (const [tool, tool_input, file] of cases) {
    test(`${tool}: the changed file is ${file ?? "none (not a file-editing tool)"}`, () => {
      expect(parsePreToolUse(JSON.stringify({ ...base, tool_name: tool, tool_input }))).toEqual({ session_id: base.session_id, cwd: "/repo", hook_event_name: "PreToolUse", tool_name: tool, file });
    });
  }

  test("input that is not a JSON object, or fields of the wrong type, give nothing to check", () => {
    expect(parsePreToolUse("")).toEqual({});
    expect(parsePreToolUse("[1]")).toEqual({});
    expect(parsePreToolUse('{"tool_name":"Edit","tool_input":{"file_path":7},"cwd":3}')).toEqual({ session_id: undefined, cwd: undefined, hook_event_name: undefined, tool_name: "Edit", file: undefined });
  });
});

describe("preToolUse", () => {
  const edit = JSON.stringify({ ...base, tool_name: "Edit", tool_input: { file_path: "/repo/a.ts" } });

  test("the checks run together; the first in order that blocks decides (exit 2, its reason on stderr), even when a later one answers first", async () => {
    const ran: string[] = [];
    const slowDeny: PreToolUseCheck = async () => (ran.push("pause asked"), await Bun.sleep(30), ran.push("pause answered"), { allowed: false, reason: "BLOCKED: paused" });
    const fastDeny: PreToolUseCheck = async () => (ran.push("reserved asked"), { allowed: false, reason: "BLOCKED: reserved" });
    expect(await preToolUse(edit, { checks: [slowDeny, fastDeny] })).toEqual({ code: 2, stderr: "BLOCKED: paused" });
    // The second check was asked before the first answered: one round trip, not two.
    expect(ran).toEqual(["pause asked", "reserved asked", "pause answered"]);
  });

  test("a check that throws has nothing to say; the others still decide", async () => {
    const broken: PreToolUseCheck = async () => {
      throw new Error("bug");
    };
    const deny: PreToolUseCheck = async () => ({ allowed: false, reason: "BLOCKED: reserved" });
    expect(await preToolUse(edit, { checks: [broken, deny] })).toEqual({ code: 2, stderr: "BLOCKED: reserved" });
    expect(await preToolUse(edit, { checks: [broken] })).toEqual({ code: 0, stderr: "" });
  });

  test("allowing checks pass with their warnings joined on stderr; none: exit 0 and nothing printed", async () => {
    const warn: PreToolUseCheck = async () => ({ allowed: true, warning: "w1" });
    const quiet: PreToolUseCheck = async () => undefined;
    expect(await preToolUse(edit, { checks: [warn, quiet, warn] })).toEqual({ code: 0, stderr: "w1\nw1" });
    expect(await preToolUse(edit, { checks: [quiet] })).toEqual({ code: 0, stderr: "" });
  });

  test("outside a git checkout the reservation guard has nothing to say", async () => {
    expect(await preToolUse(JSON.stringify({ ...base, cwd: "/", tool_name: "Edit", tool_input: { file_path: "/etc/hosts" } }))).toEqual({ code: 0, stderr: "" });
  });
});
