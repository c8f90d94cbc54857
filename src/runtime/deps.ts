import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { SNSClientConfig } from '@aws-sdk/client-sns';
import type { SQSClientConfig } from '@aws-sdk/client-sqs';
import { type CertificateFetcher, certificatesIn, fetchFromSns } from '../adapters/aws/sns-certificates.js';
import { createSnsClient, SnsNotifier } from '../adapters/aws/sns-notifier.js';
import { DynamoAggregateStore } from '../adapters/dynamo/aggregate-store.js';
import { DynamoCardStore } from '../adapters/dynamo/card-store.js';
import { DynamoHeartbeatStore } from '../adapters/dynamo/heartbeat-store.js';
import { DynamoLiveStore } from '../adapters/dynamo/live-store.js';
import { DynamoOncallStore } from '../adapters/dynamo/oncall-store.js';
import { DynamoScheduleStore } from '../adapters/dynamo/schedule-store.js';
import { CachedSilences, DynamoSilenceStore } from '../adapters/dynamo/silence-store.js';
import { TABLE } from '../adapters/dynamo/table.js';
import { createDocumentClient, DynamoTaskStore } from '../adapters/dynamo/task-store.js';
import { CachedWindows, DynamoWindowStore } from '../adapters/dynamo/window-store.js';
import { HttpWebhookSender } from '../adapters/http/webhook-sender.js';
import type { SlackSettings } from '../bot/context.js';
import { loadConfig } from '../config.js';
import type { Config } from '../core/config.js';
import type {
  AggregateStore,
  Escalator,
  HeartbeatStore,
  LiveConnectionStore,
  MaintenanceStore,
  Notifier,
  OncallStore,
  ScheduleStore,
  SeenStore,
  SilenceStore,
  WebhookSender,
} from '../core/ports.js';
import { type Clock, systemClock } from '../core/time.js';
import { type Deps, defaultDeps } from '../core/use-cases/deps.js';
import { type AlertQueue, encodeMessage } from '../ingest/queue.js';
import { logger } from './logger.js';
import { createMetrics, type FactMetrics } from './metrics.js';
import { type Env, type Secrets, secretsOf } from './secrets.js';

export type { SlackSettings } from '../bot/context.js';
export type { Env } from './secrets.js';

/** Everything a TMS handler may need, built once per container (or once per local stack). */
export interface HouseDeps extends Deps {
  readonly silences: SilenceStore;
  /** Maintenance windows (issue 18): read by every alert, through a per-container cache. */
  readonly windows: MaintenanceStore;
  /** Heartbeats (issue 18): pinged through ingest, watched by the sweep. */
  readonly heartbeats: HeartbeatStore;
  /** Cards and at-most-once markers (the same table); a restart releases the leases a dead run held. */
  readonly cards: DynamoCardStore;
  readonly seen: SeenStore;
  readonly aggregates: AggregateStore;
  /** The live updates' WebSocket connections and catch-up log (the same table). */
  readonly live: LiveConnectionStore;
  readonly secrets: Secrets;
  readonly metrics: FactMetrics;
  /** The notification topic (SNS), when one is configured. */
  readonly notifier?: Notifier;
  readonly slackSettings: SlackSettings;
  /** How SNS signing certificates are fetched: from SNS, or offline from `TMS_SNS_CERT_DIR`. */
  readonly certificates: CertificateFetcher;
  /** The Lambda function this runs as, when it runs on Lambda (slow Slack work is handed to it). */
  readonly functionName?: string;
  /**
   * Where accepted deliveries go to be processed (`TMS_INGEST_QUEUE_URL` on AWS, the local stack's queue);
   * without one, ingest and the re-drive record alerts themselves.
   */
  readonly ingestQueue?: AlertQueue;
  /** Schedules and their runs (issue 18). */
  readonly schedules: ScheduleStore;
  /** On-call overrides (issue 19). */
  readonly oncall: OncallStore;
  /** Sends (and signs) webhook schedules' calls: where TMS_WEBHOOK_SECRET is (the sweeper, the local stack). */
  readonly webhooks?: WebhookSender;
  /**
   * Whether webhook schedules may be made: where they are sent, or where `TMS_WEBHOOKS=on` says the sweeper
   * sends them (on AWS the api and bot functions, which never hold the signing key).
   */
  readonly webhooksEnabled: boolean;
  /**
   * Where escalations run (issue 19): the state machine `TMS_ESCALATION_STATE_MACHINE_ARN` names on AWS (the
   * escalations stream consumer's), the local stack's own in-process runner; none elsewhere.
   */
  readonly escalator?: Escalator;
}

