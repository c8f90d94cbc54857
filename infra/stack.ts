import { join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BOT_LAMBDA_BUNDLING } from '../src/bot/lambda-bundling.js';
import { STREAM_CONSUMERS } from '../src/handlers/stream-consumers.js';
import { SOURCES } from '../src/ingest/pipeline.js';
import { PROCESSOR_TIMEOUT_S } from '../src/ingest/queue.js';
import type { StreamSubscription } from '../src/jobs/stream-consumers.js';
import type { FunctionName } from '../src/routes.js';
import { WEB_ENTRIES } from '../src/web/build.js';
import { AwsSources } from './constructs/aws-sources.js';
import { DeadLetterWatch } from './constructs/dead-letter-watch.js';
import { Escalation } from './constructs/escalation.js';
import { FailureQueue } from './constructs/failure-queue.js';
import { REPO_ROOT, type TableAccess, TmsFunction } from './constructs/function.js';
import { TmsHttpApi } from './constructs/http-api.js';
import { IngestQueue } from './constructs/ingest-queue.js';
import { LiveApi } from './constructs/live-api.js';
import { NotificationTopic } from './constructs/notifications.js';
import { Observability } from './constructs/observability.js';
import { DEPLOYED_SECRETS, secretNameOf, TmsSecrets } from './constructs/secrets.js';
import { SweepSchedule } from './constructs/sweep-schedule.js';
import { TmsTable } from './constructs/table.js';
import { TaskStream } from './constructs/task-stream.js';
import { TmsUsers } from './constructs/users.js';
import { type DeployConfig, readDeployConfig } from './deploy-config.js';

/** A stream consumer's entry in the registry the local stack runs too. */
function subscription(
  name: string,
): Pick<StreamSubscription, 'name' | 'filter' | 'also'> & { readonly parallelization?: number } {
  const found = STREAM_CONSUMERS.find((c) => c.name === name);
  if (!found) throw new Error(`no stream consumer named ${name} in src/handlers/stream-consumers.ts`);
  return found;
}

/**
 * A dead letter is read, then deleted (`aws sqs delete-message` with its receipt handle) by someone who
 * understood it: none goes unseen. Short: every queue's texts share the monitor's 4 KB of environment (it is full).
 */
const readThenDelete = (queue: Queue) =>
  `read, then delete it: aws sqs receive-message --queue-url ${queue.queueUrl}`;

/**
 * A stream consumer's failure message names the failed batch (its shard and sequence numbers), not its
 * records: there is nothing to move back, and the records leave the stream after 24 hours.
 */
const streamRedrive = (consequence: string) => (queue: Queue) =>
  `nothing to move: a message names a failed batch, not its records; ${consequence}. ${readThenDelete(queue)}`;

/** The stream aggregator's handler. */
export const AGGREGATOR_ENTRY = 'src/handlers/aggregator.ts';
/** The ingest queue's consumer: SQS batches, partial batch responses. */
export const PROCESSOR_ENTRY = 'src/handlers/ingest-processor.ts';
/** The dead-letter monitor, on its schedule. */
export const DEAD_LETTERS_ENTRY = 'src/handlers/dead-letters.ts';

/**
 * What each function's code calls on the table, read from the handlers and the adapters they reach
 * (src/adapters/dynamo/*): a missing grant fails loudly in its first request; an extra one is a door left open.
 */
