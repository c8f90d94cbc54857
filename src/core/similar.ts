import { createHash } from 'node:crypto';
import { LIMITS } from './bounds.js';

/**
 * What makes two tasks "the same issue" for a person, apart from their dedup keys: many senders make a new
 * dedup key per incident, so the fingerprint says which task an alert belongs to, and this coarser key says
 * which earlier tasks it can learn from (the playbook, the card's "last time", SLA predictions). It is the
 * service, the title without what changes between two incidents (numbers, ids, hashes, quoted values, hosts,
 * pod suffixes), and the source's own class of the problem where it has one (PagerDuty's `class`,
 * Alertmanager's `alertname`, a workflow, a job, an alarm, a Kubernetes reason).
 *
 * Every pattern here sees sender text and runs in linear time (bounded quantifiers, or an unbounded one that
 * nothing after it can fail; checked by test/ingest/linear-patterns.test.ts).
 */

/** A word that is a hex id: `0x` and hex digits, or eight or more hex characters with a digit among them. */
function isHexId(word: string): boolean {
  const prefixed = /^0x/i.test(word);
  const digits = prefixed ? word.slice(2) : word;
  return (
    /^[0-9a-f]+$/i.test(digits) && /\d/.test(digits) && (prefixed || word.length >= 8) // anchored, linear
  );
}

/**
 * A message without what changes between two lines (or two alerts) of the same bug: a leading timestamp,
 * quoted values, uuids, IPv4 addresses, emails, hex ids and numbers become placeholders, and runs of
 * whitespace one space. Only the first LIMITS.logLineLength characters are read. The logs source
 * fingerprints by it, so its output must not change: an open task's log lines would open a second task.
 */
export function normalizeMessage(message: string): string {
  return message
    .slice(0, LIMITS.logLineLength)
    .replace(/^\S{0,64}?\d{4}-\d{2}-\d{2}[T ][\d:.]{1,32}(?:Z|[+-]\d{2}:?\d{2})?\S*\s*/, '') // a leading timestamp
    .replace(/"(?:[^"\\]|\\.){0,512}"|'(?:[^'\\]|\\.){0,512}'/g, '<q>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, '<ip>')
    .replace(/\b[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,190}\b/g, '<email>')
    .replace(/\w+/g, (word) => (isHexId(word) ? '<hex>' : word))
    .replace(/\d+(?:\.\d+)?/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Kubernetes' generated name suffixes, in the alphabet it makes them from (no vowels, no 0, 1 or 3, so words
 * rarely match): a Deployment's pod `-7d9f8b6c5-x2x9z`, a ReplicaSet's `-7d9f8b6c5` and a DaemonSet's or
 * Job's pod `-x7k2p` (these two only with a digit and a letter in them, as generated ones nearly always
 * have: a word is not cut, nor a number, which becomes `<n>` like any other).
 */
const POD_SUFFIX =
  /-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}(?![a-z0-9])|-(?=[bcdfghjklmnpqrstvwxz]{0,9}\d)(?=[2456789]{0,9}[bcdfghjklmnpqrstvwxz])[bcdfghjklmnpqrstvwxz2456789]{5,10}(?![a-z0-9])/g;
/** A host name with a domain people use for machines (`db-1.prod.example.com`, `ip-10-0-1-2.ec2.internal`). */
const HOST_NAME =
  /\b[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){0,6}\.(?:com|net|org|io|internal|local|lan|corp|intra|svc|cloud)\b/gi;

/**
 * A title as it is compared for "the same issue": pod suffixes cut off the workload's name
 * (`checkout-7d9f8b6c5-x2x9z` is `checkout`), host names `<host>`, then what `normalizeMessage` takes out,
 * lower-cased, with single spaces. Part of the issue key: changing it moves every issue's history.
 */
export function normalizeTitle(title: string): string {
  return normalizeMessage(
    title.slice(0, LIMITS.titleLength).replace(POD_SUFFIX, '').replace(HOST_NAME, '<host>'),
  ).toLowerCase();
}

const ISSUE_KEY_PREFIX = 'issue:';

/**
 * The "same issue" key: a hash of the service, the normalized class and the normalized title, so it is
 * bounded whatever the sender sent (38 characters) and stable across releases as long as `normalizeTitle`
 * is (a test pins a key).
 */
export function issueKeyOf(service: string, title: string, issueClass?: string): string {
  const cls = issueClass ? normalizeTitle(issueClass) : '';
  const digest = createHash('sha256')
    .update(JSON.stringify([service, cls, normalizeTitle(title)]), 'utf8')
    .digest('hex');
  return `${ISSUE_KEY_PREFIX}${digest.slice(0, 32)}`;
}
