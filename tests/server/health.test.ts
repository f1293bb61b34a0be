// GET /health names the storage backend and answers 503 store_unavailable while its database cannot be reached (SPEC §12).
import { describe, expect, test } from "bun:test";
import { DEFAULT_POLICY } from "../../src/core/claims.ts";
import { CoordError } from "../../src/core/errors.ts";
import { createApp } from "../../src/server/app.ts";
import { MemoryStore } from "../helpers/memory-store.ts";

function appWith(ping: () => Promise<void>) {
  return createApp({
    store: new MemoryStore(),
    repos: new Map(),
    admin_tokens: [],
    policy: DEFAULT_POLICY,
    clock: () => 0,
    version: "9.9.9",
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    storage: { backend: "postgresql", ping },
  });
}

async function health(app: ReturnType<typeof appWith>) {
  const res = await app.handle(new Request("http://localhost/health"));
  return { status: res.status, body: (await res.json()) as unknown };
}

describe("GET /health with a storage backend", () => {
  test("names the backend when its database answers", async () => {
    expect(await health(appWith(async () => undefined))).toEqual({ status: 200, body: { status: "ok", version: "9.9.9", backend: "postgresql" } });
  });

  test("answers 503 store_unavailable naming the backend while the database cannot be reached", async () => {
    const down = appWith(async () => {
      throw new CoordError("store_unavailable", "The service's database (PostgreSQL) cannot be reached right now; nothing was changed. Try again in a few seconds.", { backend: "postgresql" });
    });
    expect(await health(down)).toEqual({
      status: 503,
      body: { status: "store_unavailable", message: "The service's database (PostgreSQL) cannot be reached right now; nothing was changed. Try again in a few seconds.", backend: "postgresql", version: "9.9.9" },
    });
  });

  test("any other failure of the probe is also 503 store_unavailable, with a message naming the backend", async () => {
    const broken = appWith(async () => {
      throw new Error("disk I/O error");
    });
    expect(await health(broken)).toEqual({ status: 503, body: { status: "store_unavailable", message: "The service's database (postgresql) cannot be reached right now.", backend: "postgresql", version: "9.9.9" } });
  });
});