export const TABLE_ACCESS = {
  /**
   * A task, its timeline (a query of its own partition) and card; lists by status, service or assignee. The
   * insights read the aggregates by query only (a window's hourly items, a service's issue statistics, the
   * trend episodes: each a query of its own partition), a trending fingerprint's task (a get), and whether a
   * service ever had a task (a list of one, gsi). The writes: the id counter (an update), a new task (a put), a
   * change (the task put whole, the entries it held copied to the timeline in batches), and the fingerprint of
   * an alert task resolved or reopened (updates: claim, bind, drop, release). A delete (admins): the task item
   * marked (an update) and deleted, its fingerprint forgotten (updates), its timeline read by keys (a query of
   * its own partition) and deleted in batches.
   */
  api: {
    // (and a create's Idempotency-Key: a marker put, completed, or deleted again when the create failed)
    actions: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'],
    indexes: ['gsi1', 'gsi2', 'gsi3'],
  },
  /**
   * Accepting a delivery (the ingest and events functions): archive it (a put, its body's chunks in batches
   * when it is large), read it back (a chunked body is a query of its own partition), mark it processed, and
   * the silences in force (gsi1) and their counts. Its alerts are recorded by the processor, from the queue.
   */
  ingest: { actions: ['GetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'Query'], indexes: ['gsi1'] },
  /**
   * Recording alerts from the ingest queue: the fingerprint claim and binding, the id counter, the task and its
   * timeline entries (in batches), a redelivery looked for in the task's history (a query of its partition),
   * the silences in force (gsi1) and their counts, the Alertmanager group record, the delivery marked processed.
   */
  processor: {
    actions: ['GetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi1'],
  },
  /**
   * The dead-letter monitor opens and resolves its tasks through the ingest use case: the fingerprint claim
   * and binding, the id counter, the task and its timeline entries, the silences in force (gsi1) and their
   * counts. Never redelivered, it has no history to look through. An ingest dead letter's error is read from
   * its archived delivery (a get, and a large delivery's body chunks: a query of its own partition).
   */
  deadLetters: {
    actions: ['GetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi1'],
  },
  /**
   * Slack: every use case (tasks, fingerprints, counter, timeline), list and App Home (gsi1-3), silences
   * (gsi1), at-most-once markers (put, and deleted again when nothing changed) and cards read.
   */
  bot: {
    actions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi1', 'gsi2', 'gsi3'],
  },
  /** The card projector: lease and release the card, read the task and its timeline, markers for DMs and P1s. */
  cards: { actions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'] },
  // (and the aggregator's statistics, for what fixed an alert before: one BatchGetItem of an issue's items)
  /**
   * The sweeper: re-drive (pending deliveries on gsi1, then the ingest path), reconcile cards (due cards on
   * gsi1, the audit's task and card versions in batches of keys, then the projector's path), SLA warnings (unresolved tasks on gsi1, markers, cards, statistics),
   * trend posts and digests (the aggregator's items: queries of their partitions, the digest mark).
   */
  sweeper: {
    actions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi1'],
  },
  /**
   * The stream aggregator: its hourly counters, statistics and trend episodes (AGG#… items: updates, reads,
   * queries of their partitions; the markers of what a statistics item no longer keeps, read in a batch of
   * keys), and posting a trend that started (the card's link, an at-most-once marker, deleted again when the
   * post failed). No index: it never lists tasks.
   */
  aggregator: { actions: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'] },
  /**
   * The escalation state machine's step function: the task read and written conditionally on its version (a
   * get, a put, the entries it held copied to the timeline in batches), the on-call overrides of its team (a
   * query of their partition), and a page's at-most-once markers (put, read, completed, deleted when the send
   * failed). No index: it never lists tasks.
   */
  escalationStep: {
    actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'Query'],
  },
  /**
   * The escalations stream consumer: the at-most-once markers of telling those notified that the task was
   * acknowledged (and of a page a person asked for), and that page recorded sent on the task (a get, a put, held
   * entries copied in batches). No query: it reads the change from the stream record.
   */
  escalations: { actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'] },
} as const satisfies Record<string, TableAccess>;

export interface TmsStackProps extends StackProps {
  /** A table deployed before its indexes' projections were narrowed keeps ALL (see TmsTableProps). */
  readonly allAttributesInIndexes?: boolean;
  /** Refuse deletes of the table, the user pool and the secrets, and keep logs; on by default. */
  readonly deletionProtection?: boolean;
  /** The config file: validated now, bundled with every function. Default: tms.config.yaml at the root. */
  readonly configPath?: string;
  /** Log groups to subscribe besides the concrete names in the config's `services.*.match.logGroups`. */
  readonly logGroups?: readonly string[];
  /** The bot's ids (from `auth.test`), so it makes no call at start-up; and a workspace API elsewhere than slack.com. */
  readonly slack?: { readonly botId?: string; readonly botUserId?: string; readonly apiUrl?: string };
}

/**
 * TMS on AWS: the table and its stream, a function per handler, the HTTP API with Cognito in front of the
 * read API, the ingest queue and its processor, the secrets, the notification topic, the per-minute sweep,
 * the AWS alert sources, the dead-letter monitor, and the alarms and dashboard that watch it all.
 */
export class TmsStack extends Stack {
  readonly config: DeployConfig;
  readonly table: TmsTable;
  readonly functions: Record<
    | FunctionName
    | 'events'
    | 'cards'
    | 'sweeper'
    | 'aggregator'
    | 'processor'
    | 'dead-letters'
    | 'live-connect'
    | 'live-messages'
    | 'live'
    | 'escalation-step'
    | 'escalations',
    TmsFunction
  >;
  readonly http: TmsHttpApi;
  readonly ingestQueue: IngestQueue;
  readonly live: LiveApi;

  constructor(scope: Construct, id: string, props: TmsStackProps = {}) {
    super(scope, id, props);
    const retain = props.deletionProtection ?? true;
    this.config = readDeployConfig(props.configPath ?? join(REPO_ROOT, 'tms.config.yaml'));
    this.table = new TmsTable(this, 'Store', {
      deletionProtection: retain,
      ...(props.allAttributesInIndexes ? { allAttributesInIndexes: true } : {}),
    });
    const table = this.table.table;
    const secrets = new TmsSecrets(this, 'Secrets', { retain });
    const notifications = new NotificationTopic(this, 'Notifications', {
      emails: this.config.config.notifications.sns.emails,
    });
    const topic = notifications.topic;
    const slackEnvironment: Record<string, string> = {
      ...(props.slack?.apiUrl ? { SLACK_API_URL: props.slack.apiUrl } : {}),
    };
    const base = { config: this.config, table, retainLogs: retain };

    const api = new TmsFunction(this, 'Api', {
      ...base,
      entry: 'src/handlers/api.ts',
      description:
        'TMS API: /healthz, /api/tasks, /api/trends, /api/metrics, /api/services/{service}/playbook, the web dashboard',
      tableAccess: TABLE_ACCESS.api,
      webEntries: WEB_ENTRIES,
      // Webhook schedules can be made: the sweeper, which alone holds the key, signs them.
      environment: { TMS_WEBHOOKS: 'on' },
    });

    // Accept fast, process from the queue: the processor records what the ingest paths accept.
    const processor = new TmsFunction(this, 'Processor', {
      ...base,
      entry: PROCESSOR_ENTRY,
      description: 'TMS ingest processor: records the alerts of accepted deliveries, from the ingest queue',
      // A batch is ten messages, each a chunk of one delivery's alerts; the queue hides a received message
      // for six times this (infra/constructs/ingest-queue.ts).
      timeout: Duration.seconds(PROCESSOR_TIMEOUT_S),
      tableAccess: TABLE_ACCESS.processor,
    });
    this.ingestQueue = new IngestQueue(this, 'IngestQueue', { processor });
    const ingestQueue = this.ingestQueue.queue;

    const ingest = new TmsFunction(this, 'Ingest', {
      ...base,
      entry: 'src/handlers/ingest.ts',
      description: 'TMS ingest: POST /ingest/{source}',
      timeout: Duration.seconds(15),
      tableAccess: TABLE_ACCESS.ingest,
    })
      .readSecret('INGEST_TOKEN', secrets.get('INGEST_TOKEN'))
      .readSecret('GITHUB_WEBHOOK_SECRET', secrets.get('GITHUB_WEBHOOK_SECRET'))
      .readSecret('GRAFANA_WEBHOOK_SECRET', secrets.get('GRAFANA_WEBHOOK_SECRET'))
      .sendsToIngestQueue(ingestQueue);

    const botJobs = new FailureQueue(this, 'BotJobFailures', {
      name: 'bot-jobs',
      holds: "the bot's handed-off jobs (App Home publishes) that failed every attempt",
      redrive: (queue) =>
        `nothing to move: the next App Home open publishes it again; ${readThenDelete(queue)}`,
    });
    const bot = new TmsFunction(this, 'Bot', {
      ...base,
      entry: 'src/handlers/bot.ts',
      description: 'TMS Slack bot: POST /slack/events, and its own handed-off jobs',
      // Bolt's App brings the receivers a Lambda never makes; stubs stand in for their packages.
      bundleAliases: BOT_LAMBDA_BUNDLING.alias,
      // The largest cold start (0.76 MB of code read): more memory is more CPU for it inside Slack's 3 seconds.
      memorySize: 1024,
      timeout: Duration.seconds(15),
      tableAccess: TABLE_ACCESS.bot,
      environment: {
        ...slackEnvironment,
        TMS_WEBHOOKS: 'on',
        ...(props.slack?.botId ? { SLACK_BOT_ID: props.slack.botId } : {}),
        ...(props.slack?.botUserId ? { SLACK_BOT_USER_ID: props.slack.botUserId } : {}),
      },
      // Lazy listeners: an App Home publish nobody sees ten minutes late is not worth sending.
      async: { retryAttempts: 2, maxEventAge: Duration.minutes(10), onFailure: botJobs.queue },
    })
      .readSecret('SLACK_SIGNING_SECRET', secrets.get('SLACK_SIGNING_SECRET'))
      .readSecret('SLACK_BOT_TOKEN', secrets.get('SLACK_BOT_TOKEN'))
      .invokesItself();

    const eventsFailures = new FailureQueue(this, 'EventsFailures', {
      name: 'aws-events',
      holds:
        'alarm state changes, SNS alarm notifications and log batches the events function could not take',
      // Alerts: worth sending again. The rule's dead letters are the event itself, the invocations' carry it as
      // requestPayload; a delivery archived before is not counted again, so sending one twice is harmless.
      redrive: (queue) =>
        `aws sqs receive-message --queue-url ${queue.queueUrl}; send its event (the body, or requestPayload) again: aws lambda invoke --function-name ${events.functionName} --invocation-type Event --cli-binary-format raw-in-base64-out --payload file://event.json; then delete it`,
    });
    const events = new TmsFunction(this, 'Events', {
      ...base,
      entry: 'src/handlers/aws-ingest.ts',
      description: 'TMS alert sources AWS invokes: EventBridge alarms, SNS alarm topics, log subscriptions',
      timeout: Duration.seconds(60),
      tableAccess: TABLE_ACCESS.ingest,
      async: { retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: eventsFailures.queue },
    }).sendsToIngestQueue(ingestQueue);

    const cards = new TmsFunction(this, 'Cards', {
      ...base,
      entry: 'src/handlers/cards-stream.ts',
      description: "TMS card projector: brings each changed task's Slack card up to date",
      timeout: Duration.seconds(60),
      tableAccess: TABLE_ACCESS.cards,
      environment: slackEnvironment,
    })
      .readSecret('SLACK_BOT_TOKEN', secrets.get('SLACK_BOT_TOKEN'))
      .publishTo(topic);
    const cardsFeed = new TaskStream(this, 'CardsFeed', {
      table,
      consumer: cards,
      subscription: subscription('cards'),
      name: 'cards-stream',
      holds: 'task changes the card projector could not bring to their cards',
      redrive: streamRedrive("each card catches up at its task's next change"),
    });

    const sweeper = new TmsFunction(this, 'Sweeper', {
      ...base,
      entry: 'src/handlers/sweeper.ts',
      description:
        'TMS sweeper, every minute: re-drive deliveries, reconcile cards, SLA warnings, trends, digests, schedules',
      // Done before the next minute's run begins.
      timeout: Duration.seconds(55),
      tableAccess: TABLE_ACCESS.sweeper,
      environment: slackEnvironment,
      // No retry of a failed sweep: the next minute's run does the same work.
      async: { retryAttempts: 0, maxEventAge: Duration.minutes(1) },
    })
      .readSecret('SLACK_BOT_TOKEN', secrets.get('SLACK_BOT_TOKEN'))
      // Signs the webhooks of the schedules it runs.
      .readSecret('TMS_WEBHOOK_SECRET', secrets.get('TMS_WEBHOOK_SECRET'))
      .publishTo(topic)
      // Its re-drive hands archived deliveries that were never processed to the processor.
      .sendsToIngestQueue(ingestQueue);
    new SweepSchedule(this, 'Sweep', { sweeper });

    // Counters, statistics and trends for the reports; it posts a trend as it starts (Slack), publishes nothing.
    const aggregator = new TmsFunction(this, 'Aggregator', {
      ...base,
      entry: AGGREGATOR_ENTRY,
      description: 'TMS stream aggregator: counters, statistics, trends and metrics from task changes',
      timeout: Duration.seconds(60),
      tableAccess: TABLE_ACCESS.aggregator,
      environment: slackEnvironment,
    }).readSecret('SLACK_BOT_TOKEN', secrets.get('SLACK_BOT_TOKEN'));
    const aggregatorFeed = new TaskStream(this, 'AggregatorFeed', {
      table,
      consumer: aggregator,
      subscription: subscription('aggregator'),
      // Reports need no second's latency: a few seconds' batches cost far fewer writes in a burst.
      batchingWindow: Duration.seconds(5),
      // Up to a thousand records a batch: a storm's counters are one write per item per batch, not per record.
      batchSize: 1000,
      name: 'aggregator-stream',
      holds: 'task changes the aggregator could not count',
      redrive: streamRedrive('those changes stay uncounted in the reports'),
    });

    const users = new TmsUsers(this, 'Users', { retain });
    // The dashboards' live updates: its own API, functions and stream consumer (infra/constructs/live-api.ts).
    this.live = new LiveApi(this, 'Live', {
      ...base,
      users,
      subscription: subscription('live'),
      redrive: streamRedrive('a dashboard that missed them catches up when it reconnects, or reloads'),
    });
    api.fn.addEnvironment('TMS_LIVE_URL', this.live.url);

    // Escalation (issue 19): the state machine, its step function, and its consumer of the stream.
    const escalation = new Escalation(this, 'Escalation', {
      ...base,
      tableAccess: { step: TABLE_ACCESS.escalationStep, consumer: TABLE_ACCESS.escalations },
      slackBotToken: secrets.get('SLACK_BOT_TOKEN'),
      topic,
      environment: slackEnvironment,
      subscription: subscription('escalations'),
      // No queue URL in it, unlike the others: the dead-letter monitor's 4 KB of environment holds no more.
      redrive: () =>
        'nothing to move: read, then delete it (aws sqs receive-message); /tms escalate pages a task left unpaged',
    });

    const failureQueues = [
      this.ingestQueue.deadLetters,
      cardsFeed.failures,
      aggregatorFeed.failures,
      this.live.feed.failures,
      escalation.feed.failures,
      botJobs,
      eventsFailures,
    ];
    // Every queue where something that failed for good waits: a task for each one with anything in it.
    const deadLetters = new TmsFunction(this, 'DeadLetters', {
      ...base,
      entry: DEAD_LETTERS_ENTRY,
      description:
        'TMS dead-letter monitor, every 5 minutes: a task per dead-letter queue with anything in it',
      timeout: Duration.seconds(30),
      tableAccess: TABLE_ACCESS.deadLetters,
      // No retry of a failed run: the next one, five minutes later, looks again.
      async: { retryAttempts: 0, maxEventAge: Duration.minutes(1) },
    });
    new DeadLetterWatch(this, 'DeadLetterWatch', { monitor: deadLetters, queues: failureQueues });

    this.http = new TmsHttpApi(this, 'Http', { functions: { api, ingest, bot }, users, retainLogs: retain });
    // The dashboard's sign-in (src/handlers/api-web.ts): Cognito's hosted UI with the dashboard's own client.
    api.fn.addEnvironment('TMS_COGNITO_DOMAIN', users.domain.baseUrl());
    api.fn.addEnvironment('TMS_COGNITO_CLIENT_ID', this.http.dashboardClient.userPoolClientId);

    const ownAlarmPrefix = `${this.stackName}-`;
    new AwsSources(this, 'AwsSources', {
      events,
      failures: eventsFailures,
      config: this.config.config,
      logGroups: props.logGroups ?? [],
      ownAlarmPrefix,
    });

    this.functions = {
      api,
      ingest,
      bot,
      events,
      cards,
      sweeper,
      aggregator,
      processor,
      'dead-letters': deadLetters,
      'live-connect': this.live.connect,
      'live-messages': this.live.messages,
      live: this.live.pusher,
      'escalation-step': escalation.step,
      escalations: escalation.consumer,
    };
    const observability = new Observability(this, 'Observability', {
      functions: this.functions,
      slackCallers: [bot, cards, sweeper, aggregator, escalation.step, escalation.consumer],
      streamConsumers: [cards, aggregator, this.live.pusher, escalation.consumer],
      stateMachines: { escalation: escalation.stateMachine },
      ingestQueue: this.ingestQueue,
      failureQueues,
      api: this.http,
      table,
      alarmTopic: topic,
      alarmPrefix: ownAlarmPrefix,
    });

    // What to paste where: manifest.yml, each source's webhook settings, the secrets to fill.
    const url = this.http.url;
    new CfnOutput(this, 'ApiUrl', { value: url, description: 'The base URL of TMS' });
    new CfnOutput(this, 'SlackEventsUrl', {
      value: `${url}/slack/events`,
      description: 'manifest.yml: the three request URLs (slash command, interactivity, events)',
    });
    for (const source of Object.keys(SOURCES))
      new CfnOutput(this, `Ingest${source[0]?.toUpperCase()}${source.slice(1)}Url`, {
        value: `${url}/ingest/${source}`,
        description: `Where ${source} delivers alerts`,
      });
    new CfnOutput(this, 'LiveUrl', {
      value: this.live.url,
      description: "The dashboard's WebSocket for live updates (?token=<Cognito ID token>)",
    });
    new CfnOutput(this, 'UserPoolId', {
      value: users.pool.userPoolId,
      description: 'Cognito users of /api/*',
    });
    new CfnOutput(this, 'UserPoolClientId', { value: users.client.userPoolClientId });
    new CfnOutput(this, 'NotificationTopicArn', { value: topic.topicArn });
    new CfnOutput(this, 'EventsFunctionName', {
      value: events.functionName,
      description: 'Subscribe more alarm topics of this account to it (SNS, protocol lambda)',
    });
    for (const spec of DEPLOYED_SECRETS)
      new CfnOutput(this, `Secret${spec.id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`, {
        value: secretNameOf(this, spec),
        description: `${spec.name}: ${spec.what}${spec.generated ? ' (generated; read it with get-secret-value)' : ' (put its value after the first deploy)'}`,
      });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${observability.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'IngestDeadLetterQueueArn', {
      value: this.ingestQueue.deadLetters.queue.queueArn,
      description:
        'aws sqs start-message-move-task --source-arn <this> puts its messages back on the ingest queue',
    });
  }
}
