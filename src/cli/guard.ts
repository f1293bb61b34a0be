// `claude-coord guard pre-commit`: the reservation guard for a git pre-commit hook — exit 1 when a staged path is another session's (SPEC §11).
import { defineCommand } from "citty";
import { CoordError } from "../core/errors.ts";
import { commonArgs } from "./args.ts";
import { loadContext } from "./context.ts";
import { guardPaths, sessionIfKnown } from "./guard-check.ts";
import { processTerminal } from "./output.ts";

/**
 * The paths `git commit` would change: staged additions, modifications and deletions, both sides
 * of a rename (`git diff --cached --name-only --no-renames -z`), relative to the checkout root.
 * Throws CoordError `config_error` when git cannot list them.
 */
export function stagedPaths(root: string): string[] {
  const r = Bun.spawnSync(["git", "diff", "--cached", "--name-only", "--no-renames", "-z"], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new CoordError("config_error", `git could not list the staged paths: ${r.stderr.toString().trim()}`, { action: "Run 'git status' to see what is wrong with the checkout." });
  return r.stdout.toString().split("\0").filter((p) => p !== "");
}

export default defineCommand({
  meta: { name: "guard", description: "'guard pre-commit' (in .git/hooks/pre-commit): exit 1 when a staged path is reserved exclusively by another session" },
  args: {
    event: { type: "positional", required: true, description: "the guard: pre-commit", valueHint: "pre-commit" },
    ...commonArgs,
  },
  async run({ args }) {
    if (args.event !== "pre-commit") {
      throw new CoordError("usage_error", `Unknown guard '${args.event}'; the guard is: pre-commit.`, { action: "Use 'claude-coord guard pre-commit' in .git/hooks/pre-commit (claude-coord init --git-hook installs it)." });
    }
    const ctx = await loadContext(args);
    if (ctx.config.repo === undefined) return 0;
    const staged = stagedPaths(ctx.checkout.root);
    const v = await guardPaths(ctx, sessionIfKnown(ctx), staged, staged.length === 1 ? `${staged[0]} is` : "staged paths are");
    if (!v.allowed) {
      processTerminal.err(`${v.reason}\nThe commit was refused; your changes stay staged. (A human may bypass with git commit --no-verify.)`);
      return 1;
    }
    if (v.warning) processTerminal.err(v.warning);
    return 0;
  },
});
