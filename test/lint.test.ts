// The layering of src/ is enforced by `npm run lint` (eslint.config.js): each probe below imports across a line
// and must be reported; the same imports from a folder allowed to make them are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { REPO_ROOT } from './helpers/env.js';

const eslint = new ESLint({ cwd: REPO_ROOT });

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${REPO_ROOT}/${file}` });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('lint: a file in src/data that imports src/engine fails, and so do the other crossings', async () => {
  const cases: [string, string, RegExp][] = [
    ['src/data/probe.ts', "import { tensor } from '../engine/index.js';\nexport const t = tensor;\n", /src\/data must not import src\/engine/],
    ['src/data/sets/probe.ts', "import { ndcg } from '../../eval/ndcg.js';\nexport const n = ndcg;\n", /src\/data must not import src\/eval/],
    ['src/text/probe.ts', "import { LlamaModel } from '../models/llama.js';\nexport const m = LlamaModel;\n", /src\/text must not import src\/models/],
    ['src/eval/probe.ts', "import { train } from '../train/trainer.js';\nexport const t = train;\n", /src\/eval must not import src\/train/],
    ['src/engine/probe.ts', "import { AdamW } from '../train/optimizer.js';\nexport const a = AdamW;\n", /src\/engine must not import src\/train/],
    ['src/models/probe.ts', "import { runDemo } from '../pipeline/demo.js';\nexport const r = runDemo;\n", /src\/models must not import src\/pipeline/],
    ['src/train/probe.ts', "import { nat } from '../engine/tensor.js';\nexport const n = nat;\n", /public API/],
    ['src/pipeline/probe.ts', "import { OPTIONS } from '../cli/options.js';\nexport const o = OPTIONS;\n", /src\/pipeline must not import src\/cli/],
  ];
  for (const [file, source, message] of cases) {
    const got = await restricted(file, source);
    assert.equal(got.length, 1, `${file}: expected one layering error, got ${JSON.stringify(got)}`);
    assert.match(got[0], message);
  }
});

test('lint: the allowed directions pass', async () => {
  const cases: [string, string][] = [
    ['src/models/probe.ts', "import { tensor } from '../engine/index.js';\nexport const t = tensor;\n"],
    ['src/eval/probe.ts', "import { readRun } from '../data/trec.js';\nexport const r = readRun;\n"],
    ['src/pipeline/probe.ts', "import { train } from '../train/trainer.js';\nexport const t = train;\n"],
    ['src/cli/probe.ts', "import { runDemo } from '../pipeline/demo.js';\nexport const r = runDemo;\n"],
  ];
  for (const [file, source] of cases) assert.deepEqual(await restricted(file, source), [], file);
});
