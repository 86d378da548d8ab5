// Removes dist/ before a build, so the package never ships output the build no longer
// produces (compiled tests or examples from an older tree). Usage: node scripts/cleanDist.mjs
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
rmSync(dist, { recursive: true, force: true });
