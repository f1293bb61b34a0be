// Domain errors as HTTP answers (SPEC §3): the route table's status of each wire code, and schema errors as invalid_request naming the field.
import { isWireCode, WIRE_STATUS } from "../api/routes.ts";
import { IDENTIFIER_PATTERN, isIdentifierText } from "../api/schemas.ts";
import { CoordError } from "../core/errors.ts";

/** How an identifier with a forbidden character is refused (SPEC §16), after "field 'x' ". */
export const IDENTIFIER_FIX = "must not contain control characters (such as NUL), bidirectional-override characters or invalid Unicode";

/**
 * The JSON response for a domain error: `{status: code, message, ...details}` with the mapped
 * status; `rate_limited` also carries `Retry-After` in seconds (RFC 9110 §10.2.3) from `details.retry_after_s`.
 */
export function errorResponse(e: CoordError): Response {
  // Only the route table's codes go on the wire (their statuses: WIRE_STATUS); a client-only code here is a bug.
  if (!isWireCode(e.code)) return errorResponse(new CoordError("internal_error", "The service hit an unexpected error; it has been logged."));
  const headers: Record<string, string> = typeof e.details.retry_after_s === "number" ? { "retry-after": String(e.details.retry_after_s) } : {};
  return Response.json({ status: e.code, message: e.message, ...e.details }, { status: WIRE_STATUS[e.code], headers });
}

/** One schema error as Elysia/TypeBox reports it: a JSON pointer path, a message, the failing schema. */
export interface SchemaIssue {
  path: string;
  message: string;
  schema?: { description?: string; maxLength?: number; minLength?: number; type?: string; pattern?: string };
  value?: unknown;
}

/**
 * Turns a schema error into the `invalid_request` error naming the field and the fix, for example
 * `field 'task_id' is required` or `field 'token' must be sha256: followed by 64 lowercase hex`.
 */
export function invalidRequest(issue: SchemaIssue | undefined, where: "body" | "query"): CoordError {
  if (!issue) return new CoordError("invalid_request", `The request ${where} is not valid.`);
  const field = issue.path.replace(/^\//, "").replaceAll("/", ".");
  if (field === "") {
    return new CoordError("invalid_request", `The request ${where} must be a JSON object with the fields of this route.`);
  }
  const s = issue.schema ?? {};
  let fix: string;
  const v = issue.value;
  if (v === undefined) fix = "is required";
  else if (s.type === "string" && typeof v !== "string") fix = "must be a string";
  else if (typeof v === "string" && s.maxLength !== undefined && v.length > s.maxLength) fix = `must be at most ${s.maxLength} characters`;
  else if (typeof v === "string" && s.minLength !== undefined && v.length < s.minLength) fix = s.minLength === 1 ? "must not be empty" : s.description ? `must be ${s.description}` : `must be at least ${s.minLength} characters`;
  else if (typeof v === "string" && s.pattern === IDENTIFIER_PATTERN && !isIdentifierText(v)) fix = IDENTIFIER_FIX;
  else if (s.description) fix = `must be ${s.description}`;
  else fix = `is not valid: ${issue.message}`;
  return new CoordError("invalid_request", `Invalid request ${where}: field '${field}' ${fix}.`, { field });
}
