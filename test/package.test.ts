// The package installs as a user's dependency: `npm pack`, then `npm install` of the tarball in an empty project
// (which compiles the addon from the shipped native/src), `import 'disranker/engine'`, and `npx disranker --help`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable } from '../src/engine/index.js';
import { need, REPO_ROOT } from './helpers/env.js';

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

test('npm pack → npm install in an empty project → import disranker/engine and npx disranker --help', (t) => {
  if (!need(t, engineAvailable(), 'the libtorch engine is not built (the installed package compiles it too)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'dr-pack-'));
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8', env });
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const files = info.files.map((f) => f.path);
  for (const f of ['dist/engine/index.js', 'dist/cli/main.js', 'native/src/tensor.cc', 'native/src/common.h', 'native/binding.gyp', 'scripts/build-native.mjs', 'bin/disranker.js', 'bench/engine.ts']) {
    assert.ok(files.includes(f), `${f} is not in the package`);
  }
  assert.ok(!files.some((f) => f.startsWith('test/')), 'tests are shipped');

  const project = join(dir, 'project');
  spawnSync('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', private: true, type: 'module' }));
  // onnxruntime-node's postinstall would fetch its optional CUDA provider (no network here; README: ONNXRUNTIME_NODE_INSTALL=skip)
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, info.filename)], { cwd: project, encoding: 'utf8', env: { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, timeout: 900_000 });
  assert.equal(install.status, 0, `${install.stdout}\n${install.stderr}`);
  assert.doesNotMatch(install.stderr, /EBADENGINE/, 'a dependency does not support Node 20');

  const run = spawnSync(process.execPath, ['--input-type=module', '-e', "import { tensor } from 'disranker/engine'; console.log(tensor([1, 2, 3]).sum().item());"], { cwd: project, encoding: 'utf8', env });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), '6');
  const mods = spawnSync(process.execPath, ['--input-type=module', '-e', "for (const m of ['text', 'models', 'data', 'train', 'eval', 'pipeline']) await import('disranker/' + m); console.log('ok');"], { cwd: project, encoding: 'utf8', env });
  assert.equal(mods.status, 0, mods.stderr);
  const help = spawnSync('npx', ['disranker', '--help'], { cwd: project, encoding: 'utf8', env });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: disranker/m);
  assert.equal(help.stderr, '');
});
