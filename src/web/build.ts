import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, buildSync } from 'esbuild';
import { contentTypeOf, type WebAsset, type WebAssets } from './assets.js';

export type { WebAsset, WebAssets } from './assets.js';

/** The dashboard's entry: served at `/app/dashboard.js` (and its CSS at `/app/dashboard.css`). */
export const WEB_ENTRIES = { dashboard: 'web/dashboard/main.ts' } as const;

/** Entries are named from the repository root, wherever the process runs. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const options = (entryPoints: Readonly<Record<string, string>>): BuildOptions => ({
  absWorkingDir: ROOT,
  entryPoints: Object.entries(entryPoints).map(([out, input]) => ({ out, in: input })),
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  platform: 'browser',
  minify: true,
  legalComments: 'none',
  logLevel: 'silent',
});

/**
 * Bundles web entry points (TypeScript under web/, with what they import from npm, uPlot's CSS included)
 * for browsers, in memory: the local stack builds at start, so `npm ci && npm start` needs no build step
 * and an edit shows on the next start; infra builds the same for the Lambda that serves them. Minified,
 * without source maps, as the bundle's size is part of what a wall screen on a slow network waits for.
 */
export async function buildWebAssets(
  entryPoints: Readonly<Record<string, string>>,
  publicPath: string,
): Promise<WebAssets> {
  const result = await build({ ...options(entryPoints), write: false, outdir: '/out' });
  const assets = new Map<string, WebAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice('/out/'.length);
    assets.set(`${publicPath}/${name}`, {
      contentType: contentTypeOf(name),
      body: Buffer.from(file.contents),
    });
  }
  return assets;
}

/**
 * The same build written into a folder, synchronously, as CDK's local bundling must be: the api function's
 * asset carries the files (src/handlers/api-web.ts reads them once per container).
 */
export function writeWebAssets(entryPoints: Readonly<Record<string, string>>, dir: string): void {
  buildSync({ ...options(entryPoints), write: true, outdir: dir });
}
