import { createVerify, X509Certificate } from 'node:crypto';
import * as z from 'zod';
import { fetchFromSns } from '../../adapters/aws/sns-certificates.js';
import { Alert, globMatch } from '../../core/alert.js';
import { cut } from '../../core/bounds.js';
import { fail, ok, type Result } from '../../core/result.js';
import { type HttpResult, json, problem } from '../../http/respond.js';
import { logger } from '../../runtime/logger.js';
import { type CertificateFetcher, type IngestSource, type Received, taskIdsOf } from '../source.js';

/**
 * CloudWatch alarms delivered by SNS over HTTP(S) (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
 * the body is the SNS message as JSON, sent as text/plain. Its signature is the sender's proof: the
 * certificate URL must be https on an `sns.<region>.amazonaws.com` host (checked before anything is
 * fetched), certificates are cached, and SignatureVersion 1 (SHA1) and 2 (SHA256) are verified over the
 * documented string to sign. Topics are allow-listed by the config (`sources.cloudwatch.topics`, globs): a
 * SubscriptionConfirmation from an allowed topic is confirmed by calling its SubscribeURL once, from any
 * other topic never. ALARM opens (or appends), OK resolves the same alarm's task.
 */
export const SnsMessage = z.looseObject({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(128),
  TopicArn: z.string().startsWith('arn:'),
  Subject: z.string().nullish(),
  Message: z.string(),
  Timestamp: z.string(),
  /** 1 (SHA1) and 2 (SHA256) are verified; any other version is refused. */
  SignatureVersion: z.string(),
  Signature: z.string().min(1),
  /** `SigningCertUrl` in the SNS-to-Lambda event: either spelling is read; verification needs one. */
  SigningCertURL: z.string().optional(),
  SigningCertUrl: z.string().optional(),
  Token: z.string().optional(),
  SubscribeURL: z.string().optional(),
});
export type SnsMessage = z.infer<typeof SnsMessage>;

const AlarmMessage = z.looseObject({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullish(),
  AWSAccountId: z.string().nullish(),
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  NewStateReason: z.string().nullish(),
  StateChangeTime: z.string().nullish(),
  Region: z.string().nullish(),
  AlarmArn: z.string().nullish(),
  OldStateValue: z.string().nullish(),
  Trigger: z
    .looseObject({
      MetricName: z.string().nullish(),
      Namespace: z.string().nullish(),
      Dimensions: z.array(z.looseObject({ name: z.string(), value: z.string() })).nullish(),
      Metrics: z.array(z.unknown()).nullish(),
    })
    .nullish(),
});

/**
 * A signed message older than this is refused as stale: SNS's retries of one delivery end long before, and
 * the raw archive (7 days) still knows its MessageId, so a replay is refused either way.
 */
export const MAX_MESSAGE_AGE_MS = 24 * 3_600_000;
/** Clocks differ a little; a message from further in the future than this is not SNS's. */
const MAX_FUTURE_MS = 5 * 60_000;

/** Where SNS keeps its signing certificates; nothing else is ever fetched. */
const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** A certificate's path: SNS's own `SimpleNotificationService-<id>.pem` at the root, nothing else. */
const CERT_PATH = /^\/SimpleNotificationService-[\w-]{1,128}\.pem$/;

/**
 * An https address on SNS's own host, else undefined. A certificate's (`pem`) is only ever its canonical
 * form: no query, fragment, user info or port (so `…/x.pem?v=1` and `…/x.pem?v=2` are not two certificates).
 */
