// A longer fuzz run over the readers than CI's (test/fuzz/readers.test.ts: 2,000 cases per reader, seed 14).
//
//   node --import tsx scripts/fuzz-long.ts [--cases 100000] [--seed 1] [--reader qrels,run,...] [--json]
//
// Prints per reader the cases, inputs read correctly, inputs refused with a clean error, and each failure (a crash
// or a wrong result) with its mutations and input; exits 1 when there is a failure.
import { parseArgs } from 'node:util';
import { fuzzReader, READERS } from '../test/fuzz/readers.js';
import { intFlag, validateSeed } from '../src/util/flags.js';

const { values: a } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    reader: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const cases = intFlag('--cases', a.cases!, 1);
const seed = validateSeed('--seed', a.seed!);
const names = a.reader?.split(',');
const readers = names ? READERS.filter((r) => names.includes(r.name)) : READERS;
if (names && readers.length !== names.length) {
  console.error(`unknown --reader; choose from ${READERS.map((r) => r.name).join(', ')}`);
  process.exit(2);
}
let failed = 0;
const results = [];
for (const r of readers) {
  const t0 = process.hrtime.bigint();
  const res = await fuzzReader(r, cases, seed);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  results.push({ ...res, seconds });
  failed += res.failures.length;
  if (!a.json) {
    console.log(`${r.name.padEnd(20)} ${res.cases} cases: ${res.parsed} read, ${res.refused} refused, ${res.failures.length} failures (${seconds.toFixed(1)} s)`);
    for (const f of res.failures.slice(0, 5)) console.log(`  case ${f.case}: ${f.error}\n    mutations: ${f.mutations.join('; ')}\n    input: ${f.input}`);
  }
}
if (a.json) console.log(JSON.stringify({ seed, cases, results }, null, 2));
process.exitCode = failed > 0 ? 1 : 0;
