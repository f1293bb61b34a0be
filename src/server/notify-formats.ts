// The request each `[[notify]]` format sends (SPEC §13): json signed as Standard Webhooks, Slack and Discord incoming webhooks, ntfy.
import { createHash } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { Notification } from "../core/notify.ts";

/** The notification formats a target may use. */
export const NOTIFY_FORMATS = ["json", "slack", "discord", "ntfy"] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/** One HTTP request to a target. */
export interface NotifyRequest {
  headers: Record<string, string>;
  body: string;
}

/** The Standard Webhooks message id of a delivery: stable per (target, key), so a receiver can drop a repeat after a crash mid-send. */
export function webhookId(target: string, key: string): string {
  return `msg_${createHash("sha256").update(`${target}\u0000${key}`).digest("hex").slice(0, 32)}`;
}

/**
 * The request of `n` in `format`:
 * - `json`: `{type: "claude-coord.<kind>", timestamp, data: {repo, kind, session, text, url, ...the event's fields}}`,
 *   with `webhook-id`, `webhook-timestamp` and, given a `secret` (`whsec_` + base64), `webhook-signature`
 *   (Standard Webhooks: HMAC-SHA256 of `id.timestamp.body`, base64, as `v1,<sig>`);
 * - `slack`: `{text}`; `discord`: `{content}` (their incoming-webhook bodies);
 * - `ntfy`: the text as the body, with `Title`, `Tags` and, for a PR, `Click` headers.
 * `now` is the signing time. Throws the signer's error for a secret that is not valid base64.
 */
export function renderNotification(format: NotifyFormat, n: Notification, opts: { target: string; secret?: string; now: Date }): NotifyRequest {
  switch (format) {
    case "json": {
      const id = webhookId(opts.target, n.key);
      const body = JSON.stringify({ type: `claude-coord.${n.kind}`, timestamp: n.at, data: { ...n.data, repo: n.repo, kind: n.kind, session: n.session, text: n.text, url: n.url } });
      const headers: Record<string, string> = { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(Math.floor(opts.now.getTime() / 1000)) };
      if (opts.secret) headers["webhook-signature"] = new Webhook(opts.secret).sign(id, opts.now, body);
      return { headers, body };
    }
    case "slack":
      return { headers: { "content-type": "application/json" }, body: JSON.stringify({ text: n.url ? `${n.text} <${n.url}|open>` : n.text }) };
    case "discord":
      return { headers: { "content-type": "application/json" }, body: JSON.stringify({ content: n.text.slice(0, 2000) }) };
    case "ntfy":
      return {
        headers: { "content-type": "text/plain; charset=utf-8", Title: `claude-coord: ${n.kind.replaceAll("_", " ")} (${n.repo})`, Tags: n.kind, ...(n.url ? { Click: n.url } : {}) },
        body: n.text,
      };
  }
}
