// Session ids as others see them (SPEC §3, §16): the shown 8-character prefix; the rest is the session's credential.

/** How many characters of a session id listings show (SPEC §3): the rest is that session's credential. */
export const SESSION_PREFIX_LENGTH = 8;

/** The shortest session prefix that may name a session (`expire --session`, `send --to-session`), so that a prefix names one session in practice. */
export const MIN_SESSION_PREFIX = 8;

/** The shortened session id listings show (first 8 characters). */
export function sessionPrefix(session_id: string): string {
  return session_id.slice(0, SESSION_PREFIX_LENGTH);
}
