// Tests of src/api/routes.ts's error codes: WIRE_STATUS holds exactly core's wire codes, a route cannot declare a client-only code (the typecheck refuses it), and the client knows which codes come over the wire.
import { expect, test } from "bun:test";
import { isWireCode, type Route, ROUTES, WIRE_STATUS } from "../../src/api/routes.ts";
import type { ClientOnlyCode, ErrorCode, WireCode } from "../../src/core/errors.ts";
import { EXIT_FOR } from "../../src/cli/output.ts";

/** Every client-only code: the list is checked against the type both ways below. */
const CLIENT_ONLY = ["no_task_available", "service_unavailable", "tls_untrusted", "not_a_service", "config_error", "usage_error"] as const satisfies readonly ClientOnlyCode[];
// The other direction: a client-only code missing from the list fails the typecheck here.
type Unlisted = Exclude<ClientOnlyCode, (typeof CLIENT_ONLY)[number]>;
const listed: [Unlisted] extends [never] ? true : Unlisted = true;

test("the codes split into wire codes (each with a status) and client-only codes (none), together every code the CLI maps to an exit code", () => {
  const all = Object.keys(EXIT_FOR).sort();
  const wire = Object.keys(WIRE_STATUS).sort();
  expect(listed).toBe(true);
  expect([...wire, ...CLIENT_ONLY].sort()).toEqual(all);
  expect(wire.filter((c) => (CLIENT_ONLY as readonly string[]).includes(c))).toEqual([]);
  expect(CLIENT_ONLY.filter((c) => isWireCode(c))).toEqual([]);
  expect(wire.every((c) => isWireCode(c))).toBe(true);
});

test("every route declares only wire codes, and the typecheck refuses a client-only one", () => {
  for (const route of Object.values(ROUTES) as Route[]) for (const code of route.errors) expect(isWireCode(code)).toBe(true);
  // @ts-expect-error not_a_service is client-only: no route can declare it.
  const refused: Route["errors"] = ["not_a_service"];
  // @ts-expect-error a client-only code is no WireCode.
  const notWire: WireCode = "usage_error" satisfies ErrorCode;
  expect([refused, notWire] as unknown[]).toEqual([["not_a_service"], "usage_error"]);
});
