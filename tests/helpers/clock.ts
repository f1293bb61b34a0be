// Fixed clocks for tests: a transaction reads its time from a Clock after taking its lock (SPEC §16).
import type { Clock } from "../../src/core/time.ts";

/** A clock that always reads `ms` (epoch milliseconds). */
export const clockAt = (ms: number): Clock => () => ms;
