import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { Alert } from '../../core/alert.js';
import { cut } from '../../core/bounds.js';
import { fail, ok, type Result } from '../../core/result.js';
import { type HttpResult, problem, sameSecret } from '../../http/respond.js';
import { type IngestSource, received } from '../source.js';

/**
 * GitHub Actions through repository or organization webhooks (https://docs.github.com/webhooks):
 * `workflow_run`, `workflow_job` and `check_suite`, signed with `X-Hub-Signature-256`. A failure opens (or
 * appends to) one task per repository + workflow + branch; the next successful run of that key resolves it.
 * One failed run arrives several times (the run, each failed job, the check suite): its run id and attempt
 * make it one occurrence. Anything else (queued, in progress, cancelled, skipped, other events) is answered
 * and changes nothing.
 */
const FAILED = new Set(['failure', 'timed_out', 'startup_failure']);

const Repository = z.looseObject({ full_name: z.string(), html_url: z.string().optional() });
const Run = z.looseObject({
  id: z.number(),
  name: z.string().nullish(),
  path: z.string().nullish(),
  head_branch: z.string().nullish(),
  status: z.string().nullish(),
  conclusion: z.string().nullish(),
  run_attempt: z.number().nullish(),
  run_number: z.number().nullish(),
  html_url: z.string().nullish(),
  updated_at: z.string().nullish(),
  display_title: z.string().nullish(),
  actor: z.looseObject({ login: z.string() }).nullish(),
  head_commit: z.looseObject({ message: z.string().nullish() }).nullish(),
});
const Job = z.looseObject({
  run_id: z.number(),
  run_attempt: z.number().nullish(),
  workflow_name: z.string().nullish(),
  name: z.string(),
  head_branch: z.string().nullish(),
  conclusion: z.string().nullish(),
  html_url: z.string().nullish(),
  completed_at: z.string().nullish(),
});
const Suite = z.looseObject({
  id: z.number(),
  head_branch: z.string().nullish(),
  conclusion: z.string().nullish(),
  updated_at: z.string().nullish(),
  app: z.looseObject({ slug: z.string().nullish(), name: z.string().nullish() }).nullish(),
});

const WorkflowRunEvent = z.looseObject({
  action: z.string(),
  workflow_run: Run,
  workflow: z.looseObject({ name: z.string().nullish(), path: z.string().nullish() }).nullish(),
  repository: Repository,
});
const WorkflowJobEvent = z.looseObject({ action: z.string(), workflow_job: Job, repository: Repository });
const CheckSuiteEvent = z.looseObject({ action: z.string(), check_suite: Suite, repository: Repository });

export const SIGNATURE_HEADER = 'x-hub-signature-256';

