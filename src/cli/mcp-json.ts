// The project's `.mcp.json` entry for `claude-coord mcp` (Claude Code's project-scoped MCP servers), merged into what is there.
import { isObject, parseJsonFile, shapeError, stringifyLike } from "./json-file.ts";

/** Where init adds the MCP server, relative to the repository root (Claude Code reads project-scoped servers there). */
export const MCP_JSON = ".mcp.json";

/** The server's name in `mcpServers`. */
export const MCP_SERVER_NAME = "claude-coord";

/** The entry init adds: a stdio server running `claude-coord mcp` (found on PATH). */
export const MCP_SERVER_ENTRY = { type: "stdio", command: "claude-coord", args: ["mcp"], env: {} } as const;


/** True when a server entry already runs `claude-coord mcp` (under any name, by any path to the binary). */
function runsClaudeCoordMcp(entry: unknown): boolean {
  if (!isObject(entry) || typeof entry.command !== "string") return false;
  const args = Array.isArray(entry.args) ? entry.args : [];
  return /(^|[/\\])claude-coord(\.exe)?$/.test(entry.command) && args[0] === "mcp";
}

/**
 * The text of `.mcp.json` with the claude-coord server added to `mcpServers`, every other key and
 * server kept in order and the file's indentation reused; `undefined` when a server already runs
 * `claude-coord mcp`. `text` undefined means there is no file yet. Throws CoordError
 * `config_error` naming `file` when it is not JSON, `mcpServers` is not an object, or the name
 * `claude-coord` is taken by another server.
 */
export function mergeMcpJson(text: string | undefined, file: string): string | undefined {
  if (text === undefined) return `${JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: MCP_SERVER_ENTRY } }, null, 2)}\n`;
  const format = "Claude Code's .mcp.json format";
  const parsed = parseJsonFile(text, file, format);
  const bad = (what: string) => shapeError(file, what, format);
  const servers = parsed.mcpServers ?? {};
  if (!isObject(servers)) throw bad("'mcpServers' must be an object");
  if (Object.values(servers).some(runsClaudeCoordMcp)) return undefined;
  if (MCP_SERVER_NAME in servers) throw bad(`the server name '${MCP_SERVER_NAME}' is taken by a server that does not run 'claude-coord mcp'`);
  return stringifyLike(text, { ...parsed, mcpServers: { ...servers, [MCP_SERVER_NAME]: MCP_SERVER_ENTRY } });
}
