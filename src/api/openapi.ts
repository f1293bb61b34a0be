// The OpenAPI 3.1 document of the service (SPEC §15 `GET /openapi.json`), generated from the route table.
import type { TSchema } from "@sinclair/typebox";
import { errorBodyOf, type Route, ROUTES, WIRE_STATUS, type WireCode } from "./routes.ts";

/** A JSON Schema of `schema` for the document: TypeBox schemas are JSON Schema; its symbol keys are dropped. */
function json(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** The query parameters of `query` (an object schema), one per property. */
function parameters(query: TSchema | undefined): unknown[] {
  if (!query) return [];
  const props = (query as { properties?: Record<string, TSchema> }).properties ?? {};
  const required = new Set((query as { required?: string[] }).required ?? []);
  return Object.entries(props).map(([name, s]) => ({ name, in: "query", required: required.has(name), schema: json(s) }));
}

/** The responses of `route`: 200, and per error status the bodies of the codes it answers with there. */
function responses(route: Route): Record<string, unknown> {
  const out: Record<string, unknown> = {
    "200": {
      description: route.summary,
      content: { [route.content_type]: { schema: route.content_type === "application/json" ? json(route.response) : { type: "string" } } },
    },
  };
  const byStatus = new Map<number, WireCode[]>();
  for (const code of route.errors) byStatus.set(WIRE_STATUS[code], [...(byStatus.get(WIRE_STATUS[code]) ?? []), code]);
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const schemas = codes.map((c) => json(errorBodyOf(route, c)));
    out[String(status)] = {
      description: codes.join(", "),
      content: { "application/json": { schema: schemas.length === 1 ? schemas[0] : { oneOf: schemas } } },
    };
  }
  return out;
}

/** The OpenAPI 3.1 document of every route of `ROUTES`, for service version `version`. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, route] of Object.entries(ROUTES) as [string, Route][]) {
    const op: Record<string, unknown> = { operationId: name, summary: route.summary, description: `SPEC ${route.spec}`, responses: responses(route) };
    const params = parameters(route.query);
    if (params.length > 0) op.parameters = params;
    if (route.body) op.requestBody = { required: true, content: { "application/json": { schema: json(route.body) } } };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "claude-coord", version, description: "Claim coordination for parallel coding agents. Every error body is {status: <code>, message, ...}." },
    paths,
  };
}
