// Tests of src/server/notify-formats.ts: the body and headers of each format; the json signature checked with the standardwebhooks library.
import { expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import type { Notification } from "../../src/core/notify.ts";
import { renderNotification, webhookId } from "../../src/server/notify-formats.ts";

const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
const n: Notification = {
  kind: "pr_ready",
  key: "pr_ready:aaaaaaaa:x:https://x/pull/1",
  repo: "o/r",
  session: "aaaaaaaa",
  text: "o/r: session aaaaaaaa has a pull request ready: https://x/pull/1",
  url: "https://x/pull/1",
  data: { state: "complete", task_id: "t1" },
  at: "2026-01-05T20:00:00Z",
};
const now = new Date("2026-01-05T20:00:05Z");

test("json: the event as data, Standard Webhooks headers, a signature the reference library accepts", () => {
  const r = renderNotification("json", n, { target: "notify[0] (json)", secret: SECRET, now });
  expect(JSON.parse(r.body)).toEqual({
    type: "claude-coord.pr_ready",
    timestamp: "2026-01-05T20:00:00Z",
    data: { state: "complete", task_id: "t1", repo: "o/r", kind: "pr_ready", session: "aaaaaaaa", text: n.text, url: "https://x/pull/1" },
  });
  expect([r.headers["webhook-id"], r.headers["webhook-timestamp"]]).toEqual([webhookId("notify[0] (json)", n.key), String(now.getTime() / 1000)]);
  expect(r.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  const wh = new Webhook(SECRET);
  // The library checks the timestamp against the real clock: verify at the signing time.
  expect(() => wh.verify(r.body, r.headers)).toThrow(); // 2026 is not now
  const fresh = renderNotification("json", n, { target: "notify[0] (json)", secret: SECRET, now: new Date() });
  expect(wh.verify(fresh.body, fresh.headers)).toEqual(JSON.parse(fresh.body));
  expect(() => wh.verify(`${fresh.body} `, fresh.headers)).toThrow();
});

test("json without a secret is unsigned; the webhook id is stable per target and key", () => {
  const r = renderNotification("json", n, { target: "t", now });
  expect(r.headers["webhook-signature"]).toBeUndefined();
  expect(webhookId("t", "k")).toBe(webhookId("t", "k"));
  expect(webhookId("t", "k")).not.toBe(webhookId("u", "k"));
});

test("slack, discord and ntfy bodies", () => {
  expect(JSON.parse(renderNotification("slack", n, { target: "t", now }).body)).toEqual({ text: `${n.text} <https://x/pull/1|open>` });
  expect(JSON.parse(renderNotification("discord", n, { target: "t", now }).body)).toEqual({ content: n.text });
  const ntfy = renderNotification("ntfy", n, { target: "t", now });
  expect([ntfy.body, ntfy.headers.Title, ntfy.headers.Tags, ntfy.headers.Click]).toEqual([n.text, "claude-coord: pr ready (o/r)", "pr_ready", "https://x/pull/1"]);
});
