import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Where a Chromium or Chrome is on this machine: TMS_CHROMIUM when set, else the usual places (Debian's
 * `chromium`, which .ci/run installs when missing; Ubuntu's and Chrome's names; macOS's Chrome).
 * `npx playwright install` cannot download a browser here, so playwright-core drives one already installed.
 */
const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.TMS_CHROMIUM;
  if (named) {
    if (!existsSync(named)) throw new Error(`TMS_CHROMIUM is "${named}", which does not exist`);
    return named;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found)
    throw new Error(
      'The browser tests need Chromium or Chrome: install it (`apt-get install chromium`, `brew install --cask chromium`) or set TMS_CHROMIUM to its path',
    );
  return found;
}

/**
 * A headless Chromium for one test file. A failed test leaves no browser behind: close it in `afterAll`.
 * `--no-sandbox` because CI runs as root, where Chromium's sandbox refuses to start.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}
