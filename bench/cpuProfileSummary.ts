// Where a CPU profile's time went, by category and by function: self time of the samples, cut to
// a window of the monotonic clock when one is given (bench/profileScaleOut.ts prints the timed
// part's). Categories: garbage collection, V8 and the runtime outside JavaScript ("(program)"),
// Node's own modules, each npm package, and fedsearch's src/ files.
//   npx tsx bench/cpuProfileSummary.ts <file.cpuprofile>... [--from <µs> --to <µs>] [--top 20]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string', default: '20' } } });
const from = values.from === undefined ? -Infinity : Number(values.from);
const to = values.to === undefined ? Infinity : Number(values.to);

/** `node_modules/kafkajs/…` → `kafkajs`, `src/pipeline/x.js` → `fedsearch src/pipeline`, `node:…` → `node`. */
function categoryOf(frame: ProfileNode['callFrame']): string {
  const { functionName, url } = frame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)' || functionName === '(root)') return '(program)';
  if (url === '') return `native: ${functionName || '(anonymous)'}`;
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/(?:dist\/)?(src\/[^/]+|cli|subgraphs|bench)\//.exec(url);
  return own ? `fedsearch ${own[1]}` : url;
}

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
let totalUs = 0;
let idleUs = 0;
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  let time = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (time < from || time > to) return;
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    if (frame.functionName === '(idle)') {
      idleUs += delta;
      return;
    }
    totalUs += delta;
    const category = categoryOf(frame);
    byCategory.set(category, (byCategory.get(category) ?? 0) + delta);
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
}

const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(6)} ms`;
const share = (us: number): string => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
console.log(`busy ${ms(totalUs)}, idle ${ms(idleUs)} (main threads; ${positionals.length} profile(s))`);
for (const [category, us] of [...byCategory].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${ms(us)} ${share(us)}  ${category}`);
console.log('-- functions (self time)');
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${ms(us)} ${share(us)}  ${name}`);
