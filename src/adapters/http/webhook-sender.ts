import { promises as dns, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { WebhookRequest, WebhookResult, WebhookSender } from '../../core/ports.js';
import { signWebhook, WEBHOOK_HEADERS } from '../../core/webhook-signature.js';
import { addressRefusal, checkWebhookUrl } from '../../core/webhook-target.js';

/**
 * Calls a schedule's webhook (issue 18): a signed JSON POST, to an address the SSRF rules of
 * `core/webhook-target.ts` allow, with one timeout per attempt and retries of what may pass.
 *
 * Why node:http and not fetch: the host is resolved here and every address checked, and the connection must go
 * to an address that was checked; otherwise a DNS answer that changes between the check and the connection
 * (DNS rebinding) sends the request inside the network. Node's fetch resolves the name again itself and takes
 * no address; pinning it needs an undici `Agent({ connect: { lookup } })` as its dispatcher, and undici is not a
 * dependency of this project (only a transitive one of Bolt, at a version we do not choose). node:http's
 * `lookup` option does the same in a few lines: the socket connects to the pinned address while the Host header
 * and the TLS servername (SNI and the certificate check) stay the URL's host name.
 */

export interface HttpWebhookSenderOptions {
  readonly secret: string;
  /** `webhooks.allowHosts`: hosts that may be at any address (a receiver inside the network, on purpose). */
  readonly allowHosts: readonly string[];
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Every address of a host; defaults to the system resolver, unsorted. */
  readonly lookup?: (host: string) => Promise<readonly { address: string; family: number }[]>;
  /** One bound for an attempt: connection, TLS, the answer and what is read of its body. */
  readonly timeoutMs?: number;
  readonly attempts?: number;
  readonly userAgent?: string;
}

/** What is read of an answer's body for the error text: a receiver can answer with anything, of any size. */
const BODY_READ_MAX = 2_048;
const ERROR_TEXT_MAX = 200;
/**
 * A Retry-After longer than this is not waited for (the backoff decides): with three attempts of 10 s, a run
 * stays inside the sweep's 55 s and its lease.
 */
const RETRY_AFTER_MAX_SECONDS = 5;
const FIRST_BACKOFF_MS = 1_000;
const BACKOFF_FACTOR = 4;

/** How one attempt ended: `retry` says whether another attempt may do better. */
interface Failed {
  readonly kind: 'failed';
  readonly error: string;
  readonly retry: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
}
type Attempt = { readonly kind: 'answered'; readonly status: number; readonly address: string } | Failed;

interface Address {
  readonly address: string;
  readonly family: 4 | 6;
}
/** Every address of the host, at least one, or why there is none. */
type Resolution =
  | { readonly kind: 'resolved'; readonly addresses: readonly [Address, ...Address[]] }
  | Failed;

export class HttpWebhookSender implements WebhookSender {
  readonly #options: HttpWebhookSenderOptions;
  readonly #lookup: NonNullable<HttpWebhookSenderOptions['lookup']>;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #userAgent: string;

  constructor(options: HttpWebhookSenderOptions) {
    this.#options = options;
    this.#lookup = options.lookup ?? ((host) => dns.lookup(host, { all: true, verbatim: true }));
    this.#timeoutMs = positive(options.timeoutMs, 10_000);
    this.#attempts = Math.floor(positive(options.attempts, 3));
    this.#userAgent = options.userAgent ?? 'TMS-Webhook/1';
  }

  async send(request: WebhookRequest): Promise<WebhookResult> {
    const checked = checkWebhookUrl(request.url);
    // Nothing was attempted: the URL itself is refused.
    if (!checked.ok) return { ok: false, error: `refused: ${checked.error}`, attempts: 0 };
    const url = checked.value;
    let backoffMs = FIRST_BACKOFF_MS;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(url, request).catch(
        (error: unknown): Attempt => ({ kind: 'failed', error: describe(error), retry: false }),
      );
      if (outcome.kind === 'answered')
        return { ok: true, status: outcome.status, attempts: attempt, address: outcome.address };
      if (!outcome.retry || attempt >= this.#attempts) {
        const error = attempt > 1 ? `${outcome.error} (gave up after ${attempt} attempts)` : outcome.error;
        return outcome.status === undefined
          ? { ok: false, error, attempts: attempt }
          : { ok: false, error, attempts: attempt, status: outcome.status };
      }
      const waitMs = outcome.retryAfterMs ?? backoffMs;
      // A sleep that fails only shortens the wait: send never throws.
      await Promise.resolve()
        .then(() => this.#options.sleep(waitMs))
        .catch(() => undefined);
      backoffMs *= BACKOFF_FACTOR;
    }
  }

  /** Resolve, check every address, then POST to the first one and only to it. */
  async #attempt(url: URL, request: WebhookRequest): Promise<Attempt> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // One bound for the whole attempt, the look-up included: what the resolver took, the POST has not.
    const deadline = performance.now() + this.#timeoutMs;
    const resolved = await this.#resolve(host, deadline);
    if (resolved.kind === 'failed') return resolved;
    // One refused address refuses the call: which one a later connection would get is not ours to choose.
    for (const { address } of resolved.addresses) {
      const refusal = addressRefusal(address, host, this.#options.allowHosts);
      if (refusal) return { kind: 'failed', error: `refused: ${refusal}`, retry: false };
    }
    return this.#post(url, host, resolved.addresses[0], request, deadline);
  }

  async #resolve(host: string, deadline: number): Promise<Resolution> {
    const literal = familyOf(host);
    if (literal) return { kind: 'resolved', addresses: [{ address: host, family: literal }] };
    let timer: NodeJS.Timeout | undefined;
    try {
      // A resolver that never answers is bounded like the rest of the attempt.
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${this.#timeoutMs / 1000} s`)),
          Math.max(0, deadline - performance.now()),
        );
      });
      const answered = await Promise.race([this.#lookup(host), timedOut]);
      const addresses: Address[] = [];
      for (const { address } of answered) {
        const family = familyOf(address);
        // A resolver's answer that is no address cannot be checked or pinned, even for an allowed host.
        if (!family)
          return {
            kind: 'failed',
            error: `refused: ${host} resolved to ${clean(address)}, not an IP address`,
            retry: false,
          };
        addresses.push({ address, family });
      }
      const [first, ...rest] = addresses;
      if (first) return { kind: 'resolved', addresses: [first, ...rest] };
      return { kind: 'failed', error: `could not resolve ${host}: no addresses`, retry: true };
    } catch (error) {
      return { kind: 'failed', error: `could not resolve ${host}: ${describe(error)}`, retry: true };
    } finally {
      clearTimeout(timer);
    }
  }

  #post(
    url: URL,
    host: string,
    pinned: Address,
    request: WebhookRequest,
    deadline: number,
  ): Promise<Attempt> {
    const tls = url.protocol === 'https:';
    const port = Number(url.port) || (tls ? 443 : 80);
    const where = `${host} (${pinned.family === 6 ? `[${pinned.address}]` : pinned.address}:${port})`;
    // The query string stays out of error text: it is where people put tokens, and errors end up in logs.
    const target = `POST ${url.origin}${url.pathname}`;
    const timestamp = Math.floor(this.#options.now().getTime() / 1000);
    const body = Buffer.from(request.body, 'utf8');
    // Any name the socket asks for gets the checked address: there is no second DNS query to be answered otherwise.
    const lookup: LookupFunction = (_name, options, callback) => {
      if (options.all)
        callback(null, [{ address: pinned.address, family: pinned.family }] as LookupAddress[]);
      else callback(null, pinned.address, pinned.family);
    };
    const options: RequestOptions & { servername?: string } = {
      method: 'POST',
      host,
      port,
      path: `${url.pathname}${url.search}`,
      lookup,
      family: pinned.family,
      // A socket of its own: a kept-alive one could have been opened to another address for the same name.
      agent: false,
      headers: {
        host: url.host,
        'content-type': 'application/json',
        'content-length': body.length,
        'user-agent': this.#userAgent,
        [WEBHOOK_HEADERS.delivery]: request.deliveryId,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(this.#options.secret, timestamp, request.body),
      },
      ...(tls && !isIP(host) ? { servername: host } : {}),
    };

    return new Promise<Attempt>((resolve) => {
      let settled = false;
      let connected = false;
      const outgoing = (tls ? httpsRequest : httpRequest)(options);
      const settle = (outcome: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
        // Whatever is left of the answer is not read, and the socket is not kept.
        outgoing.destroy();
      };
      const timer = setTimeout(
        () =>
          settle({
            kind: 'failed',
            error: `${target} timed out after ${this.#timeoutMs / 1000} s (${where})`,
            retry: true,
          }),
        Math.max(0, deadline - performance.now()),
      );
      outgoing.on('socket', (socket) => {
        socket.once(tls ? 'secureConnect' : 'connect', () => {
          connected = true;
        });
      });
      outgoing.on('error', (error) => {
        const code = describe(error);
        settle({
          kind: 'failed',
          error: connected
            ? `${where} closed the connection before answering ${target}: ${code}`
            : `could not connect to ${where}: ${code}`,
          retry: !isCertificateError(error),
        });
      });
      outgoing.on('response', (response) => {
        response.on('error', () => {}); // the request's destroy above may abort it; what was read is enough
        const status = response.statusCode ?? 0;
        // A 2xx is the answer: its body is not waited for (a receiver that never ends it is still a delivery).
        if (status >= 200 && status < 300) settle(this.#outcome(response, '', target, pinned.address));
        else readSome(response, (text) => settle(this.#outcome(response, text, target, pinned.address)));
      });
      outgoing.end(body);
    });
  }

  #outcome(response: IncomingMessage, text: string, target: string, address: string): Attempt {
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return { kind: 'answered', status, address };
    const answered = `${target} answered ${status}${response.statusMessage ? ` ${clean(response.statusMessage)}` : ''}`;
    if (status >= 300 && status < 400) {
      const location = response.headers.location;
      return {
        kind: 'failed',
        status,
        retry: false,
        error: `${answered}, a redirect${location ? ` to ${clean(location)}` : ''}, not followed (it could point inside the network): give the webhook its final URL`,
      };
    }
    const error = text ? `${answered}: ${text}` : answered;
    const retry = status === 408 || status === 429 || status >= 500;
    const retryAfterMs = retry ? retryAfter(response.headers['retry-after']) : undefined;
    return retryAfterMs === undefined
      ? { kind: 'failed', status, retry, error }
      : { kind: 'failed', status, retry, error, retryAfterMs };
  }
}

/** Reads at most BODY_READ_MAX bytes of the answer (or all of it, if shorter) and hands them on as one line. */
function readSome(response: IncomingMessage, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done(clean(Buffer.concat(chunks).subarray(0, BODY_READ_MAX).toString('utf8')));
  };
  response.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= BODY_READ_MAX) finish();
  });
  response.on('end', finish);
  response.on('aborted', finish);
  response.on('close', finish);
}

