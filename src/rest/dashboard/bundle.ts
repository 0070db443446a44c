/**
 * The dashboard's files, built from the project's own sources (dashboard/src)
 * by esbuild, in memory, the first time they are asked for (app.listen starts
 * it in the background): Preact, uPlot and graphql-ws bundled in, minified,
 * compressed once (brotli and gzip), each asset named by its content hash so
 * browsers may cache it for good. Nothing comes from a CDN.
 */
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { build } from 'esbuild';

export interface DashboardAsset {
  contentType: string;
  etag: string;
  identity: Buffer;
  br: Buffer;
  gzip: Buffer;
  /** Hashed assets never change; the page itself is revalidated. */
  immutable: boolean;
}

export type DashboardFiles = Map<string, DashboardAsset>;

/** The project's root: this file is src/rest/dashboard/bundle.ts, or dist/rest/dashboard/bundle.js once compiled. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Compressed off the event loop (zlib's thread pool): the server keeps answering meanwhile. */
async function asset(body: Buffer | string, contentType: string, immutable: boolean): Promise<DashboardAsset> {
  const identity = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return {
    contentType, immutable, identity,
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    br: await brotli(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    gzip: await gzipped(identity, { level: 9 }),
  };
}

const page = (script: string, style: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keypool dashboard</title>
<link rel="stylesheet" href="/dashboard/assets/${style}">
<script type="module" src="/dashboard/assets/${script}"></script>
</head>
<body>
<div id="app"><p style="padding:16px">Loading the dashboard…</p></div>
<noscript>The keypool dashboard needs JavaScript.</noscript>
</body>
</html>
`;

/** Builds the page and its assets: `index.html` and `assets/<name>.<hash>.js|css`. */
export async function buildDashboard(root = ROOT): Promise<DashboardFiles> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: join(root, 'dashboard/src/main.tsx') },
    tsconfig: join(root, 'dashboard/tsconfig.json'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    outdir: 'assets',
    entryNames: '[name].[hash]',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files: DashboardFiles = new Map();
  let script = '';
  let style = '';
  for (const out of result.outputFiles) {
    const name = out.path.slice(out.path.lastIndexOf('/') + 1);
    if (name.endsWith('.js')) script = name;
    if (name.endsWith('.css')) style = name;
    files.set(`assets/${name}`, await asset(Buffer.from(out.contents), name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8', true));
  }
  files.set('index.html', await asset(page(script, style), 'text/html; charset=utf-8', false));
  return files;
}
