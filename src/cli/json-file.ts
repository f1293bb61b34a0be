// The JSON files init merges into (.claude/settings.json, .mcp.json): parsed as one object, written back in the file's own indentation.
import { CoordError } from "../core/errors.ts";

/** A JSON object. */
export type Json = Record<string, unknown>;

/** True for a JSON object (not an array, not null). */
export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** CoordError `config_error`: `file` does not match `format` (e.g. "Claude Code's settings format") because of `what`. */
export function shapeError(file: string, what: string, format: string): CoordError {
  return new CoordError("config_error", `${file}: ${what}.`, { file, action: `Fix ${file} so that it matches ${format}, then run 'claude-coord init' again.` });
}

/**
 * `text` parsed as a JSON object. Throws CoordError `config_error` naming `file` (and how to fix
 * it) when it is not JSON, or `shapeError` when the top level is not an object.
 */
export function parseJsonFile(text: string, file: string, format: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CoordError("config_error", `${file} is not valid JSON (${e instanceof Error ? e.message : String(e)}).`, {
      file,
      action: `Fix the JSON in ${file} (or move it away), then run 'claude-coord init' again.`,
    });
  }
  if (!isObject(parsed)) throw shapeError(file, "the top level must be a JSON object", format);
  return parsed;
}

/** `value` as JSON in the indentation `text` uses (default two spaces), ending with a newline when `text` did (or was empty). */
export function stringifyLike(text: string, value: Json): string {
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? "  ";
  return `${JSON.stringify(value, null, indent)}${text.endsWith("\n") || text === "" ? "\n" : ""}`;
}
