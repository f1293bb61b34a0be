// Build-time constants: `scripts/build.ts` defines them; running from source gets the dev fallbacks.
declare const __CLAUDE_COORD_VERSION__: string | undefined;

/** The version `--version` and `GET /health` report: set by the build, else package.json's with `-dev`. */
export const VERSION: string = typeof __CLAUDE_COORD_VERSION__ === "string" ? __CLAUDE_COORD_VERSION__ : "0.1.0-dev";
