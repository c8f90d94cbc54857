import { execFileSync } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SnsMessage, stringToSign } from '../../src/ingest/sources/cloudwatch.js';

export const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-tms-test.pem';
export const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alarms';

/**
 * SNS signs with a key whose certificate it serves from sns.<region>.amazonaws.com. Here a key and
 * certificate are made for the test, and the stack's TMS_SNS_CERT_DIR (`dir`) resolves the certificate URL to
 * that file, so the signature is verified for real, offline. `dispose` removes both.
 */
export function snsSigner() {
  const dir = mkdtempSync(join(tmpdir(), 'tms-sns-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sns.amazonaws.com'].concat([
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'SimpleNotificationService-tms-test.pem'),
    ]),
    { stdio: 'ignore' },
  );
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  return {
    dir,
    sign(
      fields: Partial<SnsMessage> & Pick<SnsMessage, 'Type' | 'Message'>,
      version: '1' | '2' = '2',
    ): SnsMessage {
      const message = {
        MessageId: randomUUID(),
        TopicArn: TOPIC,
        Subject: 'ALARM: "checkout-latency" in EU (Ireland)',
        Timestamp: new Date().toISOString(),
        SignatureVersion: version,
        SigningCertURL: CERT_URL,
        Signature: '',
        ...fields,
      } as SnsMessage;
      const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
      signer.update(stringToSign(message));
      return { ...message, Signature: signer.sign(key, 'base64') };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