export function trustedSnsUrl(text: string, pem = false): URL | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' || !SNS_HOST.test(url.hostname) || url.username || url.password)
      return undefined;
    // Only the canonical form: `url.href` differs from the text for any query, fragment, user info, port
    // (even :443), or other spelling of the same address.
    if (pem && (url.href !== text || /[?#@]/.test(text) || !CERT_PATH.test(url.pathname))) return undefined;
    return url;
  } catch {
    return undefined;
  }
}

/** The documented string to sign: these fields, in this order, each as `Name\nvalue\n`. */
export function stringToSign(message: SnsMessage): string {
  const fields =
    message.Type === 'Notification'
      ? [
          'Message',
          'MessageId',
          ...(message.Subject != null ? ['Subject'] : []),
          'Timestamp',
          'TopicArn',
          'Type',
        ]
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields.map((name) => `${name}\n${(message as Record<string, unknown>)[name] ?? ''}\n`).join('');
}

/** SNS signs with a handful of certificates (one per region and rotation): a small LRU is plenty. */
export const MAX_CACHED_CERTIFICATES = 16;
/**
 * Per fetcher, so a stack verifying with certificates of its own (`TMS_SNS_CERT_DIR`) never answers from another's;
 * SNS's own fetcher is one for the process, as SNS's certificates are the same for everyone.
 */
const caches = new WeakMap<CertificateFetcher, Map<string, Promise<string>>>();

/** The certificate of a canonical URL, fetched once while it stays among the recently used. */
function certificate(url: URL, fetcher: CertificateFetcher): Promise<string> {
  const certificates = caches.get(fetcher) ?? new Map<string, Promise<string>>();
  caches.set(fetcher, certificates);
  const key = `${url.origin}${url.pathname}`;
  const cached = certificates.get(key);
  if (cached) {
    certificates.delete(key); // most recently used last
    certificates.set(key, cached);
    return cached;
  }
  const pem = fetcher(url);
  certificates.set(key, pem);
  pem.catch(() => {
    if (certificates.get(key) === pem) certificates.delete(key); // a failed fetch is tried again next time
  });
  for (const oldest of certificates.keys()) {
    if (certificates.size <= MAX_CACHED_CERTIFICATES) break;
    certificates.delete(oldest);
  }
  return pem;
}

/** How many certificates are cached for this fetcher (for tests and the bench). */
export const cachedCertificates = (fetcher: CertificateFetcher): number => caches.get(fetcher)?.size ?? 0;

/** Checked before anything is fetched: a known signature version and a certificate on SNS's own host. */
export function certificateUrlOf(message: SnsMessage): URL | undefined {
  if (message.SignatureVersion !== '1' && message.SignatureVersion !== '2') return undefined;
  return trustedSnsUrl(message.SigningCertURL ?? message.SigningCertUrl ?? '', true);
}

export async function verifySns(message: SnsMessage, fetcher: CertificateFetcher): Promise<boolean> {
  const url = certificateUrlOf(message);
  if (!url) return false;
  const pem = certificate(url, fetcher);
  try {
    const x509 = new X509Certificate(await pem);
    const algorithm = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' }[message.SignatureVersion];
    if (!algorithm) return false;
    const verifier = createVerify(algorithm);
    verifier.update(stringToSign(message), 'utf8');
    return verifier.verify(x509.publicKey, message.Signature, 'base64');
  } catch (error) {
    logger.warn('SNS signature could not be checked', { error: (error as Error).message });
    return false;
  }
}

/** `+0000` offsets (CloudWatch's) read as ISO 8601. */
function time(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const at = new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/**
 * The alarm as an alert. `Region` is a display name ("US East (N. Virginia)"): the region comes from the
 * alarm ARN when there is one (older payloads have none). Metric-math alarms have `Trigger.Metrics` and no
 * MetricName. The transition (its StateChangeTime) is the occurrence, so other copies of it count once.
 */
export function normalizeAlarm(text: string, receivedAt: Date): z.ZodSafeParseResult<Alert> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const alarm = AlarmMessage.safeParse(parsed);
  if (!alarm.success) return undefined;
  const a = alarm.data;
  const region = a.AlarmArn?.split(':')[3] || undefined;
  const account = a.AWSAccountId || a.AlarmArn?.split(':')[4] || 'unknown';
  const metric = a.Trigger?.MetricName ?? (a.Trigger?.Metrics ? 'metric math' : undefined);
  const changed = time(a.StateChangeTime);
  const consoleUrl = region
    ? `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(a.AlarmName)}`
    : undefined;
  return Alert.safeParse({
    source: 'cloudwatch',
    // INSUFFICIENT_DATA is recorded on the open task (a line in its history), never paged.
    action: a.NewStateValue === 'ALARM' ? 'trigger' : a.NewStateValue === 'OK' ? 'resolve' : 'note',
    fingerprint: `cloudwatch:${account}:${region ?? 'unknown'}:${a.AlarmName}`.slice(0, 512),
    title: cut(`${a.AlarmName} in alarm`, 300),
    description: cut([a.AlarmDescription ?? '', a.NewStateReason ?? ''].filter(Boolean).join('\n'), 4000),
    severity: 'alarm',
    routing: { alarm: a.AlarmName },
    labels: {
      account,
      ...(region ? { region } : {}),
      ...(a.Trigger?.Namespace ? { namespace: a.Trigger.Namespace } : {}),
      ...(metric ? { metric } : {}),
      ...Object.fromEntries(
        (a.Trigger?.Dimensions ?? []).slice(0, 10).map((d) => [cut(d.name, 64), cut(d.value, 256)]),
      ),
    },
    links: consoleUrl ? [{ label: 'Alarm', url: consoleUrl }] : [],
    occurredAt: changed ?? receivedAt.toISOString(),
    ...(changed ? { occurrenceKey: `transition-${changed}` } : {}),
    issueClass: a.AlarmName,
    summary: cut(
      a.NewStateValue === 'INSUFFICIENT_DATA'
        ? `INSUFFICIENT_DATA: ${a.NewStateReason ?? 'the alarm has too little data to decide'}`
        : (a.NewStateReason ?? a.NewStateValue),
      300,
    ),
  });
}

/** EventBridge's "CloudWatch Alarm State Change" (dimensions are an object there). */
const AlarmStateChange = z.looseObject({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  account: z.string(),
  region: z.string(),
  time: z.string().nullish(),
  resources: z.array(z.string()).nullish(),
  detail: z.looseObject({
    alarmName: z.string().min(1),
    state: z.looseObject({
      value: z.string(),
      reason: z.string().nullish(),
      timestamp: z.string().nullish(),
    }),
    configuration: z
      .looseObject({
        description: z.string().nullish(),
        metrics: z
          .array(
            z.looseObject({
              metricStat: z
                .looseObject({
                  metric: z.looseObject({
                    name: z.string().nullish(),
                    namespace: z.string().nullish(),
                    dimensions: z.record(z.string(), z.string()).nullish(),
                  }),
                })
                .nullish(),
            }),
          )
          .nullish(),
      })
      .nullish(),
  }),
});

/** The EventBridge form, as the SNS form: the same fingerprint and occurrence, so the two copies count once. */
export function normalizeAlarmStateChange(
  value: unknown,
  receivedAt: Date,
): z.ZodSafeParseResult<Alert> | undefined {
  const event = AlarmStateChange.safeParse(value);
  if (!event.success) return undefined;
  const { detail, account, region } = event.data;
  const metrics = detail.configuration?.metrics ?? [];
  const single = metrics.length === 1 ? metrics[0]?.metricStat?.metric : undefined;
  const dimensions = Object.entries(single?.dimensions ?? {}).map(([name, value]) => ({ name, value }));
  return normalizeAlarm(
    JSON.stringify({
      AlarmName: detail.alarmName,
      AlarmDescription: detail.configuration?.description ?? null,
      AWSAccountId: account,
      NewStateValue: detail.state.value,
      NewStateReason: detail.state.reason ?? null,
      StateChangeTime: detail.state.timestamp ?? event.data.time ?? null,
      AlarmArn:
        event.data.resources?.[0] ?? `arn:aws:cloudwatch:${region}:${account}:alarm:${detail.alarmName}`,
      Trigger: single
        ? { MetricName: single.name, Namespace: single.namespace, Dimensions: dimensions }
        : { Metrics: metrics },
    }),
    receivedAt,
  );
}

/** `fetcher` fixes how certificates are fetched (tests); else the caller's `certificates`, else SNS's own. */
export function cloudwatchSource(fetcher?: CertificateFetcher): IngestSource {
  return {
    name: 'cloudwatch',
    /** SNS messages are at most 256 KB. */
    maxBytes: 256 * 1024 + 16 * 1024,
    async receive(
      request,
      _secrets,
      { verify, config, certificates },
    ): Promise<Result<Received, HttpResult>> {
      let body: unknown;
      try {
        body = JSON.parse(request.body);
      } catch {
        return fail(problem(400, 'INVALID_EVENT', 'The body is not an SNS message (JSON)'));
      }
      // EventBridge invokes the Lambda directly (IAM is the proof): only ever read unverified, never over HTTP.
      if (!verify && (body as Record<string, unknown> | null)?.['detail-type'] !== undefined) {
        const alert = normalizeAlarmStateChange(body, request.receivedAt);
        const id = (body as { id?: unknown }).id;
        return ok({
          deliveryId:
            typeof id === 'string' ? `eventbridge-${id}` : `eventbridge-${request.receivedAt.getTime()}`,
          alerts: alert?.success ? [alert.data] : [],
          answer: (outcomes) => json(202, { taskIds: taskIdsOf(outcomes) }),
        });
      }
      const parsed = SnsMessage.safeParse(body);
      if (!parsed.success) return fail(problem(400, 'INVALID_EVENT', 'The body is not an SNS message'));
      const message = parsed.data;
      // Everything that can be refused without a fetch is refused first: nothing is fetched for it.
      if (verify && !certificateUrlOf(message))
        return fail(
          problem(
            401,
            'UNAUTHENTICATED',
            'Unknown SignatureVersion, or a signing certificate not on an https sns.<region>.amazonaws.com address',
          ),
        );
      const sent = Date.parse(message.Timestamp);
      const age = request.receivedAt.getTime() - sent;
      if (verify && (Number.isNaN(sent) || age > MAX_MESSAGE_AGE_MS || age < -MAX_FUTURE_MS))
        return fail(problem(401, 'UNAUTHENTICATED', 'The SNS message is stale, or dated in the future'));
      const allowed = config.sources.cloudwatch.topics.some((pattern) =>
        globMatch(pattern, message.TopicArn),
      );
      if (!allowed)
        return fail(
          problem(403, 'FORBIDDEN', `Topic ${message.TopicArn} is not in sources.cloudwatch.topics`),
        );
      if (verify && !(await verifySns(message, fetcher ?? certificates ?? fetchFromSns)))
        return fail(problem(401, 'UNAUTHENTICATED', 'The SNS signature does not verify'));
      const received = (alerts: Alert[], onFirstDelivery?: () => Promise<void>): Received => ({
        deliveryId: message.MessageId,
        alerts,
        answer: (outcomes) => json(202, { taskIds: taskIdsOf(outcomes) }),
        ...(onFirstDelivery ? { onFirstDelivery } : {}),
      });
      if (message.Type === 'SubscriptionConfirmation') {
        const subscribe = trustedSnsUrl(message.SubscribeURL ?? '');
        if (!subscribe) return fail(problem(400, 'INVALID_EVENT', 'SubscribeURL is not an SNS address'));
        return ok(
          received([], async () => {
            const response = await fetch(subscribe, {
              signal: AbortSignal.timeout(5_000),
              redirect: 'error',
            });
            if (!response.ok) throw new Error(`confirming the subscription answered ${response.status}`);
            logger.info('SNS subscription confirmed', { topic: message.TopicArn });
          }),
        );
      }
      if (message.Type === 'UnsubscribeConfirmation') return ok(received([]));
      const alert = normalizeAlarm(message.Message, request.receivedAt);
      if (alert && !alert.success)
        return fail(
          problem(
            400,
            'INVALID_EVENT',
            alert.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          ),
        );
      return ok(received(alert ? [alert.data] : []));
    },
  };
}

export const cloudwatch = cloudwatchSource();
