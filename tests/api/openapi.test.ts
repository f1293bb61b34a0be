// The OpenAPI document (src/api/openapi.ts): valid OpenAPI 3.1, every route of the table with its request and every answer.
import { describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { openApiDocument } from "../../src/api/openapi.ts";
import { ROUTES } from "../../src/api/routes.ts";

describe("GET /openapi.json's document", () => {
  test("is valid OpenAPI 3.1 by @seriousme/openapi-schema-validator", async () => {
    const v = new Validator();
    const r = await v.validate(openApiDocument("9.9.9"));
    expect({ valid: r.valid, errors: r.errors }).toEqual({ valid: true, errors: undefined });
    expect(v.version).toBe("3.1");
  });

  test("lists every route of SPEC §3 and §7 with its body or query and its answers, each error under its status", () => {
    const doc = openApiDocument("9.9.9") as { paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[]; responses: Record<string, { description: string }> }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.keys(byMethod).map((m) => `${m.toUpperCase()} ${path}`));
    for (const r of ["POST /claim", "POST /complete", "GET /claims", "DELETE /claim", "GET /health", "POST /heartbeat", "GET /sessions", "POST /messages", "GET /messages", "POST /messages/ack", "GET /events", "GET /", "GET /openapi.json"]) {
      expect(ops).toContain(r);
    }
    expect(ops.length).toBe(Object.keys(ROUTES).length);
    const claim = doc.paths["/claim"]!.post!;
    expect(claim.requestBody).toBeDefined();
    expect(Object.fromEntries(Object.entries(claim.responses).map(([s, r]) => [s, r.description]))).toMatchObject({
      "400": "invalid_request",
      "401": "unauthorized, stale_token",
      "403": "repo_not_allowed",
      "409": "conflict, session_has_claim, session_prefix_taken",
      "413": "payload_too_large",
      "503": "store_unavailable, upstream_unavailable",
    });
    expect(doc.paths["/claims"]!.get!.parameters!.map((p) => p.name)).toEqual(["repo", "token", "commit_sha"]);
  });
});