/** What a caller (the local stack, a test) may set instead of what the environment says. */
export interface DepsOverrides {
  readonly clock?: Clock;
  readonly config?: Config;
  readonly secrets?: Secrets;
  readonly metrics?: FactMetrics;
  readonly notifier?: Notifier;
  readonly newId?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The DynamoDB client's settings (an endpoint, a region, credentials); else the SDK's own from the environment. */
  readonly dynamo?: DynamoDBClientConfig;
  /** The SNS client's settings, as for DynamoDB. */
  readonly sns?: SNSClientConfig;
  /** The SQS client's settings, as for DynamoDB. */
  readonly sqs?: SQSClientConfig;
  /** The ingest queue, instead of the SQS queue `TMS_INGEST_QUEUE_URL` names (the local stack's own). */
  readonly ingestQueue?: AlertQueue;
  readonly slackSettings?: SlackSettings;
  /** How schedules' webhooks are sent, instead of over HTTP with TMS_WEBHOOK_SECRET (a test's recorder). */
  readonly webhooks?: WebhookSender;
  /** Where escalations run, instead of the state machine the environment names (the local stack's runner). */
  readonly escalator?: Escalator;
}

/**
 * The one composition root: what every handler needs, built from the environment once per container (a
 * Lambda's cold start) or once per local stack, which hands in its own clock, endpoints and config. Nothing
 * here reads the environment but through `env`, and nothing writes to it, so two stacks can run in one
 * process. SDK clients are cheap to make and connect on first use; Slack's client is added by
 * ./slack-deps.ts for the functions that talk to Slack, so the others do not load it.
 */
