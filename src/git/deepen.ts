// Shallow clones (SPEC §10): detect a token computed at the shallow boundary (so possibly wrong) and deepen the clone with the git binary, bounded.
import { type PlanToken, planToken, type PlanTokenOptions } from "./checkout.ts";
import { gitBinary, runGit, shallowCommits } from "./git-cli.ts";
import { GitReadError } from "./read-error.ts";

/** How long one deepening fetch may take, in ms. */
const FETCH_TIMEOUT_MS = 120_000;

/** The deepening steps, in order: two `--deepen` rounds, then the whole history. At most three fetches. */
export const DEEPEN_STEPS: readonly string[][] = [["--deepen=200"], ["--deepen=5000"], ["--unshallow"]];

/** Why a shallow clone could not be made deep enough: the command the user should run, and what failed. */
export class ShallowCloneError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = "ShallowCloneError";
  }
}

/**
 * True when `t` may be wrong because of a shallow boundary: some plan file's newest change is a
 * boundary commit, which git (and the walk) treat as a root, so the real change may lie beyond it.
 */
export function atBoundary(t: PlanToken, boundary: ReadonlySet<string>): boolean {
  return t.state.plan_files.some((f) => boundary.has(f.sha));
}

/**
 * `planToken(opts)` made right for a shallow clone at `root`: while the clone is shallow and a plan
 * file's sha is a boundary commit (or history is missing), runs `git fetch --quiet <step> origin
 * <main>` for each of `DEEPEN_STEPS` and computes again. A complete clone costs one `stat` more
 * than `planToken`. Throws `ShallowCloneError` (naming `git fetch --unshallow origin <main>`) when
 * git is not on PATH or a fetch fails, and `GitReadError` as `planToken` does on a complete clone.
 */
export async function deepPlanToken(root: string, opts: PlanTokenOptions): Promise<PlanToken> {
  const command = `git fetch --unshallow origin ${opts.main_branch}`;
  for (let step = 0; ; step++) {
    const boundary = shallowCommits(opts.gitdir);
    let t: PlanToken | undefined;
    try {
      t = await planToken(opts);
    } catch (e) {
      if (!(e instanceof GitReadError) || boundary.size === 0) throw e;
    }
    if (t !== undefined && (boundary.size === 0 || !atBoundary(t, boundary))) return t;
    if (gitBinary() === null) {
      throw new ShallowCloneError(`This is a shallow clone: the plan files' history ends at its boundary, so the repo token would be wrong, and git is not on PATH to deepen it.`, command);
    }
    const args = DEEPEN_STEPS[step];
    if (args === undefined) throw new ShallowCloneError("This is a shallow clone and deepening it did not reach the plan files' history.", command);
    const r = runGit(root, ["fetch", "--quiet", ...args, "origin", opts.main_branch], FETCH_TIMEOUT_MS);
    if (r.code !== 0) throw new ShallowCloneError(`This is a shallow clone and '${["git fetch", ...args, "origin", opts.main_branch].join(" ")}' failed: ${r.stderr || "no output"}.`, command);
  }
}
