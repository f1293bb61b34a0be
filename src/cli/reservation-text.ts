// Text of reservations for models and humans: listings, conflicts and guard refusals, with the exact command to ask the holder.
import type { PathHold, Reservation } from "../api/reservations.ts";
import type { CoordError } from "../core/errors.ts";

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Another session's text (a reason) without terminal control or bidirectional characters. */
export function clean(text: string): string {
  return text.replace(UNSAFE, "");
}

/** `s` as one POSIX shell word: bare when it holds only safe characters, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One hold as a line: the path, the holder's prefix, its pattern, kind, expiry and reason. */
export function holdLine(h: PathHold): string {
  const b = h.held_by;
  const reason = b.reason ? `, reason: "${clean(b.reason)}"` : "";
  return `'${h.path}' is reserved by session ${b.session} (pattern ${b.path}, ${b.exclusive ? "exclusive" : "shared"}, until ${b.expires_at}${reason})`;
}

/** One hold per holder and pattern, the first of each, in order: whom to ask. */
export function distinctHolders(holds: readonly PathHold[]): PathHold[] {
  const seen = new Set<string>();
  return holds.filter((h) => {
    const key = `${h.held_by.session} ${h.held_by.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The exact command that asks the holder of `h` to release it (SPEC §7 messages, addressed by the 8-character prefix). */
export function askHolderCommand(h: PathHold): string {
  const b = h.held_by;
  return [
    "claude-coord send --to-session",
    shellWord(b.session),
    "--subject",
    shellWord(`Reservation ${b.path}`),
    "--body",
    shellWord(`I need to change ${h.path}, which your reservation ${b.path} covers. Please run 'claude-coord unreserve ${b.path}' when you can, or reply with when you are done.`),
  ].join(" ");
}

/** The text of a reserve refused with 409 `conflict` (details.conflicts): nothing was reserved. */
export function reserveConflictText(e: CoordError): string {
  const conflicts = (Array.isArray(e.details.conflicts) ? e.details.conflicts : []) as PathHold[];
  return [
    `ERROR: Nothing was reserved: ${conflicts.length === 1 ? "a path overlaps a reservation" : `${conflicts.length} paths overlap reservations`} of another session.`,
    "",
    ...conflicts.map((h) => `  ${holdLine(h)}`),
    "",
    "ACTION REQUIRED: Work on other paths (reserve those instead), or ask the holder to release them:",
    ...distinctHolders(conflicts).map(askHolderCommand),
  ].join("\n");
}

/** A listing of reservations, this session's marked. */
export function reservationsText(list: readonly Reservation[], own_prefix: string | undefined): string {
  const lines = [`Reservations (${list.length}):`];
  if (list.length === 0) lines.push("  (none)");
  for (const r of list) {
    const you = own_prefix === r.session ? " (this session)" : "";
    const reason = r.reason ? ` — ${clean(r.reason)}` : "";
    lines.push(`  - ${r.path}  session ${r.session}${you}, ${r.exclusive ? "exclusive" : "shared"}${r.keep ? ", keep" : ""}, until ${r.expires_at} (id ${r.id})${reason}`);
  }
  return lines.join("\n");
}
