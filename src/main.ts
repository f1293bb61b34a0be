// Entry point: dispatch only. `hook activity` (run on every prompt and tool call) skips the command map, so an idle call initialises only what it needs.
const argv = process.argv.slice(2);
if (argv.length === 2 && argv[0] === "hook" && argv[1] === "activity") {
  const { runActivityHook } = await import("./cli/hook-activity.ts");
  process.exitCode = await runActivityHook();
} else {
  const { runCli } = await import("./cli/index.ts");
  process.exitCode = await runCli(argv);
}
export {};
