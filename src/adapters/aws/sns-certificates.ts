import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/** The PEM of an SNS signing certificate, by its (already checked) URL. */
export type CertificateFetcher = (url: URL) => Promise<string>;

/** On AWS, the certificate from SNS itself: no redirect followed, a few seconds at most. */
export const fetchFromSns: CertificateFetcher = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000), redirect: 'error' });
  if (!response.ok) throw new Error(`SNS certificate ${url} answered ${response.status}`);
  return response.text();
};

/** Offline (`TMS_SNS_CERT_DIR`): the file of the certificate URL's name in that folder, so signatures are still verified. */
export const certificatesIn =
  (dir: string): CertificateFetcher =>
  (url) =>
    readFile(`${dir}/${basename(url.pathname)}`, 'utf8');
