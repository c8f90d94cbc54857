import { build } from 'esbuild';

/** One file of a built web app, as it is served. */
export interface WebAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

/** The files of a web app by the path they are served at (`/app/dashboard.js`), built in memory. */
export type WebAssets = ReadonlyMap<string, WebAsset>;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

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
  const result = await build({
    entryPoints: Object.entries(entryPoints).map(([out, input]) => ({ out, in: input })),
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    write: false,
    outdir: '/out',
    logLevel: 'silent',
  });
  const assets = new Map<string, WebAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice('/out/'.length);
    const extension = name.slice(name.lastIndexOf('.'));
    assets.set(`${publicPath}/${name}`, {
      contentType: TYPES[extension] ?? 'application/octet-stream',
      body: Buffer.from(file.contents),
    });
  }
  return assets;
}
