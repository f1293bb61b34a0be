// How the CLI shows the human's directive (SPEC §13) to a session: heartbeat, claim, the PreToolUse guard and `wait` share these lines.
import type { Directive } from "../api/schemas.ts";

/**
 * The lines telling a session what the human decided, its message quoted as the human's words
 * (never in the tool's own ERROR / ACTION form), and what to do next; [] for no directive.
 */
export function directiveLines(d: Directive | null | undefined): string[] {
  if (!d) return [];
  const said = d.message ? [`  The human wrote: "${d.message}"`] : [];
  switch (d.action) {
    case "pause":
      return [`PAUSED by the human at ${d.at}: every tool is denied until the human resumes this session.`, ...said, "Next: claude-coord wait   (returns when the human resumes, approves or rejects)"];
    case "resume":
      return [`Resumed by the human at ${d.at}: go on with your work.`, ...said];
    case "approve":
      return [`Plan APPROVED by the human at ${d.at}: build it.`, ...said];
    case "reject":
      return [`Plan REJECTED by the human at ${d.at}: revise the plan, then report it again with claude-coord heartbeat --state planning_complete --plan <text>.`, ...said];
  }
}
