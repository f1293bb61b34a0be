// The MCP server of the compiled binary (`claude-coord mcp`) driven by the SDK's client over stdio, next to CLI sessions.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { binary, cloneSession, commitAll, git, makeOrigin, runClient, type ServiceProcess, startService, tempDir, write } from "../helpers/e2e.ts";

let root: string;
let service: ServiceProcess;
let origin: string;
let author: string;
let agentDir: string;
let cliDir: string;
let env: Record<string, string>;
const AGENT = "mcp-agent-session-0001";
const OTHER = "cli-other-session-0002";

/** Connects the SDK's client to `claude-coord mcp` started in `cwd`; collects transport errors (a stray line on stdout is one). */
async function connect(cwd: string, session_id: string, extra: Record<string, string> = {}): Promise<{ client: Client; errors: Error[]; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: await binary(), args: ["mcp"], cwd, env: { ...env, CLAUDE_COORD_SESSION_ID: session_id, ...extra }, stderr: "pipe" });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  const client = new Client({ name: "coord-test", version: "1.0.0" });
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  return { client, errors, stderr: () => err };
}

type Text = { type: string; text?: string };
const texts = (r: { content?: unknown }) => ((r.content ?? []) as Text[]).map((c) => c.text ?? "");

beforeAll(async () => {
  root = tempDir("mcp");
  ({ origin, work: author } = makeOrigin(root));
  service = await startService(["--port", "0", "--db", join(root, "coord.db"), "--repo", `acme/mcp=${origin}`]);
  agentDir = cloneSession(origin, root, "agent");
  cliDir = cloneSession(origin, root, "other");
  env = { PATH: process.env.PATH ?? "", HOME: root, CLAUDE_COORD_REPO: "acme/mcp", CLAUDE_COORD_URL: service.url, CLAUDE_COORD_TIMEOUT: "30" };
});
afterAll(async () => {
  await service?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("tools/list lists every tool with an object input schema naming its fields", async () => {
  const { client, errors } = await connect(agentDir, AGENT);
  try {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["tasks", "claim", "complete", "release", "heartbeat", "stuck", "send", "inbox", "reserve", "unreserve", "reservations", "sessions"]);
    const claim = tools.find((t) => t.name === "claim")!;
    expect(claim.inputSchema.type).toBe("object");
    expect(Object.keys(claim.inputSchema.properties ?? {}).sort()).toEqual(["branch", "next", "plan_file", "repo", "session_id", "task"]);
    const complete = tools.find((t) => t.name === "complete")!;
    expect(complete.inputSchema.required).toEqual(["task"]);
    const heartbeat = tools.find((t) => t.name === "heartbeat")!;
    expect((heartbeat.inputSchema.properties as Record<string, { enum?: string[] }>).state!.enum).toEqual(["registered", "planning", "planning_complete", "working", "paused", "complete", "cancelled"]);
    expect(tools.find((t) => t.name === "tasks")!.annotations?.readOnlyHint).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    await client.close();
  }
});

test("a claim through MCP wins; the same task claimed through the CLI by another session exits 1 naming the MCP session", async () => {
  const { client, errors } = await connect(agentDir, AGENT);
  try {
    const r = await client.callTool({ name: "claim", arguments: { task: "task-a" } });
    expect(r.isError).toBeFalsy();
    const doc = JSON.parse(texts(r)[0]!);
    expect(doc).toMatchObject({ status: "claimed", task_id: "task-a", plan_file: "context/plan.json", branch: "claude/agent", session: AGENT.slice(0, 8) });
    expect(typeof doc.fence).toBe("number");
    expect(r.structuredContent).toEqual(doc);

    const cli = await runClient(["claim", "--task", "task-a", "--json"], { cwd: cliDir, env: { ...env, CLAUDE_COORD_SESSION_ID: OTHER } });
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({ status: "conflict", task_id: "task-a", claimed_by: { session: AGENT.slice(0, 8), branch: "claude/agent" } });

    // The other direction: the CLI's claim shows up in the MCP listing, and the same document as `tasks --json`.
    const tasks = await client.callTool({ name: "tasks", arguments: {} });
    const viaCli = await runClient(["tasks", "--json"], { cwd: agentDir, env: { ...env, CLAUDE_COORD_SESSION_ID: AGENT } });
    expect(viaCli.code).toBe(0);
    expect(JSON.parse(texts(tasks)[0]!)).toEqual(JSON.parse(viaCli.stdout));

    const hb = await client.callTool({ name: "heartbeat", arguments: { state: "working", task: "task-a", progress: 40, note: "via MCP" } });
    expect(hb.isError).toBeFalsy();
    expect(JSON.parse(texts(hb)[0]!)).toMatchObject({ session: AGENT.slice(0, 8), state: "working", unread: 0 });
    const sessions = await runClient(["sessions", "--json"], { cwd: cliDir, env: { ...env, CLAUDE_COORD_SESSION_ID: OTHER } });
    expect(JSON.parse(sessions.stdout).sessions.find((s: { session: string }) => s.session === AGENT.slice(0, 8))).toMatchObject({ state: "working", task_id: "task-a", progress: 40, note: "via MCP" });
    expect(errors).toEqual([]);
  } finally {
    await client.close();
  }
});

test("reserve, reservations and unreserve through MCP: another session's CLI reserve of an overlapping path exits 1 naming the MCP session", async () => {
  const { client, errors } = await connect(agentDir, AGENT);
  try {
    const r = await client.callTool({ name: "reserve", arguments: { paths: ["src/ui/**"], reason: "new layout" } });
    expect(r.isError).toBeFalsy();
    const made = JSON.parse(texts(r)[0]!);
    expect(made.reservations.map((v: { path: string; exclusive: boolean }) => [v.path, v.exclusive])).toEqual([["src/ui/**", true]]);
    const cli = await runClient(["reserve", "src/ui/button.ts", "--json"], { cwd: cliDir, env: { ...env, CLAUDE_COORD_SESSION_ID: OTHER } });
    expect(cli.code).toBe(1);
    expect(JSON.stringify(JSON.parse(cli.stdout))).toContain(AGENT.slice(0, 8));
    const list = await client.callTool({ name: "reservations", arguments: {} });
    const viaCli = await runClient(["reservations", "--json"], { cwd: cliDir, env: { ...env, CLAUDE_COORD_SESSION_ID: OTHER } });
    expect(JSON.parse(texts(list)[0]!)).toEqual(JSON.parse(viaCli.stdout));
    const both = await client.callTool({ name: "unreserve", arguments: { paths: ["src/ui/**"], all: true } });
    expect(both.isError).toBe(true);
    expect(texts(both)[0]).toBe("ERROR: 'claude-coord unreserve' needs either paths or --all, not both.\n\nACTION REQUIRED: Run 'claude-coord unreserve src/ui/**' or 'claude-coord unreserve --all'.");
    const gone = await client.callTool({ name: "unreserve", arguments: { all: true } });
    expect(JSON.parse(texts(gone)[0]!).released.map((v: { path: string }) => v.path)).toEqual(["src/ui/**"]);
    expect((await runClient(["reserve", "src/ui/button.ts", "--json"], { cwd: cliDir, env: { ...env, CLAUDE_COORD_SESSION_ID: OTHER } })).code).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await client.close();
  }
});

test("release through MCP gives the claim back: another session's CLI claim of the task then succeeds", async () => {
  const { client, errors } = await connect(agentDir, AGENT);
  try {
    const r = await client.callTool({ name: "release", arguments: { task: "task-a" } });
    expect(r.isError).toBeFalsy();
    expect(JSON.parse(texts(r)[0]!)).toEqual({ status: "released", task_id: "task-a" });
    const again = await client.callTool({ name: "release", arguments: { task: "task-a" } });
    expect(again.isError).toBe(true);
    const cli = await runClient(["claim", "--task", "task-a", "--json"], { cwd: cliDir, env: { ...env, CLAUDE_COORD_SESSION_ID: OTHER } });
    expect([cli.code, JSON.parse(cli.stdout).status]).toEqual([0, "claimed"]);
    expect(errors).toEqual([]);
  } finally {
    await client.close();
  }
});

test("a bad call is a tool error with the CLI's ERROR and ACTION text and the --json error document", async () => {
  const { client } = await connect(agentDir, AGENT);
  try {
    const r = await client.callTool({ name: "claim", arguments: {} });
    expect(r.isError).toBe(true);
    expect(texts(r)[0]).toBe(
      "ERROR: 'claude-coord claim' needs --task or --next.\n\nACTION REQUIRED: Run 'claude-coord tasks' to see the available tasks, then 'claude-coord claim --task <id>' or 'claude-coord claim --next'.",
    );
    expect(JSON.parse(texts(r)[1]!)).toMatchObject({ status: "usage_error" });
    const other = await client.callTool({ name: "complete", arguments: { task: "task-b" } });
    expect(other.isError).toBe(true);
    expect(texts(other)[0]).toContain("ACTION REQUIRED: Run 'claude-coord claims'");
    expect(JSON.parse(texts(other)[1]!).status).toBe("not_found");
  } finally {
    await client.close();
  }
});

test("tasks with the service down is a tool error carrying the plan with claims unknown and the service-unavailable text", async () => {
  const { client } = await connect(cliDir, OTHER, { CLAUDE_COORD_URL: "http://127.0.0.1:9", CLAUDE_COORD_TIMEOUT: "2" });
  try {
    const r = await client.callTool({ name: "tasks", arguments: {} });
    expect(r.isError).toBe(true);
    const [text, json] = texts(r);
    expect(text).toContain("ERROR: Coordination service is unavailable.");
    expect(text).toContain("ACTION REQUIRED: The coordination service is down.");
    const doc = JSON.parse(json!);
    expect(doc.claims_known).toBe(false);
    expect(doc.available.map((t: { id: string }) => t.id)).toContain("task-b");
    expect(doc.error.status).toBe("service_unavailable");
    const viaCli = await runClient(["tasks", "--json"], { cwd: cliDir, env: { ...env, CLAUDE_COORD_SESSION_ID: OTHER, CLAUDE_COORD_URL: "http://127.0.0.1:9", CLAUDE_COORD_TIMEOUT: "2" } });
    expect(viaCli.code).toBe(2);
    expect(JSON.parse(viaCli.stdout)).toEqual(doc);
  } finally {
    await client.close();
  }
});

test("a stale token through MCP is a tool error carrying the ACTION text; the CLI run as printed resolves it", async () => {
  write(join(author, "moved.txt"), "main moved\n");
  const head = commitAll(author, "main moves");
  git(author, "push", "-q", "origin", "main");
  const { client, stderr } = await connect(agentDir, AGENT);
  try {
    const r = await client.callTool({ name: "tasks", arguments: {} });
    expect(r.isError).toBe(true);
    const [text, json] = texts(r);
    expect(text).toContain("ERROR: Repository state has changed since session start.");
    expect(text).toContain(`Current main branch is at:     ${head}`);
    expect(text).toContain("ACTION REQUIRED: Run 'git fetch origin main' (it updates origin/main only; your worktree and uncommitted changes are not touched), then run the same claude-coord command again.");
    expect(JSON.parse(json!)).toMatchObject({ status: "stale_token", current_commit: head });
    const action = /ACTION REQUIRED: Run '([^']+)'/.exec(text!)![1]!.split(" ");
    git(agentDir, ...action.slice(1));
    const again = await client.callTool({ name: "tasks", arguments: {} });
    expect(again.isError).toBeFalsy();
    expect(stderr()).toBe("");
  } finally {
    await client.close();
  }
});
