import { record } from '../core/bounds.js';

/**
 * What the raw archive keeps of a delivery's headers: an allow-list, so a credential in a header nobody
 * thought of (`proxy-authorization`, `x-forwarded-authorization`, a vendor's `x-…-token`) is never kept.
 * These are what processing needs when a delivery is re-driven (re-driving reads the archived headers:
 * GitHub's event, delivery and hook ids) and what an audit wants (who sent it, what it was); signatures are
 * left out too, as re-driving never verifies again.
 */
export const ARCHIVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-encoding',
  'user-agent',
  'x-request-id',
  'x-amzn-trace-id',
  'x-forwarded-for',
  // GitHub (src/ingest/sources/github.ts reads the first three on every delivery, re-driven ones included)
  'x-github-event',
  'x-github-delivery',
  'x-github-hook-id',
  'x-github-hook-installation-target-id',
  'x-github-hook-installation-target-type',
  // SNS (https://docs.aws.amazon.com/sns/latest/dg/http-header.html)
  'x-amz-sns-message-type',
  'x-amz-sns-message-id',
  'x-amz-sns-topic-arn',
  'x-amz-sns-subscription-arn',
  'x-amz-sns-rawdelivery',
]);

/** Query parameters (and `name=value` pairs in URLs) that carry a credential. */
const CREDENTIAL =
  /([?&;](?:token|access_token|auth|api_key|apikey|key|password|secret|sig|signature)=)[^&#;"'\s\\]+/gi;
/** User info in a URL (`https://user:password@host`): the password part. */
const USERINFO = /(\b[a-z][a-z0-9+.-]{0,20}:\/\/[^/?#@\s:"'\\]{0,256}:)[^/?#@\s"'\\]{1,256}@/gi;

/** `text` with every credential in a URL (a `?token=`, a password in user info) replaced by `[redacted]`. */
export const redactCredentials = (text: string): string =>
  text.replace(CREDENTIAL, '$1[redacted]').replace(USERINFO, '$1[redacted]@');

/** The headers the archive keeps: allowed names only, their values without credentials; no prototype. */
export const archivedHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  record(
    Object.entries(headers)
      .filter(([name]) => ARCHIVED_HEADERS.has(name))
      .map(([name, value]) => [name, redactCredentials(value)] as const),
  );
