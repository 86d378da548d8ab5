// Builds the web page (web/) into dist/web/: index.html, app.js (one minified bundle with uPlot)
// and app.css (the page's styles with uPlot's). No CDN: everything the page loads comes from the
// tollgate server. Prints the size of each file.
// Usage: node scripts/buildWeb.mjs
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, 'web', 'src', 'main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  outfile: join(out, 'app.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
const css = [join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), join(root, 'web', 'app.css')].map((f) => readFileSync(f, 'utf8')).join('\n');
writeFileSync(join(out, 'app.css'), css);
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'web', 'favicon.svg'), join(out, 'favicon.svg'));

const sizes = ['index.html', 'app.js', 'app.css'].map((name) => {
  const bytes = statSync(join(out, name)).size;
  const gzip = gzipSync(readFileSync(join(out, name))).length;
  return `${name} ${(bytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzip)`;
});
console.log(`web page built into dist/web: ${sizes.join(', ')}`);
