import { describe, expect, it } from 'vitest';
import { issueKeyOf, normalizeMessage, normalizeTitle } from '../../src/core/similar.js';
import { openTask, taskFromAlert } from '../../src/core/use-cases/open-task.js';
import { normalizeLogMessage } from '../../src/ingest/sources/logs.js';
import { MemoryTaskStore } from '../fakes/memory-task-store.js';
import { anAlert, depsFor, slack } from '../helpers/factories.js';

describe('normalizeTitle: what changes between two incidents of the same issue is taken out', () => {
  it.each([
    // The issue's own example: a consumer's lag on one pod, then on another.
    ['Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z', 'consumer lag <n> on checkout'],
    ['Consumer lag 98 on checkout-5f6d7c8b9-q4wzt', 'consumer lag <n> on checkout'],
    // test/fixtures/generic/pagerduty-trigger.json (PagerDuty's example): a host name.
    ['DISK at 99% on machine prod-datapipe03.example.com', 'disk at <n>% on machine <host>'],
    // test/fixtures/alertmanager/alertmanager-v4-firing.json: a URL's host.
    ['BlackBox Probe Failure: https://server.example.org', 'blackbox probe failure: https://<host>'],
    // test/fixtures/alertmanager/grafana-firing.json
    ['This alert was triggered for zone us-1', 'this alert was triggered for zone us-<n>'],
    // test/fixtures/aws/cloudwatch-alarm-sns-payload-single-metric.json, as the cloudwatch source titles it
    ['EXAMPLE in alarm', 'example in alarm'],
    // test/fixtures/aws/cloudwatch-logs-event.json, its first line
    ['[ERROR] First test message', '[error] first test message'],
    // test/fixtures/kubernetes/backoff-warning.json, as the kubernetes source titles it
    ['BackOff: checkout in checkout (prod-eu)', 'backoff: checkout in checkout (prod-eu)'],
    // test/fixtures/jenkins/completed-success.json's job failing
    ['asgard is failing', 'asgard is failing'],
    // @octokit/webhooks-examples' failed workflow_job, as the github source titles it
    ['CodeQL failing on main (Codertocat/Hello-World)', 'codeql failing on main (codertocat/hello-world)'],
    // ids, hashes, quoted values and addresses
    [
      'Payment 7f3a9c2e1b4d failed for order "A-1234" user 123e4567-e89b-12d3-a456-426614174000 from 10.0.3.4:8080',
      'payment <hex> failed for order <q> user <id> from <ip>',
    ],
    ['High CPU on ip-10-0-12-34.eu-west-1.compute.internal', 'high cpu on <host>'],
    ['node-exporter-x7k2p   down', 'node-exporter down'],
  ])('%j → %j', (title, normalized) => {
    expect(normalizeTitle(title)).toBe(normalized);
  });

  it('keeps words and plain numbers apart from pod suffixes: a word is never cut, a number is a number', () => {
    expect(normalizeTitle('db-24567 slow')).toBe(normalizeTitle('db-13579 slow'));
    expect(normalizeTitle('checkout-rhythm failing')).toBe('checkout-rhythm failing');
    // Dotted names that are no hosts (metrics, packages) stay: they name different issues.
    expect(normalizeTitle('High kafka.consumer.lag')).not.toBe(normalizeTitle('High http.server.errors'));
  });

  it('is the one normalizer: the logs source fingerprints lines by the same function, unchanged', () => {
    expect(normalizeLogMessage).toBe(normalizeMessage);
    expect(normalizeMessage("Unhandled rejection at 0x7ffe 'boom' sha 1a2b3c4d5e6f")).toBe(
      'Unhandled rejection at <hex> <q> sha <hex>',
    );
  });
});

describe('issueKeyOf', () => {
  it('is the same for the same service, normalized title and class, whatever the numbers and pods', () => {
    const a = issueKeyOf('checkout', 'Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z', 'ConsumerLag');
    expect(issueKeyOf('checkout', 'consumer lag 98 on checkout-5f6d7c8b9-q4wzt', 'ConsumerLag')).toBe(a);
    expect(issueKeyOf('billing', 'Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z', 'ConsumerLag')).not.toBe(a);
    expect(issueKeyOf('checkout', 'Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z', 'DiskFull')).not.toBe(a);
    expect(issueKeyOf('checkout', 'Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z')).not.toBe(a);
  });

  it('is bounded whatever the sender sent, and stable across releases (its history is stored under it)', () => {
    expect(issueKeyOf('checkout', 'x'.repeat(100_000), 'y'.repeat(100_000))).toMatch(/^issue:[0-9a-f]{32}$/);
    // Pinned: a change to the normalizer or the hash moves every issue's learned history.
    expect(issueKeyOf('checkout', 'Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z', 'ConsumerLag')).toBe(
      'issue:c4a2443a226a222b315e7896c319c105',
    );
  });
});

describe('a task’s issue key, set when it is built', () => {
  it('is its service, title and source class for an alert task, whatever its dedup key', () => {
    const { config } = depsFor(new MemoryTaskStore());
    const ctx = {
      actor: { type: 'source' as const, id: 'generic' },
      via: 'ingest' as const,
      now: new Date(),
    };
    const alert = (fingerprint: string, title: string) =>
      taskFromAlert('TMS-1', anAlert({ fingerprint, title, issueClass: 'consumer_lag' }), config, ctx).task;
    const a = alert('generic:c1f3a9d2', 'Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z');
    expect(a.issueKey).toBe(
      issueKeyOf('checkout', 'Consumer lag 1234 on checkout-7d9f8b6c5-x2x9z', 'consumer_lag'),
    );
    expect(alert('generic:5b2e77c0', 'Consumer lag 98 on checkout-5f6d7c8b9-q4wzt').issueKey).toBe(
      a.issueKey,
    );
  });

  it('is its service and title for a task typed by hand', async () => {
    const deps = depsFor(new MemoryTaskStore());
    const opened = await openTask(deps, {
      title: 'Rotate the checkout TLS certificate',
      service: 'checkout',
      role: 'developer',
      ctx: slack('U01AAA'),
    });
    expect(opened.ok && opened.value.issueKey).toBe(
      issueKeyOf('checkout', 'Rotate the checkout TLS certificate'),
    );
  });
});
