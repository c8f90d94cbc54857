import { createVerify, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { Alert, globMatch } from '../../core/alert.js';
import { fail, ok, type Result } from '../../core/result.js';
import { type HttpResult, json, problem } from '../../http/respond.js';
import { logger } from '../../runtime/context.js';
import { type IngestSource, type Received, taskIdsOf } from '../source.js';

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
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1),
  SigningCertURL: z.string(),
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

/** Where SNS keeps its signing certificates; nothing else is ever fetched. */
const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

export function trustedSnsUrl(text: string, pem = false): URL | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' || !SNS_HOST.test(url.hostname) || url.username || url.password)
      return undefined;
    if (pem && !url.pathname.endsWith('.pem')) return undefined;
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

export type CertificateFetcher = (url: URL) => Promise<string>;

/** On AWS, the certificate from SNS itself; locally (`TMS_SNS_CERT_DIR`), the file of that name in the folder. */
export function defaultFetcher(env: NodeJS.ProcessEnv = process.env): CertificateFetcher {
  const dir = env.TMS_SNS_CERT_DIR;
  if (dir) return (url) => readFile(`${dir}/${basename(url.pathname)}`, 'utf8');
  return async (url) => {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000), redirect: 'error' });
    if (!response.ok) throw new Error(`SNS certificate ${url} answered ${response.status}`);
    return response.text();
  };
}

const certificates = new Map<string, Promise<string>>();

export async function verifySns(message: SnsMessage, fetcher: CertificateFetcher): Promise<boolean> {
  const url = trustedSnsUrl(message.SigningCertURL, true);
  if (!url) return false;
  let pem = certificates.get(url.href);
  if (!pem) {
    pem = fetcher(url);
    certificates.set(url.href, pem);
    pem.catch(() => certificates.delete(url.href)); // a failed fetch is tried again next time
  }
  try {
    const certificate = new X509Certificate(await pem);
    const verifier = createVerify(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    verifier.update(stringToSign(message), 'utf8');
    return verifier.verify(certificate.publicKey, message.Signature, 'base64');
  } catch (error) {
    logger.warn('SNS signature could not be checked', { error: (error as Error).message });
    return false;
  }
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

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
  if (!alarm.success || alarm.data.NewStateValue === 'INSUFFICIENT_DATA') return undefined;
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
    action: a.NewStateValue === 'ALARM' ? 'trigger' : 'resolve',
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
    summary: cut(a.NewStateReason ?? a.NewStateValue, 300),
  });
}

export function cloudwatchSource(fetcher: () => CertificateFetcher = () => defaultFetcher()): IngestSource {
  return {
    name: 'cloudwatch',
    /** SNS messages are at most 256 KB. */
    maxBytes: 256 * 1024 + 16 * 1024,
    async receive(request, _secrets, { verify, config }): Promise<Result<Received, HttpResult>> {
      let body: unknown;
      try {
        body = JSON.parse(request.body);
      } catch {
        return fail(problem(400, 'INVALID_EVENT', 'The body is not an SNS message (JSON)'));
      }
      const parsed = SnsMessage.safeParse(body);
      if (!parsed.success) return fail(problem(400, 'INVALID_EVENT', 'The body is not an SNS message'));
      const message = parsed.data;
      if (verify && !(await verifySns(message, fetcher())))
        return fail(problem(401, 'UNAUTHENTICATED', 'The SNS signature does not verify'));
      const allowed = config.sources.cloudwatch.topics.some((pattern) =>
        globMatch(pattern, message.TopicArn),
      );
      if (!allowed)
        return fail(
          problem(403, 'FORBIDDEN', `Topic ${message.TopicArn} is not in sources.cloudwatch.topics`),
        );
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
