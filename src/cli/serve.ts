// `claude-coord serve`: run the coordination service (thin: parse, load config, start, wait for a signal).
import { defineCommand } from "citty";
import { consola } from "consola";
import { readEnv } from "../env.ts";
import { loadServiceConfig } from "../server/config.ts";
import { startService } from "../server/serve.ts";
import { repeated } from "./args.ts";

export default defineCommand({
  meta: { name: "serve", description: "Run the coordination service (HTTP + SQLite or PostgreSQL + jobs)" },
  args: {
    config: { type: "string", description: "service config file, TOML (default: CLAUDE_COORD_CONFIG)", valueHint: "file" },
    host: { type: "string", description: "address to listen on (default 127.0.0.1)", valueHint: "host" },
    port: { type: "string", description: "port to listen on (default 8787; 0 picks a free one)", valueHint: "n" },
    db: { type: "string", description: "SQLite database file (default ./claude-coord.db) or a postgres:// URL (default: CLAUDE_COORD_DATABASE_URL)", valueHint: "path|url" },
    repo: { type: "string", description: "whitelist a repository: NAME=SOURCE (a local path or git URL); repeatable", valueHint: "name=source" },
  },
  async run({ args, rawArgs }) {
    const env = readEnv();
    const cfg = loadServiceConfig({ config: args.config ?? env.config, host: args.host, port: args.port, db: args.db, database_url: env.database_url, repo: repeated(rawArgs, "repo") });
    // The service log is the operator's record: every line is printed. consola otherwise folds a line
    // repeated within 1 s into "(repeated N times)" after the 5th copy.
    consola.options.throttle = 0;
    const log = {
      info: (m: string) => consola.info(m),
      warn: (m: string) => consola.warn(m),
      error: (m: string, cause?: unknown) => consola.error(m, cause ?? ""),
    };
    // Handlers first: a SIGTERM right after the "listening" line must stop the service cleanly (exit 0).
    const signalled = new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    const service = await startService(cfg, log);
    await signalled;
    await service.stop();
    return 0;
  },
});
