// `claude-coord mcp`: the Model Context Protocol server over stdio (SPEC §15); stdout carries JSON-RPC only.
import { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { defineCommand } from "citty";
import { consola } from "consola";
import { VERSION } from "../version.ts";
import { callTool, TOOLS } from "./mcp-tools.ts";

/** A server with every tool of `TOOLS` registered. */
export function createMcpServer(): McpServer {
  const server = new McpServer({ name: "claude-coord", version: VERSION }, { capabilities: { tools: {} } });
  for (const t of TOOLS) {
    server.registerTool(t.name, { description: t.description, inputSchema: t.input, annotations: { readOnlyHint: t.read_only } }, (args: Record<string, unknown>) => callTool(t, args));
  }
  return server;
}

export default defineCommand({
  meta: { name: "mcp", description: "Run the MCP server over stdio (for .mcp.json): the tools tasks, claim, complete, heartbeat, stuck, send, inbox, reserve, unreserve, reservations, sessions" },
  args: {},
  async run() {
    // stdout is the JSON-RPC channel: anything else logged goes to stderr.
    consola.options.stdout = process.stderr;
    const closed = new Promise<void>((resolve) => {
      process.stdin.once("end", resolve);
      process.stdin.once("close", resolve);
    });
    const handle = serveStdio(() => createMcpServer(), { onerror: (e) => process.stderr.write(`claude-coord mcp: ${e.message}\n`) });
    await closed;
    await handle.close();
    return 0;
  },
});
