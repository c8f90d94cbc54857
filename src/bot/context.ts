import type {
  AggregateStore,
  HeartbeatStore,
  Notifier,
  OncallStore,
  ScheduleStore,
  SeenStore,
  WebhookSender,
} from '../core/ports.js';
import type { CardSyncDeps } from '../jobs/card-sync.js';
import type { FactMetrics } from '../runtime/metrics.js';
import type { Directory } from './directory.js';

/** Where the bot's Slack calls and replies go, and who the bot is: Slack itself unless told otherwise. */
export interface SlackSettings {
  /** The Web API's base URL: the local emulator offline, a GovSlack workspace's API, else slack.com. */
  readonly apiUrl?: string;
  /** Offline, the stand-in for hooks.slack.com that `response_url` replies go to. */
  readonly hooksUrl?: string;
  /** Known bot ids spare Bolt an `auth.test` call before the first answer. */
  readonly botId?: string;
  readonly botUserId?: string;
}

/** What the Slack surface needs: the use cases' deps, the cards, Slack's client. Built by src/runtime. */
export interface BotDeps extends CardSyncDeps {
  readonly seen: SeenStore;
  /** The notification topic (SNS), when one is configured. */
  readonly notifier?: Notifier;
  readonly aggregates: AggregateStore;
  /** Roles, teams and names of Slack users (card sync needs only the names). */
  readonly directory: Directory;
  readonly slackSettings: SlackSettings;
  /** CloudWatch metrics (SLA breaches); none locally. */
  readonly metrics: FactMetrics;
  /** Schedules and their runs (issue 18); absent where a test does not need them. */
  readonly schedules?: ScheduleStore;
  readonly heartbeats?: HeartbeatStore;
  /** On-call overrides (issue 19); absent: `/tms oncall` reads the rotations alone and makes no overrides. */
  readonly oncall?: OncallStore;
  /** Calls the webhooks of schedules (the sweeper's). */
  readonly webhooks?: WebhookSender;
  /** Whether webhook schedules may be made (see HouseDeps); absent: only where `webhooks` is. */
  readonly webhooksEnabled?: boolean;
}
