// The client's IP address of a request: the peer, or the X-Forwarded-For entry a trusted proxy added (`[server] trusted_proxies`).
import { BlockList, isIP } from "node:net";

/** The proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges (`127.0.0.1`, `10.0.0.0/8`, `::1`). */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** Throws an Error naming the entry when one is neither an IP address nor a CIDR range. */
  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const [addr, bits] = e.split("/");
      const family = isIP(addr ?? "");
      if (family === 0 || (bits !== undefined && !/^\d+$/.test(bits))) throw new Error(`'${e}' is not an IP address or CIDR range`);
      const type = family === 4 ? "ipv4" : "ipv6";
      if (bits === undefined) this.list.addAddress(addr!, type);
      else this.list.addSubnet(addr!, Number(bits), type);
    }
    this.empty = entries.length === 0;
  }

  /** True when `ip` is one of the trusted proxies. */
  has(ip: string): boolean {
    const family = isIP(ip);
    return family !== 0 && this.list.check(ip, family === 4 ? "ipv4" : "ipv6");
  }
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) as `1.2.3.4`; other text unchanged. */
function plain(ip: string): string {
  return ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/**
 * The client's address (MDN, "X-Forwarded-For": trust only what your own proxies appended). When
 * the peer is a trusted proxy, `X-Forwarded-For` is read from the right, skipping trusted proxies;
 * the first other valid address is the client (all trusted: the leftmost). Otherwise, or with no
 * usable header, the peer itself. `peer` undefined (a request handled without a socket, as in
 * tests): `unknown`.
 */
export function clientIp(peer: string | undefined, forwarded_for: string | null, trusted: TrustedProxies): string {
  if (peer === undefined) return "unknown";
  const p = plain(peer);
  if (trusted.empty || forwarded_for === null || !trusted.has(p)) return p;
  const hops = forwarded_for
    .split(",")
    .map((h) => plain(h.trim()))
    .filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!;
  return hops[0] ?? p;
}

/**
 * The client's address of `request` as `server` received it: `clientIp` over the socket's peer and
 * its `X-Forwarded-For`, believed only from `trusted` proxies; `unknown` for a request handled
 * without a socket (tests through `app.handle`). Every per-IP bound uses it: the rate limit's IP
 * bucket (SPEC §15) and the `[limits]` counts of new sessions and open streams (SPEC §16).
 */
export function requestClientIp(server: { requestIP(r: Request): { address: string } | null } | null | undefined, request: Request, trusted: TrustedProxies): string {
  return clientIp(server?.requestIP(request)?.address, request.headers.get("x-forwarded-for"), trusted);
}
