// The client IP: the peer unless a trusted proxy forwarded the request, then the rightmost untrusted X-Forwarded-For hop.
import { expect, test } from "bun:test";
import { clientIp, TrustedProxies } from "../../src/server/client-ip.ts";

const proxies = new TrustedProxies(["127.0.0.1", "10.0.0.0/8", "::1"]);
const none = new TrustedProxies([]);

test.each([
  ["no proxies trusted: the header is ignored", "127.0.0.1", "203.0.113.7", none, "127.0.0.1"],
  ["a peer that is no trusted proxy: its header is ignored", "198.51.100.2", "203.0.113.7", proxies, "198.51.100.2"],
  ["a trusted proxy with one hop", "127.0.0.1", "203.0.113.7", proxies, "203.0.113.7"],
  ["a spoofed leftmost hop is skipped: the rightmost untrusted one counts", "127.0.0.1", "1.1.1.1, 203.0.113.7, 10.1.2.3", proxies, "203.0.113.7"],
  ["every hop trusted: the leftmost", "127.0.0.1", "10.0.0.5, 10.0.0.6", proxies, "10.0.0.5"],
  ["garbage hops are skipped", "127.0.0.1", "unknown, 203.0.113.9, not-an-ip", proxies, "203.0.113.9"],
  ["no usable header: the peer", "127.0.0.1", "nonsense", proxies, "127.0.0.1"],
  ["an IPv4-mapped IPv6 peer counts as IPv4", "::ffff:127.0.0.1", "203.0.113.7", proxies, "203.0.113.7"],
  ["an IPv6 proxy", "::1", "2001:db8::7", proxies, "2001:db8::7"],
  ["no header", "127.0.0.1", null, proxies, "127.0.0.1"],
])("%s", (_name, peer, header, trusted, expected) => {
  expect(clientIp(peer, header, trusted)).toBe(expected);
});

test("a request without a socket has the address unknown", () => {
  expect(clientIp(undefined, "203.0.113.7", proxies)).toBe("unknown");
});

test("an entry that is no address or CIDR range is refused naming it", () => {
  expect(() => new TrustedProxies(["10.0.0.0/8", "proxy.local"])).toThrow("'proxy.local' is not an IP address or CIDR range");
  expect(() => new TrustedProxies(["10.0.0.0/x"])).toThrow("'10.0.0.0/x' is not an IP address or CIDR range");
});
