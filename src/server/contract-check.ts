// Checks every answer of the app against the route table (src/api/routes.ts) when asked to: the test suite's contract test of every answer it provokes.
import { contractViolations, findRoute } from "../api/routes.ts";

/**
 * Wraps `app.handle` so that every JSON answer of a route in the table is checked against the
 * table (`contractViolations`: the success schema, or the declared error code's schema and
 * status); an answer outside the contract throws an Error naming the route, the status and the
 * mismatch, so the test that provoked it fails. Paths outside the table are not checked.
 */
export function checkAnswers<A extends { handle: (request: Request) => Promise<Response> }>(app: A): A {
  const inner = app.handle.bind(app);
  app.handle = async (request: Request) => {
    const res = await inner(request);
    const route = findRoute(request.method, new URL(request.url).pathname);
    if (!route || !(res.headers.get("content-type") ?? "").includes("application/json")) return res;
    const body: unknown = await res.clone().json();
    const problems = contractViolations(route, res.status, body);
    if (problems.length > 0) throw new Error(`answer outside the route table: ${problems.join("; ")}\nbody: ${JSON.stringify(body)}`);
    return res;
  };
  return app;
}
