// Shared test helpers: where the optional dependencies are, and how to skip without them.
// Under CI=true a missing dependency is a failure, not a skip: a green CI means everything ran.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `../shared` beside the checkout (the real data sets, which may not be redistributed). */
export const SHARED = process.env.DISRANKER_SHARED ?? join(REPO_ROOT, '..', 'shared');
export const SHARED_DATA = join(SHARED, 'data');
/** test/fixtures: the tiny Hugging Face checkpoints and tokenizer files (see test/fixtures/LICENSES.md). */
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
/** Debian's python3 with python3-torch; a plain `python3` on PATH may lack torch. */
export const TORCH_PYTHON = process.env.DISRANKER_TORCH_PYTHON ?? '/usr/bin/python3';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

let torchPython: boolean | undefined;
export function hasTorchPython(): boolean {
  if (torchPython === undefined) {
    const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    torchPython = r.status === 0;
  }
  return torchPython;
}

export function hasFixtures(sub = ''): boolean {
  return existsSync(join(FIXTURES, sub));
}

export function hasShared(sub = ''): boolean {
  return existsSync(join(SHARED, sub));
}

/**
 * Skip the test (or fail it under CI) unless `ok`. Returns true when the test should go on.
 * Usage: `if (!need(t, hasShared('data'), '../shared/data is absent')) return;`
 */
export function need(t: TestContext, ok: boolean, reason: string): boolean {
  if (ok) return true;
  if (IN_CI) throw new Error(`CI=true but a test dependency is missing: ${reason}`);
  t.skip(reason);
  return false;
}
