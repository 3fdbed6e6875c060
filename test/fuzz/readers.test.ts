// Fuzz test over the readers of user files (issue 14): qrels, run, the JSONL data set files, the safetensors
// header, tokenizer.json and config.json. Fixed seed, FUZZ_CASES cases per reader; every case must end in a clean
// DisrankerError or a result that checks out (test/fuzz/readers.ts). Longer runs: scripts/fuzz-long.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzReader, READERS } from './readers.js';

const FUZZ_SEED = 14;
const FUZZ_CASES = 2000;

for (const reader of READERS) {
  test(`fuzz ${reader.name}: ${FUZZ_CASES} mutated inputs, each a clean error or a correct result`, async (t) => {
    const r = await fuzzReader(reader, FUZZ_CASES, FUZZ_SEED);
    t.diagnostic(`${r.cases} cases: ${r.parsed} read correctly, ${r.refused} refused with a clean error, ${r.failures.length} failures`);
    assert.deepEqual(r.failures, []);
    assert.equal(r.parsed + r.refused, FUZZ_CASES);
    // Not vacuous: the mutations produce both inputs that still read and inputs that are refused.
    assert.ok(r.parsed > FUZZ_CASES / 20 && r.refused > FUZZ_CASES / 20, `${r.parsed} read, ${r.refused} refused`);
  });
}
