// Without the native engine, commands that need it say exactly how to get libtorch; the others still work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.js';

const cli = (args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'disranker.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, DISRANKER_ADDON: '/nonexistent/disranker.node', DISRANKER_FROM_SOURCE: '1' },
  });

test('a command that needs the engine explains how to get libtorch when the addon is missing', () => {
  const r = cli(['bench', 'engine', '--steps', '1']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^disranker: the libtorch engine is not built \(\/nonexistent\/disranker\.node is missing\)/);
  assert.match(r.stderr, /apt-get install libtorch-dev/);
  assert.match(r.stderr, /LIBTORCH=\/path\/to\/libtorch/);
  assert.match(r.stderr, /npm run build:native/);
});

test('commands that do not need the engine work without it', () => {
  const r = cli(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: disranker/);
  const bad = cli(['bench', 'engine', '--steps', 'x']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--steps: expected an integer ≥ 1, got "x"/);
});
