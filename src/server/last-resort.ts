// What the HTTP server answers when a request never reaches a route (SPEC §16): a JSON 4xx, never Bun's development error page.
import { CoordError } from "../core/errors.ts";
import { errorResponse } from "./http-errors.ts";

/**
 * The options `Bun.serve` gets besides the app (through Elysia's `listen`): `development: false`
 * (Bun's development page would show the working directory, a stack and source excerpts) and an
 * `error` handler for what escapes the app — in practice requests the app cannot route at all,
 * such as `CONNECT host:port` (its URL has no path). The answer is 400 `invalid_request` with one
 * sentence and no detail of the error; the error itself goes to `warn` (the log, never the client).
 * Requests that Bun's HTTP parser rejects before any JavaScript runs (an unknown method, a request
 * line that is not HTTP) are answered by Bun itself: 400 with an empty body, or the connection
 * closed — never a page (README).
 */
export function lastResortOptions(warn: (msg: string) => void): { development: false; error: (e: Error) => Response } {
  return {
    development: false,
    error(e: Error): Response {
      warn(`a request failed outside the routes: ${e.message}`);
      return errorResponse(new CoordError("invalid_request", "This service answers HTTP requests to its routes only (GET, POST, DELETE with a path); see GET /health."));
    },
  };
}