/** Seconds only, and only a wait TMS is willing to make; otherwise the backoff decides. */
function retryAfter(header: string | undefined): number | undefined {
  if (!header || !/^\d{1,6}$/.test(header.trim())) return undefined;
  const seconds = Number(header.trim());
  return seconds <= RETRY_AFTER_MAX_SECONDS ? seconds * 1000 : undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/** One line of printable text, at most ERROR_TEXT_MAX characters: a receiver's text goes into logs and Slack. */
function clean(text: string): string {
  const line = text.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return line.length > ERROR_TEXT_MAX ? `${line.slice(0, ERROR_TEXT_MAX)}…` : line;
}

/** What the common socket errors mean, for the person who reads the line. */
const ERROR_CODES: Readonly<Record<string, string>> = Object.assign(Object.create(null), {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the DNS server did not answer',
});

function describe(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return ERROR_CODES[code] ? `${ERROR_CODES[code]}, ${code}` : code;
  return typeof message === 'string' ? clean(message) : clean(String(error));
}

function familyOf(address: string): 4 | 6 | undefined {
  const family = isIP(address);
  return family === 4 || family === 6 ? family : undefined;
}

/** A number option that is finite and at least 1, or its default. */
function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? value : fallback;
}

/** A certificate the receiver's name does not match, or no one vouches for, is not fixed by trying again. */
function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
}
