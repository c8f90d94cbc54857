import ipaddr from 'ipaddr.js';
import { fail, ok, type Result } from './result.js';

/**
 * Where a schedule's webhook may go (issue 18). A webhook is a request TMS sends from inside the network to a
 * URL a user typed, so it is an SSRF surface: the URL is checked when the schedule is made, and every address
 * its host resolves to is checked again when it runs, by the adapter that connects
 * (src/adapters/http/webhook-sender.ts), which connects only to an address that passed (so a DNS answer that
 * changes between the check and the connection changes nothing).
 *
 * Only public unicast addresses are allowed, unless the config's `webhooks.allowHosts` names the host:
 * loopback, the private ranges, link-local (169.254.169.254 is the instance metadata service), carrier-grade
 * NAT, unique-local and the reserved, multicast and unspecified ranges are refused, IPv4 written inside IPv6
 * (`::ffff:127.0.0.1`) included. ipaddr.js keeps the IANA ranges; hand-written prefix lists miss some.
 */

export const WEBHOOK_URL_MAX = 2_048;

/** The URL a schedule keeps, or why not: http(s) only, no credentials in it, a host, at most 2,048 characters. */
export function checkWebhookUrl(text: string): Result<URL, string> {
  if (text.length > WEBHOOK_URL_MAX) return fail(`a webhook URL has at most ${WEBHOOK_URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('the webhook is not a URL: write it as https://host/path');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return fail('a webhook URL is http:// or https://');
  if (url.username || url.password)
    return fail('a webhook URL carries no user or password: sign with the secret instead');
  if (!url.hostname) return fail('a webhook URL names a host');
  return ok(url);
}

/** The host as the allow list names it: lower case, without an IPv6 literal's brackets or a trailing dot. */
export const hostKey = (host: string): string =>
  host.toLowerCase().replace(/^\[/, '').replace(/\]$/, '').replace(/\.$/, '');

/** Why TMS will not connect to `address` for `host`, or `undefined` when it may. */
export function addressRefusal(
  address: string,
  host: string,
  allowHosts: readonly string[],
): string | undefined {
  if (allowHosts.some((allowed) => hostKey(allowed) === hostKey(host))) return undefined;
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const parsed = ipaddr.process(address); // ::ffff:a.b.c.d becomes a.b.c.d
  const range = parsed.range();
  // ipaddr.js calls IPv4-compatible IPv6 (`::127.0.0.1`, deprecated since RFC 4291) unicast: it is never a
  // public receiver, and some stacks route it to the IPv4 address it holds.
  if (
    range === 'unicast' &&
    parsed.kind() === 'ipv6' &&
    parsed.toNormalizedString().startsWith('0:0:0:0:0:0:')
  )
    return `${hostKey(host)} is at ${parsed.toString()}, an IPv4-compatible IPv6 address; webhooks go to public addresses unless webhooks.allowHosts names the host`;
  if (range === 'unicast') return undefined;
  return `${hostKey(host)} is at ${parsed.toString()}, a ${range} address; webhooks go to public addresses unless webhooks.allowHosts names the host`;
}
