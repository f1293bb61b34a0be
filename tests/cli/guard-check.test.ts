// Tests of src/cli/guard-check.ts's pure parts: mapping absolute paths to the checkout, and the refusal text.
import { describe, expect, test } from "bun:test";
import { blockedText, repoRelative } from "../../src/cli/guard-check.ts";

describe("repoRelative", () => {
  const cases: Array<[string, string | undefined]> = [
    ["/w/repo/src/ui/button.tsx", "src/ui/button.tsx"],
    ["/w/repo/./src//a.ts", "src/a.ts"],
    ["src/b.ts", "src/b.ts"],
    ["/w/repo", undefined],
    ["/w/repo-other/a.ts", undefined],
    ["/w/repo/../x.ts", undefined],
    ["/etc/passwd", undefined],
  ];
  for (const [file, want] of cases) {
    test(`${file} → ${want ?? "outside the checkout (allowed)"}`, () => expect(repoRelative("/w/repo", file)).toBe(want));
  }
});

describe("blockedText", () => {
  test("names each hold and ends with the ACTION: work elsewhere, or the exact command that asks each holder once", () => {
    const held_by = { session: "aaaaaaaa", path: "src/ui/**", exclusive: true, expires_at: "2026-01-05T23:00:00Z", reason: "ui\u001b[31m work" };
    expect(blockedText([{ path: "src/ui/a.tsx", held_by }, { path: "src/ui/b.tsx", held_by }], "staged paths are")).toBe(
      [
        "BLOCKED: staged paths are reserved by another session (claude-coord reservations).",
        "  'src/ui/a.tsx' is reserved by session aaaaaaaa (pattern src/ui/**, exclusive, until 2026-01-05T23:00:00Z, reason: \"ui[31m work\")",
        "  'src/ui/b.tsx' is reserved by session aaaaaaaa (pattern src/ui/**, exclusive, until 2026-01-05T23:00:00Z, reason: \"ui[31m work\")",
        "ACTION REQUIRED: Work on paths outside src/ui/** for now, or ask the holder to release it:",
        "claude-coord send --to-session aaaaaaaa --subject 'Reservation src/ui/**' --body 'I need to change src/ui/a.tsx, which your reservation src/ui/** covers. Please run '\\''claude-coord unreserve src/ui/**'\\'' when you can, or reply with when you are done.'",
      ].join("\n"),
    );
  });
});
