// `claude-coord dashboard`: prints the dashboard's URL (SPEC §13) with the credentials in its fragment, which never reaches a server.
import { defineCommand } from "citty";
import { commonArgs } from "./args.ts";
import { loadContext, repoAuth, requireRepo } from "./context.ts";
import { processTerminal, reportResult } from "./output.ts";
import { adminToken, adminTokenArg } from "./viewer.ts";

/**
 * The dashboard URL of `service_url` for `repo`: `#repo=…&admin=…` with the admin token, else
 * `#repo=…&token=…&commit_sha=…` (the repo token at the local main: read only, out of date once main moves).
 */
export function dashboardUrl(service_url: string, repo: string, cred: { admin: string } | { token: string; commit_sha: string }): string {
  const f = new URLSearchParams({ repo, ...cred });
  return `${service_url.replace(/\/+$/, "")}/#${f.toString()}`;
}

export default defineCommand({
  meta: { name: "dashboard", description: "Print the dashboard's URL with the credentials in its fragment (admin token: can act; else the repo token: read only)" },
  args: { ...commonArgs, ...adminTokenArg },
  async run({ args }) {
    const ctx = await loadContext(args);
    const admin = adminToken(args["admin-token"]);
    const repo = requireRepo(ctx);
    const url = admin !== undefined ? dashboardUrl(ctx.config.service_url, repo, { admin }) : await repoTokenUrl();
    async function repoTokenUrl(): Promise<string> {
      const a = await repoAuth(ctx);
      return dashboardUrl(ctx.config.service_url, repo, { token: a.token, commit_sha: a.commit_sha });
    }
    return reportResult(processTerminal, args.json === true, { url }, () =>
      [url, "", admin !== undefined ? "Open it in a browser: the page moves the token out of the address bar. Keep the link private (it carries the admin token)." : "Read only, with the repo token at your local main: after main moves the page keeps the last data, marked out of date; run this again for a new link."].join("\n"),
    );
  },
});
