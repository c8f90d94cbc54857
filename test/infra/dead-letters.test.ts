/** The dead-letter monitor: every five minutes, told every dead-letter queue of the stack, able to look at those only. */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTERS_ENTRY } from '../../infra/stack.js';
import { parseDeadLetterQueues } from '../../src/handlers/dead-letters.js';
import { actionsOf, logicalIdAt, resourcesOf, statementsOf, synth } from './synth.js';

const { stack, template } = synth();
const id = (path: string) => logicalIdAt(stack, `Tms/${path}`);
type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = template.toJSON().Resources as Record<string, Resource>;
const monitorId = id('DeadLetters/Function');
const variables = () =>
  ((resources[monitorId] as Resource).Properties as { Environment: { Variables: Record<string, unknown> } })
    .Environment.Variables;

/** A CloudFormation value as text, each reference written by `name` (as the deployed value would stand there). */
function render(value: unknown, name: (ref: string, attribute?: string) => string): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return name(v.Ref);
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [ref, attribute] = v['Fn::GetAtt'] as [string, string];
    return name(ref, attribute);
  }
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => render(part, name)).join(separator);
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

interface Entry {
  name: string;
  url: string;
  holds: string;
  redrive: string;
  priority?: string;
}
/** TMS_DEAD_LETTER_QUEUES as the handler parses it, a queue's URL written `url(<id>)`, an ARN `arn(<id>)`. */
const entries = (): Entry[] =>
  JSON.parse(
    render(variables().TMS_DEAD_LETTER_QUEUES, (ref, attribute) =>
      attribute === 'Arn' ? `arn(${ref})` : attribute ? `${attribute}(${ref})` : `url(${ref})`,
    ),
  );

/**
 * Every queue of the stack that something failed is sent to: an SQS queue's redrive target, a stream
 * mapping's or an asynchronous invocation's failure destination, an EventBridge target's dead-letter queue.
 */
