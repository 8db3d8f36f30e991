// Runs before `npm test` and `npm run demo` (npm's pre-scripts), with nothing but Node: installs
// the npm packages when node_modules is missing or older than package-lock.json, so both README
// commands work on a fresh clone. Kafka and Elasticsearch are fetched by the stack itself.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  process.stderr.write(`fedsearch needs Node.js 20 or newer; this is ${process.version}.\n`);
  process.exit(1);
}

const lock = `${root}/package-lock.json`;
const installed = `${root}/node_modules/.package-lock.json`;
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  process.stderr.write('installing npm packages (npm ci)…\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