/** `sha256=<hex>` of the raw body with the webhook secret, compared in constant time (node:crypto's HMAC). */
export function validGithubSignature(secret: string, body: string, header: string | undefined): boolean {
  const expected = `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
  return sameSecret(header?.trim(), expected);
}

const url = (text: string | null | undefined) => (text && /^https:\/\//.test(text) ? text : undefined);

interface Failure {
  readonly repository: string;
  readonly workflow: string;
  readonly branch: string;
  readonly runKey: string;
  readonly at: string;
}

/** The task's key: one per repository, workflow and branch. */
const fingerprintOf = (f: Pick<Failure, 'repository' | 'workflow' | 'branch'>) =>
  `github:${f.repository}:${f.workflow}:${f.branch}`.slice(0, 512);

function alertOf(
  f: Failure,
  action: 'trigger' | 'resolve',
  extra: {
    conclusion?: string;
    description?: string;
    links?: { label: string; url: string }[];
    summary?: string;
  },
) {
  return Alert.safeParse({
    source: 'github',
    action,
    fingerprint: fingerprintOf(f),
    title: cut(`${f.workflow} failing on ${f.branch} (${f.repository})`, 300),
    description: cut(extra.description ?? '', 4000),
    ...(extra.conclusion ? { severity: extra.conclusion } : {}),
    routing: { repository: f.repository },
    labels: { repository: f.repository, workflow: cut(f.workflow, 256), branch: cut(f.branch, 256) },
    links: extra.links ?? [],
    occurredAt: f.at,
    occurrenceKey: f.runKey,
    issueClass: f.workflow,
    ...(extra.summary ? { summary: cut(extra.summary, 300) } : {}),
  });
}

/** The alerts a delivery stands for: none for what TMS does not act on. */
function normalize(event: string, body: unknown, receivedAt: Date): Result<Alert[], string> {
  const now = receivedAt.toISOString();
  const time = (value: string | null | undefined) => {
    const at = value ? new Date(value) : undefined;
    return at && !Number.isNaN(at.getTime()) ? at.toISOString() : now;
  };
  const settle = (parsed: ReturnType<typeof alertOf>): Result<Alert[], string> =>
    parsed.success
      ? ok([parsed.data])
      : fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));

  switch (event) {
    case 'workflow_run': {
      const parsed = WorkflowRunEvent.safeParse(body);
      if (!parsed.success) return fail('not a workflow_run event');
      const { workflow_run: run, workflow, repository } = parsed.data;
      const conclusion = run.conclusion ?? '';
      if (parsed.data.action !== 'completed' || !run.head_branch) return ok([]);
      const failure: Failure = {
        repository: repository.full_name,
        workflow: run.name || workflow?.name || run.path || 'workflow',
        branch: run.head_branch,
        runKey: `run-${run.id}-${run.run_attempt ?? 1}`,
        at: time(run.updated_at),
      };
      const runLink = url(run.html_url);
      const links = runLink ? [{ label: `Run #${run.run_number ?? run.id}`, url: runLink }] : [];
      if (conclusion === 'success')
        return settle(
          alertOf(failure, 'resolve', { links, summary: `run #${run.run_number ?? run.id} passed` }),
        );
      if (!FAILED.has(conclusion)) return ok([]); // cancelled, skipped, neutral, stale, action_required, null
      return settle(
        alertOf(failure, 'trigger', {
          conclusion,
          links,
          description: [
            run.display_title ?? run.head_commit?.message ?? '',
            run.actor ? `by ${run.actor.login}` : '',
            `conclusion: ${conclusion}`,
          ]
            .filter(Boolean)
            .join('\n'),
          summary: `run #${run.run_number ?? run.id} ${conclusion}`,
        }),
      );
    }
    case 'workflow_job': {
      const parsed = WorkflowJobEvent.safeParse(body);
      if (!parsed.success) return fail('not a workflow_job event');
      const { workflow_job: job, repository } = parsed.data;
      // A job's success says nothing of its workflow; without the workflow's name the run's event will do.
      if (parsed.data.action !== 'completed' || !FAILED.has(job.conclusion ?? '')) return ok([]);
      if (!job.workflow_name || !job.head_branch) return ok([]);
      const jobLink = url(job.html_url);
      return settle(
        alertOf(
          {
            repository: repository.full_name,
            workflow: job.workflow_name,
            branch: job.head_branch,
            runKey: `run-${job.run_id}-${job.run_attempt ?? 1}`,
            at: time(job.completed_at),
          },
          'trigger',
          {
            conclusion: job.conclusion ?? 'failure',
            links: jobLink ? [{ label: `Job ${cut(job.name, 60)}`, url: jobLink }] : [],
            description: `job ${job.name}: ${job.conclusion}`,
            summary: `job ${job.name} ${job.conclusion}`,
          },
        ),
      );
    }
    case 'check_suite': {
      const parsed = CheckSuiteEvent.safeParse(body);
      if (!parsed.success) return fail('not a check_suite event');
      const { check_suite: suite, repository } = parsed.data;
      const app = suite.app?.slug || suite.app?.name || '';
      // GitHub Actions' own suites are the runs above, counted there; other CI apps report here only.
      if (
        parsed.data.action !== 'completed' ||
        !suite.head_branch ||
        !app ||
        /^github[- ]actions$/i.test(app)
      )
        return ok([]);
      const conclusion = suite.conclusion ?? '';
      const failure: Failure = {
        repository: repository.full_name,
        workflow: `checks by ${app}`,
        branch: suite.head_branch,
        runKey: `suite-${suite.id}`,
        at: time(suite.updated_at),
      };
      if (conclusion === 'success') return settle(alertOf(failure, 'resolve', { summary: 'checks passed' }));
      if (!FAILED.has(conclusion)) return ok([]);
      return settle(alertOf(failure, 'trigger', { conclusion, summary: `checks ${conclusion}` }));
    }
    default:
      return ok([]); // ping, and every event TMS does not act on
  }
}

const unauthenticated = (message: string): HttpResult => problem(401, 'UNAUTHENTICATED', message);

export const github: IngestSource = {
  name: 'github',
  /** GitHub caps a webhook payload at 25 MB; the events TMS reads are far smaller. */
  maxBytes: 5 * 1024 * 1024,
  receive(request, secrets, { verify }) {
    if (verify) {
      if (!secrets.githubWebhookSecret) return fail(unauthenticated('GITHUB_WEBHOOK_SECRET is not set'));
      if (!validGithubSignature(secrets.githubWebhookSecret, request.body, request.headers[SIGNATURE_HEADER]))
        return fail(unauthenticated('X-Hub-Signature-256 does not match the body and GITHUB_WEBHOOK_SECRET'));
    }
    const event = request.headers['x-github-event'];
    const delivery = request.headers['x-github-delivery'];
    if (!event || !delivery)
      return fail(problem(400, 'INVALID_EVENT', 'X-GitHub-Event and X-GitHub-Delivery are required'));
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return fail(problem(400, 'INVALID_EVENT', 'The body is not JSON'));
    }
    const alerts = normalize(event, body, request.receivedAt);
    if (!alerts.ok) return fail(problem(400, 'INVALID_EVENT', alerts.error));
    // GitHub's redelivery reuses the delivery id; the hook id keeps two hooks' deliveries apart.
    const deliveryId = `${request.headers['x-github-hook-id'] || 'hook'}:${delivery}`.slice(0, 200);
    return ok(received(request.body, alerts.value, deliveryId));
  },
};
