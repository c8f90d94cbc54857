import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One file of a built web app, as it is served. */
export interface WebAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

/** The files of a web app by the path they are served at (`/app/dashboard.js`). */
export type WebAssets = ReadonlyMap<string, WebAsset>;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Here and not in ./build.ts, so the Lambda that serves the files does not bundle esbuild to type them. */
export function contentTypeOf(name: string): string {
  return TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
}

/** The files infra's bundling wrote into a folder of the Lambda's asset, served under `publicPath`. */
export function readWebAssets(dir: string, publicPath: string): WebAssets {
  const assets = new Map<string, WebAsset>();
  for (const name of readdirSync(dir))
    assets.set(`${publicPath}/${name}`, {
      contentType: contentTypeOf(name),
      body: readFileSync(join(dir, name)),
    });
  return assets;
}
