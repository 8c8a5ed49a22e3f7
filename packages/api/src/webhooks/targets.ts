/**
 * Where a webhook may be sent. Private, loopback, link-local, CGNAT, multicast and reserved addresses (and IPv6 ULA,
 * loopback, link-local, IPv4-mapped and NAT64 forms of them) are refused unless the instance setting
 * `allowPrivateWebhookTargets` is on. The check runs on every address the name resolves to, inside the socket's own
 * DNS lookup, so the address connected to is the address checked (no DNS-rebinding window).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";

// Two lists: Node's BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules, which would block everything.
const blocked4 = new BlockList();
const blocked6 = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked4.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["::ffff:0:0", 96],
  ["::", 96],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 32],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  blocked6.addSubnet(net, prefix, "ipv6");
}

/** Whether an IP address (v4 or v6, no brackets) is one we never send to by default. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked4.check(address, "ipv4");
  if (family === 6) return blocked6.check(address, "ipv6");
  return true; // not an address at all: refuse
}

export class BlockedTargetError extends Error {
  readonly code = "EBLOCKEDTARGET";
  constructor() {
    super("The webhook target resolves to a private or reserved address.");
    this.name = "BlockedTargetError";
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for `http.request` that resolves every address and refuses the request if any is private. */
export function checkedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number | string } | number, callback: LookupCallback): void => {
    const wantAll = typeof options === "object" && options.all === true;
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, wantAll ? [] : "");
      if (addresses.length === 0) return callback(Object.assign(new Error("No address"), { code: "ENOTFOUND" }), wantAll ? [] : "");
      if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) {
        return callback(new BlockedTargetError() as NodeJS.ErrnoException, wantAll ? [] : "");
      }
      if (wantAll) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** The literal IP of a URL's host, if it is one (IPv6 without brackets). */
export function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : null;
}
