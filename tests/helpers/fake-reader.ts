// A RepoReader whose main is set by the test: the real interface, counting calls.
import { CoordError } from "../../src/core/errors.ts";
import type { CurrentMain, RepoReader } from "../../src/core/repo.ts";
import { computeToken } from "../../src/core/token.ts";

/** A reader answering with `head` (and the token of a repo with no plan files), or upstream_unavailable when `down`. */
export class FakeReader implements RepoReader {
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
}
