import * as z from 'zod';
import { Alert } from '../../core/alert.js';
import { cut } from '../../core/bounds.js';
import { fail, ok } from '../../core/result.js';
import { bearerOf, problem, sameSecret } from '../../http/respond.js';
import { type IngestRequest, type IngestSource, readJson, received, validAlerts } from '../source.js';

/**
 * Jenkins through the Notification plugin (https://github.com/jenkinsci/notification-plugin): one POST per
 * phase of a build (QUEUED, STARTED, COMPLETED, FINALIZED). A build's result is in both COMPLETED and
 * FINALIZED: whichever arrives first counts, the other is the same occurrence (build number) and changes
 * nothing. FAILURE and UNSTABLE open (or append to) the job's task; SUCCESS resolves it; ABORTED and
 * NOT_BUILT change nothing. The plugin signs nothing: the ingest token comes as `?token=`, a Bearer header,
 * or the password of the URL's user info (the plugin sends it as Basic authentication).
 */
const JenkinsNotification = z.looseObject({
  name: z.string().min(1).max(512),
  display_name: z.string().nullish(),
  url: z.string().nullish(),
  build: z.looseObject({
    number: z.number().int().nonnegative(),
    phase: z.enum(['QUEUED', 'STARTED', 'COMPLETED', 'FINALIZED', 'DELETED']),
    status: z.string().nullish(),
    full_url: z.string().nullish(),
    url: z.string().nullish(),
    timestamp: z.union([z.string(), z.number()]).nullish(),
    duration: z.number().nullish(),
    scm: z
      .looseObject({ url: z.string().nullish(), branch: z.string().nullish(), commit: z.string().nullish() })
      .nullish(),
    notes: z.string().nullish(),
    log: z.string().nullish(),
  }),
});
type JenkinsNotification = z.infer<typeof JenkinsNotification>;

const FAILED = new Set(['FAILURE', 'UNSTABLE']);

/** `owner/repo` of a GitHub, GitLab or Bitbucket remote, for the config's `repositories` match rules. */
export function repositoryOf(remote: string | null | undefined): string | undefined {
  // By hand rather than by an unanchored regex: the remote is the sender's text.
  let rest = remote?.trim() ?? '';
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (rest.endsWith('.git')) rest = rest.slice(0, -'.git'.length);
  const slash = rest.lastIndexOf('/');
  const repository = rest.slice(slash + 1);
  const before = rest.slice(0, Math.max(slash, 0));
  const owner = before.slice(Math.max(before.lastIndexOf('/'), before.lastIndexOf(':')) + 1);
  return slash > 0 && owner && repository && before.length > owner.length
    ? `${owner}/${repository}`
    : undefined;
}

function passwordOf(authorization: string | undefined): string | undefined {
  const basic = authorization ? /^Basic\s+(\S.*)$/i.exec(authorization.trim())?.[1] : undefined;
  if (!basic) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  return decoded.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : undefined;
}

function tokenOf(request: IngestRequest): string | undefined {
  const authorization = request.headers.authorization;
  return bearerOf(authorization) ?? passwordOf(authorization) ?? request.query.token;
}

function time(value: string | number | null | undefined, fallback: Date): string {
  if (value === null || value === undefined) return fallback.toISOString();
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? fallback.toISOString() : at.toISOString();
}

export function normalizeJenkins(event: JenkinsNotification, receivedAt: Date) {
  const { build } = event;
  const status = (build.status ?? '').toUpperCase();
  if (
    (build.phase !== 'COMPLETED' && build.phase !== 'FINALIZED') ||
    (!FAILED.has(status) && status !== 'SUCCESS')
  )
    return undefined;
  const job = event.name;
  const branch = build.scm?.branch?.replace(/^origin\//, '') ?? undefined;
  const repository = repositoryOf(build.scm?.url);
  const link = build.full_url && /^https?:\/\//.test(build.full_url) ? build.full_url : undefined;
  return Alert.safeParse({
    source: 'jenkins',
    action: status === 'SUCCESS' ? 'resolve' : 'trigger',
    fingerprint: `jenkins:${job}`.slice(0, 512),
    title: cut(`${event.display_name || job} ${status === 'UNSTABLE' ? 'is unstable' : 'is failing'}`, 300),
    description: cut(
      [
        `build #${build.number}: ${status}`,
        branch ? `branch ${branch}` : '',
        build.scm?.commit ? `commit ${build.scm.commit.slice(0, 12)}` : '',
        build.notes ?? '',
      ]
        .filter(Boolean)
        .join('\n'),
      4000,
    ),
    severity: status.toLowerCase(),
    routing: repository ? { repository } : {},
    labels: {
      job: cut(job, 256),
      ...(branch ? { branch: cut(branch, 256) } : {}),
      ...(repository ? { repository } : {}),
    },
    links: link ? [{ label: `Build #${build.number}`, url: link }] : [],
    occurredAt: time(build.timestamp, receivedAt),
    // COMPLETED and FINALIZED of one build are one occurrence.
    occurrenceKey: `build-${build.number}`,
    issueClass: job,
    summary: cut(`build #${build.number} ${status.toLowerCase()}`, 300),
  });
}

export const jenkins: IngestSource = {
  name: 'jenkins',
  /** The plugin may attach the build log's tail; anything beyond this is not a notification. */
  maxBytes: 1024 * 1024,
  receive(request, secrets, { verify }) {
    if (verify && !sameSecret(tokenOf(request), secrets.ingestToken))
      return fail(
        problem(401, 'UNAUTHENTICATED', 'send the ingest token as ?token=, Bearer, or the URL password'),
      );
    const event = readJson(request.body, JenkinsNotification, 'a Jenkins notification');
    if (!event.ok) return event;
    const alert = normalizeJenkins(event.value, request.receivedAt);
    const alerts = validAlerts(alert ? [alert] : []);
    return alerts.ok ? ok(received(request.body, alerts.value)) : alerts;
  },
};
