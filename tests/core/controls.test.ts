// Table tests of src/core/controls.ts: the state each control leaves, the paused hold on heartbeats, and when a new plan clears the old decision.
import { describe, expect, test } from "bun:test";
import { applyControl, type ControlRecord, directiveOf, heldState, isPaused, startsNewReview } from "../../src/core/controls.ts";
import { CoordError } from "../../src/core/errors.ts";
import { applyHeartbeat, type SessionState } from "../../src/core/sessions.ts";

const T0 = Date.parse("2026-01-05T20:00:00Z");
const session = (state: SessionState) =>
  applyHeartbeat(undefined, { repo: "o/r", session_id: "aaaaaaaa-1111-2222", branch: "b", state, ...(state === "stuck" ? { stuck: { reason: "r" } } : {}) }, T0);
const ctl = (action: ControlRecord["action"], paused_from: SessionState | null = null): ControlRecord => ({ repo: "o/r", session_id: "aaaaaaaa-1111-2222", action, message: null, at_ms: T0, paused_from });

describe("applyControl", () => {
  const rows: [string, SessionState, ControlRecord | undefined, ControlRecord["action"], SessionState, SessionState | null][] = [
    ["pause remembers the state it interrupts", "working", undefined, "pause", "paused", "working"],
    ["pause of a stuck session clears nothing but the state", "stuck", undefined, "pause", "paused", "stuck"],
    ["a second pause keeps the first remembered state", "paused", ctl("pause", "planning"), "pause", "paused", "planning"],
    ["resume restores the remembered state", "paused", ctl("pause", "planning"), "resume", "planning", null],
    ["resume of a session paused by itself goes to working", "paused", undefined, "resume", "working", null],
    ["approve sends the session to work", "planning_complete", undefined, "approve", "working", null],
    ["reject sends the session back to planning", "planning_complete", undefined, "reject", "planning", null],
  ];
  for (const [name, from, prev, action, to, paused_from] of rows) {
    test(name, () => {
      const r = applyControl(session(from), prev, action, "msg", T0 + 5000);
      expect([r.session.state, r.control.paused_from, r.control.action, r.control.message, r.control.at_ms]).toEqual([to, paused_from, action, "msg", T0 + 5000]);
      expect(r.session.state_since_ms).toBe(to === from ? T0 : T0 + 5000);
      if (to !== "stuck") expect(r.session.stuck).toBeNull();
    });
  }

  test("resume of a session that is not paused is invalid_request naming 'action'", () => {
    let err: unknown;
    try {
      applyControl(session("working"), ctl("approve"), "resume", null, T0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CoordError);
    expect([(err as CoordError).code, (err as CoordError).details.field]).toEqual(["invalid_request", "action"]);
  });
});

describe("what a session sees", () => {
  test("a paused session stays paused whatever it reports; other controls do not hold the state", () => {
    expect(heldState("working", ctl("pause"))).toBe("paused");
    for (const a of ["resume", "approve", "reject"] as const) expect(heldState("working", ctl(a))).toBe("working");
    expect(heldState("stuck", undefined)).toBe("stuck");
    expect([isPaused(ctl("pause")), isPaused(ctl("resume")), isPaused(undefined)]).toEqual([true, false, false]);
  });

  test("entering planning_complete starts a new review (the old decision is forgotten) unless paused or already there", () => {
    expect(startsNewReview("planning", "planning_complete", ctl("reject"))).toBe(true);
    expect(startsNewReview("working", "planning_complete", ctl("approve"))).toBe(true);
    expect(startsNewReview("planning_complete", "planning_complete", ctl("reject"))).toBe(false);
    expect(startsNewReview("planning", "planning_complete", ctl("pause"))).toBe(false);
    expect(startsNewReview("planning", "planning_complete", undefined)).toBe(false);
    expect(startsNewReview("planning", "working", ctl("reject"))).toBe(false);
  });

  test("the directive carries the action, the message and when, as RFC 3339", () => {
    expect(directiveOf({ ...ctl("reject"), message: "split it" })).toEqual({ action: "reject", message: "split it", at: "2026-01-05T20:00:00Z" });
    expect(directiveOf(undefined)).toBeNull();
  });
});
