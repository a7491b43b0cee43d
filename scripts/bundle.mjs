// Bundles every FC function under functions/<name>/index.ts into dist/functions/<name>/index.js
// (handler `index.handler`), one self-contained CommonJS file each, as s.yaml deploys them.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = 'functions';
const names = existsSync(root)
  ? readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'index.ts')))
      .map((entry) => entry.name)
  : [];

await Promise.all(
  names.map((name) =>
    build({
      entryPoints: [join(root, name, 'index.ts')],
      outfile: join('dist', 'functions', name, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      // urllib (under ali-oss) requires proxy-agent optionally, inside a try; it is never installed.
      external: ['proxy-agent'],
      logLevel: 'warning',
    }),
  ),
);
