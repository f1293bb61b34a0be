// A repository source whose main is set by the test (the real interface, counting calls), and the whitelist entry that holds one.
import { CoordError } from "../../src/core/errors.ts";
import type { CurrentMain } from "../../src/core/repo.ts";
import { computeToken } from "../../src/core/token.ts";
import type { RepoSource, WhitelistedRepo } from "../../src/sources/source.ts";

/** A reader answering with `head` (and the token of a repo with no plan files), or upstream_unavailable when `down`. */
export class FakeReader implements RepoSource {
  calls = 0;
  down = false;
  constructor(public head: string) {}
  get token(): string {
    return computeToken({ head_sha: this.head, plan_files: [] });
  }
  async current(): Promise<CurrentMain> {
    this.calls++;
    if (this.down) throw new CoordError("upstream_unavailable", "Cannot reach the git host of o/r.");
    return { head_sha: this.head, token: this.token };
  }
  /** Only main: the tests using it never run the branch lifecycle. */
  async listBranches(): Promise<string[]> {
    return ["main"];
  }
}

/** The whitelist entry of `name` (main `main`, plans in `context`) read by `reader`; its `source` is never opened. */
export function whitelistEntry(name: string, reader: RepoSource): WhitelistedRepo {
  return { name, source: "/nonexistent", plan_path: "context", main_branch: "main", head_ttl_ms: 10_000, reader };
}

/** A source that only lists branches (`list`), for the branch lifecycle job; a token check through it fails. */
export function branchLister(list: () => Promise<string[]>): RepoSource {
  return { current: () => Promise.reject(new Error("this test source only lists branches")), listBranches: list };
}
