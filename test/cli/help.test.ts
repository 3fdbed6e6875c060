// `npx disranker --help` and every subcommand's --help print without a warning (npm's included), and show the
// library's real defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.js';
import { ABLATION_DEFAULTS, CPT_DEFAULTS } from '../../src/pipeline/defaults.js';
import { EVAL_DEFAULTS } from '../../src/eval/defaults.js';
import { BM25_DEFAULTS } from '../../src/data/bm25.js';
import { GROUP_DEFAULTS } from '../../src/data/sets/training-sets.js';
import { TRANSLATION_LM_DEFAULTS } from '../../src/data/defaults.js';

/** The environment of a user's shell: no npm_* variables from the `npm test` that runs this file. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
const fromSource = { ...env, DISRANKER_FROM_SOURCE: '1', COLUMNS: '250' };

const COMMANDS = [
  [],
  ['demo'],
  ['eval'],
  ['generate'],
  ['bench'],
  ['bench', 'engine'],
  ['bench', 'decoder'],
  ['bench', 'tokenizer'],
  ['data'],
  ['data', 'import'],
  ['data', 'stats'],
  ['data', 'synth'],
  ['data', 'bm25'],
  ['data', 'translation-lm'],
  ['data', 'export'],
  ['data', 'split'],
  ['data', 'build'],
  ['data', 'build', 'cpt'],
  ['data', 'build', 'groups'],
  ['data', 'build', 'distill'],
  ['teacher'],
  ['teacher', 'cpt'],
  ['teacher', 'sft'],
  ['teacher', 'score'],
  ['teacher', 'merge-scores'],
  ['rerank'],
  ['student'],
  ['student', 'pretrain'],
  ['student', 'train'],
  ['student', 'ablate'],
  ['distill'],
];

test('npx disranker --help prints no npm warning', () => {
  const r = spawnSync('npx', ['disranker', '--help'], { cwd: REPO_ROOT, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'npx printed on stderr');
  assert.match(r.stdout, /^Usage: disranker/m);
});

test('every subcommand prints its help without a warning, with the library defaults', () => {
  const help: Record<string, string> = {};
  for (const args of COMMANDS) {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), ...args, '--help'], { cwd: REPO_ROOT, encoding: 'utf8', env: fromSource });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', `${args.join(' ')} printed on stderr`);
    assert.ok(r.stdout.length > 50, args.join(' '));
    help[args.join(' ')] = r.stdout;
  }
  assert.match(help.demo, new RegExp(`--lr <x>.*\\(default:\\s+${CPT_DEFAULTS.lr}\\)`, 's'));
  assert.match(help.demo, new RegExp(`--steps <n>.*\\(default:\\s+${CPT_DEFAULTS.steps}\\)`, 's'));
  assert.match(help.eval, new RegExp(`--seed <n>.*\\(default:\\s+${EVAL_DEFAULTS.seed}\\)`, 's'));
  assert.match(help['data bm25'], new RegExp(`--k1 <x>.*\\(default:\\s+${BM25_DEFAULTS.k1}\\)`, 's'));
  assert.match(help['data translation-lm'], new RegExp(`--alpha-self <a>.*\\(default:\\s+${TRANSLATION_LM_DEFAULTS.alphaSelf}\\)`, 's'));
  assert.match(help['data build groups'], new RegExp(`--group-size <n>.*\\(default:\\s+${GROUP_DEFAULTS.groupSize}\\)`, 's'));
  assert.match(help['bench engine'], /--steps <value>.*\(default:\s+5\)/s);
  assert.match(help['student ablate'], new RegExp(`--betas <list>.*\\(default:\\s+${ABLATION_DEFAULTS.betas.join(',')}\\)`, 's'));
});