export function buildDeps(env: Env, overrides: DepsOverrides = {}): HouseDeps {
  const config = overrides.config ?? loadConfig(env);
  const clock = overrides.clock ?? systemClock;
  const table = env.TMS_TABLE || TABLE.defaultName;
  const db = createDocumentClient(overrides.dynamo ?? {});
  const cards = new DynamoCardStore(db, table);
  const topic = env.TMS_NOTIFY_TOPIC_ARN;
  const notifier =
    overrides.notifier ?? (topic ? new SnsNotifier(createSnsClient(overrides.sns ?? {}), topic) : undefined);
  const base = defaultDeps(new DynamoTaskStore(db, table), config, clock);
  const secrets = overrides.secrets ?? secretsOf(env);
  const webhookSecret = secrets.optional('TMS_WEBHOOK_SECRET');
  const webhooks =
    overrides.webhooks ??
    (webhookSecret
      ? new HttpWebhookSender({
          secret: webhookSecret,
          allowHosts: config.webhooks.allowHosts,
          // Signed on the wall clock, not the stack's: a receiver checks the timestamp against its own clock.
          now: () => new Date(),
          sleep: overrides.sleep ?? base.sleep,
        })
      : undefined);
  const ingestQueue =
    overrides.ingestQueue ??
    (env.TMS_INGEST_QUEUE_URL ? sqsQueue(env.TMS_INGEST_QUEUE_URL, overrides.sqs ?? {}) : undefined);
  const machine = env.TMS_ESCALATION_STATE_MACHINE_ARN;
  const escalator = overrides.escalator ?? (machine ? sfnEscalator(machine) : undefined);
  return {
    ...base,
    ...(escalator ? { escalator } : {}),
    ...(overrides.newId ? { newId: overrides.newId } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    silences: new CachedSilences(new DynamoSilenceStore(db, table), undefined, () => clock.now().getTime()),
    windows: new CachedWindows(new DynamoWindowStore(db, table), undefined, () => clock.now().getTime()),
    heartbeats: new DynamoHeartbeatStore(db, table),
    cards,
    seen: cards,
    aggregates: new DynamoAggregateStore(db, table),
    live: new DynamoLiveStore(db, table),
    secrets,
    schedules: new DynamoScheduleStore(db, table),
    oncall: new DynamoOncallStore(db, table),
    warn: (message, context) => logger.warn(message, context),
    ...(webhooks ? { webhooks } : {}),
    webhooksEnabled: webhooks !== undefined || env.TMS_WEBHOOKS === 'on',
    metrics: overrides.metrics ?? createMetrics(),
    ...(notifier ? { notifier } : {}),
    slackSettings: overrides.slackSettings ?? slackSettingsOf(env),
    certificates: env.TMS_SNS_CERT_DIR ? certificatesIn(env.TMS_SNS_CERT_DIR) : fetchFromSns,
    ...(env.AWS_LAMBDA_FUNCTION_NAME ? { functionName: env.AWS_LAMBDA_FUNCTION_NAME } : {}),
    ...(ingestQueue ? { ingestQueue } : {}),
  };
}

/** The escalation state machine, its client loaded on first use: only the escalations consumer calls it. */
function sfnEscalator(stateMachineArn: string): Escalator {
  let loaded: Promise<Escalator> | undefined;
  const escalator = () => {
    loaded ??= import('../adapters/aws/sfn-escalator.js').then(
      ({ SfnEscalator, createSfnClient }) => new SfnEscalator(createSfnClient(), stateMachineArn),
      (error: unknown) => {
        loaded = undefined; // a load that failed is tried again, not remembered
        throw error;
      },
    );
    return loaded;
  };
  return {
    start: async (taskId, run) => (await escalator()).start(taskId, run),
    stop: async (taskId, run, cause) => (await escalator()).stop(taskId, run, cause),
  };
}

/** The SQS queue, its client loaded on the first send: the functions that never send do not load it. */
function sqsQueue(url: string, config: SQSClientConfig): AlertQueue {
  let sender: Promise<{ send(bodies: readonly string[]): Promise<void> }> | undefined;
  return {
    async send(messages) {
      sender ??= import('../adapters/aws/sqs-queue.js').then(
        ({ SqsSender, createSqsClient }) => new SqsSender(createSqsClient(config), url),
        (error: unknown) => {
          sender = undefined; // a load that failed is tried again by the next send, not remembered
          throw error;
        },
      );
      await (await sender).send(messages.map(encodeMessage));
    },
  };
}

/**
 * `SLACK_API_URL` names a workspace's API that is not at slack.com (GovSlack: https://slack-gov.com/api/);
 * `SLACK_BOT_ID` and `SLACK_BOT_USER_ID` name the bot when they are known.
 */
export function slackSettingsOf(env: Env): SlackSettings {
  return {
    ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}),
    ...(env.SLACK_BOT_ID ? { botId: env.SLACK_BOT_ID } : {}),
    ...(env.SLACK_BOT_USER_ID ? { botUserId: env.SLACK_BOT_USER_ID } : {}),
  };
}

/** What the web dashboard's `/app/config.json` tells the page: where live updates are, how people sign in. */
export interface DashboardSite {
  /** The WebSocket's URL; null: `ws(s)://<the page's host>/api/live`. */
  readonly liveUrl: string | null;
  /** Cognito's hosted UI (authorization code + PKCE), or null where a token is typed in (locally). */
  readonly cognito: { readonly domain: string; readonly clientId: string } | null;
}

/**
 * On AWS (infra sets them on the api function): `TMS_LIVE_URL`, the WebSocket API's URL;
 * `TMS_COGNITO_DOMAIN` (`https://….auth.<region>.amazoncognito.com`) and `TMS_COGNITO_CLIENT_ID`, the hosted
 * UI and the dashboard's own client. Locally unset: the page derives the socket and asks for a token.
 */
export function dashboardSiteOf(env: Env): DashboardSite {
  const domain = env.TMS_COGNITO_DOMAIN?.replace(/\/+$/, '');
  const clientId = env.TMS_COGNITO_CLIENT_ID;
  return {
    liveUrl: env.TMS_LIVE_URL || null,
    cognito: domain && clientId ? { domain, clientId } : null,
  };
}
