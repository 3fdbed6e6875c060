// Peak memory of `generate` on many queries, one batch against bounded batches (issue 14: 800 queries took
// 3.5 GB in one batch). Each setting runs in its own process, which reports its peak RSS (ru_maxrss).
//
//   node --import tsx bench/generate-memory.ts [--queries 800] [--vocab 8000] [--hidden 128] [--new-tokens 2]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { intFlag } from '../src/util/flags.js';
import { GENERATE_BATCH_SIZE } from '../src/models/generate.js';

const { values: a } = parseArgs({
  options: {
    queries: { type: 'string', default: '800' },
    vocab: { type: 'string', default: '8000' },
    hidden: { type: 'string', default: '128' },
    'new-tokens': { type: 'string', default: '2' },
    'batch-size': { type: 'string' },
  },
});
const queries = intFlag('--queries', a.queries!, 1);
const vocab = intFlag('--vocab', a.vocab!, 16);
const hidden = intFlag('--hidden', a.hidden!, 8);
const newTokens = intFlag('--new-tokens', a['new-tokens']!, 1);

if (a['batch-size'] !== undefined) {
  // The child: one setting.
  const { manualSeed } = await import('../src/engine/index.js');
  const { LlamaForCausalLM, llamaConfig, generate } = await import('../src/models/index.js');
  manualSeed(0);
  const m = new LlamaForCausalLM(
    llamaConfig({ vocab_size: vocab, hidden_size: hidden, intermediate_size: 2 * hidden, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 4, pad_token_id: 0, bos_token_id: 1, eos_token_id: null }),
    { lm: true },
  );
  const prompts = Array.from({ length: queries }, (_, i) => [1, ...Array.from({ length: 8 + (i % 8) }, (_, j) => 2 + ((i * 31 + j * 7) % (vocab - 2)))]);
  const rss0 = process.memoryUsage().rss;
  const out = generate(m, prompts, { maxNewTokens: newTokens, batchSize: intFlag('--batch-size', a['batch-size'], 1) });
  console.log(JSON.stringify({ rss_before_mb: Math.round(rss0 / 2 ** 20), peak_rss_mb: Math.round((process.resourceUsage().maxRSS * 1024) / 2 ** 20), generated: out.length }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
console.log(`generate: ${queries} queries (9-16 prompt tokens), decoder vocab ${vocab}, hidden ${hidden}, 2 layers, ${newTokens} new tokens`);
console.log('| batch size | peak RSS (MB) | RSS before generate (MB) |\n|---|---|---|');
for (const bs of [queries, GENERATE_BATCH_SIZE]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, ...process.argv.slice(2), '--batch-size', String(bs)], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
  console.log(`| ${bs}${bs === GENERATE_BATCH_SIZE ? ' (default)' : ' (one batch)'} | ${res.peak_rss_mb} | ${res.rss_before_mb} |`);
}
