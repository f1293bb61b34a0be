// A notification receiver for tests: an HTTP server on 127.0.0.1 recording every request, answering scripted statuses, and the Standard Webhooks check written from its published description.
import { createHmac } from "node:crypto";

/** A request a receiver got. */
export interface Got {
  headers: Record<string, string>;
  body: string;
  /** The status it was answered with. */
  answered: number;
}

/** A running receiver. */
export interface Receiver {
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  got: Got[];
  /** Statuses to answer in turn; once empty, `fallback`. */
  answers: number[];
  /** The status after `answers` runs out (200 unless set). */
  fallback: number;
  stop(): void;
}

/** Starts a receiver on 127.0.0.1 (a free port, or `port`) answering `answers` in turn, then 200. */
export function receiver(answers: number[] = [], port = 0): Receiver {
  const r: Receiver = {
    url: "",
    port: 0,
    got: [],
    answers,
    fallback: 200,
    stop: () => server.stop(true),
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    async fetch(req) {
      const status = r.answers.shift() ?? r.fallback;
      r.got.push({ headers: Object.fromEntries(req.headers), body: await req.text(), answered: status });
      return new Response(status === 200 ? "ok" : "broken", { status });
    },
  });
  r.port = server.port ?? port;
  r.url = `http://127.0.0.1:${r.port}/hook`;
  return r;
}

/**
 * Standard Webhooks verification written from the published description: the signed content is
 * `${webhook-id}.${webhook-timestamp}.${body}`, the key is the base64 after `whsec_`, the signature
 * is base64 HMAC-SHA256, sent as `v1,<signature>` (space-separated when several).
 */
export function verifyStandardWebhook(secret: string, h: Record<string, string>, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${h["webhook-id"]}.${h["webhook-timestamp"]}.${body}`).digest("base64");
  return (h["webhook-signature"] ?? "").split(" ").some((s) => s === `v1,${expected}`);
}

/** Polls `ok` every 50 ms; throws naming `what` after `timeout_ms` (default 20 s). */
export async function until(what: string, ok: () => boolean, timeout_ms = 20_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
