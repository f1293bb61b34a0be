// Test helpers that catch the domain error a call throws, so tests can assert its code, message and details.
import { CoordError } from "../../src/core/errors.ts";

/** The CoordError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<CoordError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CoordError) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}
