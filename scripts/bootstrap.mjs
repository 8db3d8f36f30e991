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

// The search page's end-to-end test drives Debian's Chromium through playwright-core (no browser
// download: playwright's own install cannot reach its CDN here). `npm test` asks for it.
const chromium = '/usr/bin/chromium';
if (process.argv.includes('--browser') && !existsSync(chromium)) {
  const root = process.getuid?.() === 0;
  if (!root) {
    process.stderr.write(`the search page test needs Chromium at ${chromium}: run \`sudo apt-get install chromium\` first.\n`);
    process.exit(1);
  }
  process.stderr.write('installing Chromium for the search page test (apt-get install chromium)…\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
}
