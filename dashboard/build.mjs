// Builds the dashboard into dist/: the page, its style, and one bundled script (esbuild, an
// IIFE for browsers). `node build.mjs` from this folder; scripts/build.sh runs it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const here = new URL('.', import.meta.url).pathname;
const out = `${here}dist`;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${here}src/app.js`],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  outfile: `${out}/app.js`,
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(`${here}${file}`, `${out}/${file}`);
console.log(`dashboard built into ${out}`);
