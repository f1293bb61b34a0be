// The repo token formula of SPEC §2: proof of repository access without credentials.
import { createHash } from "node:crypto";

/** A plan file at a head commit and the newest commit that changed it (`git log -1 --format=%H <head> -- <path>`). */
export interface PlanFileSha {
  /** Path relative to the repository root, `/`-separated, e.g. `context/plan.json`. */
  path: string;
  /** 40 lowercase hex. */
  sha: string;
}

/** What a token is computed from: main's head and its plan files, sorted by path in byte order. */
export interface PlanState {
  /** The commit main points to, 40 lowercase hex. */
  head_sha: string;
  plan_files: PlanFileSha[];
}

/** The shape every token must have: `sha256:` and 64 lowercase hex (SPEC §2). */
export const TOKEN_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Compares two strings by their UTF-8 bytes, as git sorts paths. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Computes `"sha256:" + hex(sha256(head_sha + file_sha_1 + file_sha_2 + ...))` with the plan
 * files taken in byte order of their paths (SPEC §2). With no plan files it is
 * `"sha256:" + hex(sha256(head_sha))`. Pure; never throws.
 */
export function computeToken(state: PlanState): string {
  const files = [...state.plan_files].sort((a, b) => compareBytes(a.path, b.path));
  const hash = createHash("sha256");
  hash.update(state.head_sha);
  for (const f of files) hash.update(f.sha);
  return `sha256:${hash.digest("hex")}`;
}
