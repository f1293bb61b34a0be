// Tests of src/cli/prune.ts's pure parts: the text report and the command that resolves a refusal.
import { expect, test } from "bun:test";
import { type PruneEntry, pruneText, refusalAction } from "../../src/cli/prune.ts";

const entry = (task_id: string, result: PruneEntry["result"], why: string): PruneEntry => ({ task_id, branch: `claude/${task_id}`, worktree: `/w/${task_id}`, result, why, problems: [], action: null });

test("the report lists removed, kept and refused worktrees with why, and says when the claims were unknown", () => {
  const text = pruneText({
    dry_run: false,
    main_ref: "main",
    claims_known: false,
    worktrees: [entry("a", "removed", "its branch is merged into main"), entry("b", "kept", "the claims are unknown (service unavailable) and the branch is not merged")],
    warnings: ["no remote"],
  });
  expect(text).toBe(
    [
      "=== Prune: 2 spawned worktrees ===",
      "Removed with its branch (1):",
      "  - a: /w/a (branch claude/a): its branch is merged into main",
      "Kept (1):",
      "  - b: /w/b (branch claude/b): the claims are unknown (service unavailable) and the branch is not merged",
      "Claims: UNKNOWN (the service could not be asked): only branches merged into main were considered.",
      "WARNING: no remote",
    ].join("\n"),
  );
  expect(pruneText({ dry_run: true, main_ref: "origin/main", claims_known: true, worktrees: [entry("a", "would_remove", "x")], warnings: [] })).toBe(
    "=== Prune: 1 spawned worktree (dry run: nothing is changed) ===\nWould remove with its branch (1):\n  - a: /w/a (branch claude/a): x",
  );
});

test("a refusal's action leaves the worktree, stashes, pushes, then prunes again; without origin it removes only the worktree, keeping the branch", () => {
  const e = { worktree: "/w/t", branch: "claude/t", task_id: "t" };
  const d = { action: "refuse" as const, why: "w", problems: ["1 uncommitted change (x)", "2 unpushed commits (on no remote and not in main)", "prune runs inside it"] };
  expect(refusalAction(e, d, true, "/src/repo")).toBe("cd '/src/repo' && git -C '/w/t' stash push --include-untracked -m 'claude-coord prune t' && git -C '/w/t' push -u origin claude/t && claude-coord prune");
  expect(refusalAction(e, { ...d, problems: [d.problems[1]!] }, false, "/src/repo")).toBe("git -C '/src/repo' worktree remove '/w/t' && claude-coord prune");
  expect(refusalAction(e, { ...d, problems: ["git refused: locked"] }, true, "/src/repo")).toBe("git -C '/w/t' status && claude-coord prune");
});