function deadLetterQueuesOfTheStack(): string[] {
  const arnsOf = (r: Resource): unknown[] => {
    const p = r.Properties as {
      RedrivePolicy?: { deadLetterTargetArn: unknown };
      DestinationConfig?: { OnFailure?: { Destination: unknown } };
      Targets?: { DeadLetterConfig?: { Arn: unknown } }[];
    };
    switch (r.Type) {
      case 'AWS::SQS::Queue':
        return p.RedrivePolicy ? [p.RedrivePolicy.deadLetterTargetArn] : [];
      case 'AWS::Lambda::EventSourceMapping':
      case 'AWS::Lambda::EventInvokeConfig':
        return p.DestinationConfig?.OnFailure ? [p.DestinationConfig.OnFailure.Destination] : [];
      case 'AWS::Events::Rule':
        return (p.Targets ?? []).flatMap((t) => (t.DeadLetterConfig ? [t.DeadLetterConfig.Arn] : []));
      default:
        return [];
    }
  };
  const ids = Object.values(resources)
    .flatMap(arnsOf)
    .map((arn) => (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
  for (const queue of ids) expect(resources[queue]?.Type).toBe('AWS::SQS::Queue');
  return [...new Set(ids)].sort();
}

describe('the dead-letter monitor', () => {
  it('runs src/handlers/dead-letters.ts every 5 minutes on EventBridge Scheduler, through a role that may invoke it only', () => {
    expect(DEAD_LETTERS_ENTRY).toBe('src/handlers/dead-letters.ts');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'tms:handler', Value: DEAD_LETTERS_ENTRY }]),
      Role: { 'Fn::GetAtt': [id('DeadLetters/Role'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [monitorId, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [id('DeadLetterWatch/Role'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      },
    });
    expect(statementsOf(template, id('DeadLetterWatch/Role'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [
          { 'Fn::GetAtt': [monitorId, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [monitorId, 'Arn'] }, ':*']] },
        ],
      },
    ]);
  });

  it('is told every dead-letter queue of the stack (TMS_DEAD_LETTER_QUEUES), each once, by its URL', () => {
    const listed = entries();
    expect(listed.map((e) => e.name)).toEqual([
      'ingest',
      'cards-stream',
      'aggregator-stream',
      'live-stream',
      'escalations-stream',
      'bot-jobs',
      'aws-events',
    ]);
    const urls = listed.map((e) => e.url);
    for (const url of urls) expect(url).toMatch(/^url\(\w+\)$/);
    expect(urls.map((url) => url.slice(4, -1)).sort()).toEqual(deadLetterQueuesOfTheStack());
    expect(listed.map((e) => e.url)).toContain(`url(${id('IngestQueue/DeadLetters/Queue')})`);
  });

  it('says for each what it holds and how to redrive it', () => {
    const byName = Object.fromEntries(entries().map((e) => [e.name, e]));
    for (const entry of Object.values(byName)) {
      expect(entry.holds.length, entry.name).toBeGreaterThan(20);
      expect(entry.redrive, entry.name).toMatch(/aws (sqs|lambda) /);
    }
    // The ingest dead letters go back where they came from, to be processed as the redeliveries they are.
    expect(byName.ingest?.redrive).toMatch(
      new RegExp(
        `^aws sqs start-message-move-task --source-arn arn\\(${id('IngestQueue/DeadLetters/Queue')}\\) `,
      ),
    );
    // A stream consumer's dead letter names the failed batch, not its records: there is nothing to move.
    for (const name of ['cards-stream', 'aggregator-stream']) {
      expect(byName[name]?.redrive).toMatch(/^nothing to move: /);
      expect(byName[name]?.redrive).not.toContain('start-message-move-task');
      expect(byName[name]?.redrive).toContain(`aws sqs receive-message --queue-url ${byName[name]?.url}`);
    }
    // An AWS event that failed is an alert: it is sent to the events function again.
    expect(byName['aws-events']?.redrive).toContain(
      `aws lambda invoke --function-name url(${id('Events/Function')}) --invocation-type Event`,
    );
  });

  it("opens the ingest queue's task at P1, as the local stack does: its dead letters are alerts nobody has seen", () => {
    const byName = Object.fromEntries(entries().map((e) => [e.name, e]));
    expect(byName.ingest?.priority).toBe('P1');
    // The others take the monitor's default (P2): a card late, a count missed, an App Home not published.
    for (const name of ['cards-stream', 'aggregator-stream', 'bot-jobs', 'aws-events'])
      expect(byName[name]?.priority, name).toBeUndefined();
  });

  it('is a value the handler accepts at its cold start, with every name and URL as long as AWS makes them', () => {
    const longest = (ref: string, attribute?: string) =>
      attribute === 'Arn'
        ? `arn:aws:sqs:ap-southeast-4:123456789012:${'q'.repeat(80)}`
        : resources[ref]?.Type === 'AWS::Lambda::Function'
          ? 'f'.repeat(64)
          : `https://sqs.ap-southeast-4.amazonaws.com/123456789012/${'q'.repeat(80)}`;
    const parsed = parseDeadLetterQueues(render(variables().TMS_DEAD_LETTER_QUEUES, longest));
    expect(parsed.map((q) => q.name)).toEqual(entries().map((e) => e.name));
  });

  it('may count and peek at exactly those queues, and nothing else on SQS: it never deletes or moves one', () => {
    const sqs = statementsOf(template, id('DeadLetters/Role')).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('sqs:')),
    );
    expect(sqs).toHaveLength(1);
    expect(actionsOf(sqs[0] as (typeof sqs)[number]).sort()).toEqual([
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    const queues = resourcesOf(sqs[0] as (typeof sqs)[number]).map(
      (r) => (r as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'],
    );
    for (const [, attribute] of queues) expect(attribute).toBe('Arn');
    expect(queues.map(([queue]) => queue).sort()).toEqual(deadLetterQueuesOfTheStack());
  });

  it('has no secret, publishes nothing, and is alarmed like every function', () => {
    expect(Object.keys(variables()).filter((v) => v.endsWith('_SECRET_ARN'))).toEqual([]);
    expect(
      statementsOf(template, id('DeadLetters/Role')).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('sns:') || a.startsWith('kms:') || a.startsWith('lambda:')),
      ),
    ).toEqual([]);
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName,
    );
    expect(names).toEqual(expect.arrayContaining(['Tms-dead-letters-errors', 'Tms-dead-letters-throttles']));
  });

  it('fits in the 4 KB Lambda allows all of its environment, with every name and URL as long as AWS makes them', () => {
    // A queue's URL: https://sqs.<region>.amazonaws.com/<account>/<name of at most 80>; its ARN likewise;
    // a function's name at most 64; anything else (the table's name) taken at 128.
    const longest = (ref: string, attribute?: string) => {
      const type = resources[ref]?.Type;
      if (type === 'AWS::SQS::Queue')
        return attribute === 'Arn'
          ? `arn:aws:sqs:ap-southeast-4:123456789012:${'q'.repeat(80)}`
          : `https://sqs.ap-southeast-4.amazonaws.com/123456789012/${'q'.repeat(80)}`;
      if (type === 'AWS::Lambda::Function') return 'f'.repeat(64);
      return 'x'.repeat(128);
    };
    const size = Object.entries(variables()).reduce(
      (total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(render(value, longest)),
      0,
    );
    expect(size).toBeLessThan(4096);
  });
});
