import { describe, expect, it } from 'vitest';
import { addressRefusal, checkWebhookUrl } from '../../src/core/webhook-target.js';

describe('webhook targets: no request to the inside of the network unless the config allows the host', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'IPv4-compatible IPv6'],
    ['::a9fe:a9fe', 'IPv4-compatible IPv6'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
  ])('refuses %s (%s)', (address, range) => {
    // Act
    const refusal = addressRefusal(address, 'hooks.example.com', []);
    // Assess
    expect(refusal).toContain(range);
    expect(refusal).toContain('webhooks.allowHosts');
  });

  it('lets public addresses through, and a private one when the allow list names the host', () => {
    expect(addressRefusal('93.184.215.14', 'example.com', [])).toBeUndefined();
    expect(addressRefusal('2606:2800:21f:cb07:6820:80da:af6b:8b2c', 'example.com', [])).toBeUndefined();
    expect(addressRefusal('10.0.0.7', 'Hooks.Internal.Example.', ['hooks.internal.example'])).toBeUndefined();
    expect(addressRefusal('10.0.0.7', 'other.internal.example', ['hooks.internal.example'])).toContain(
      'private',
    );
    expect(addressRefusal('not-an-ip', 'example.com', [])).toContain('not an IP address');
  });

  it.each([
    ['https://hooks.example.com/run?x=1', true, ''],
    ['http://[::1]:8080/', true, ''],
    ['ftp://example.com/', false, 'http:// or https://'],
    ['file:///etc/passwd', false, 'http:// or https://'],
    ['https://user:pw@example.com/', false, 'no user or password'],
    ['not a url', false, 'not a URL'],
    [`https://example.com/${'a'.repeat(2_100)}`, false, 'at most 2048'],
  ])('reads %s as a webhook URL: %s', (text, accepted, reason) => {
    const read = checkWebhookUrl(text);
    expect(read.ok).toBe(accepted);
    if (!read.ok) expect(read.error).toContain(reason);
  });
});
