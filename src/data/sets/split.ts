// Splits by query: every query id goes to exactly one split, so nothing leaks between train, dev and test.
// Seeded: the sorted ids are shuffled by the seeded PRNG, then cut by the ratios.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SPLIT_DEFAULTS } from '../defaults.js';
import { DisrankerError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { LAYOUT, type Dataset } from '../dataset.js';
import { Random } from '../../util/random.js';
import { compareIds, type Qrels } from '../trec.js';

export const SPLIT_NAMES = ['train', 'dev', 'test'] as const;

export function parseRatios(text: string): number[] {
  const r = text.split(',').map(Number);
  if (r.length !== 3 || r.some((x) => !Number.isFinite(x) || x < 0) || Math.abs(r.reduce((a, b) => a + b, 0) - 1) > 1e-6) {
    throw new DisrankerError('DR_ERR_USAGE', `--ratios must be three non-negative numbers summing to 1 (train,dev,test), got "${text}"`);
  }
  return r;
}

export function splitQueries(qids: Iterable<string>, ratios: number[], seed: number): Record<(typeof SPLIT_NAMES)[number], string[]> {
  const ids = [...new Set(qids)].sort(compareIds);
  new Random(seed).fork('split').shuffle(ids);
  const nTrain = Math.round(ids.length * ratios[0]);
  const nDev = Math.round(ids.length * ratios[1]);
  const sort = (xs: string[]) => xs.sort(compareIds);
  return { train: sort(ids.slice(0, nTrain)), dev: sort(ids.slice(nTrain, nTrain + nDev)), test: sort(ids.slice(nTrain + nDev)) };
}

/** Write `splits/{train,dev,test}.txt` into the data set (judged queries, or all with `allQueries`). */
export async function writeSplits(ds: Dataset, opts: { ratios: number[]; seed: number; allQueries?: boolean }): Promise<Record<string, number>> {
  let qids: string[];
  if (opts.allQueries || !ds.has(LAYOUT.qrels)) qids = [...(await ds.loadQueries()).keys()];
  else qids = [...(await ds.qrels()).keys()];
  const splits = splitQueries(qids, opts.ratios, opts.seed);
  await fsp.mkdir(join(ds.dir, LAYOUT.splits), { recursive: true });
  const counts: Record<string, number> = {};
  for (const name of SPLIT_NAMES) {
    await writeFileAtomic(join(ds.dir, LAYOUT.splits, `${name}.txt`), splits[name].map((q) => `${q}\n`).join(''));
    counts[name] = splits[name].length;
  }
  return counts;
}

/**
 * The judged queries' train/dev/test split: the data set's splits/*.txt when it has them, else the default
 * split (SPLIT_DEFAULTS) computed in memory, the same that `data split` would write. `qrels`: the data set's
 * judged labels when the caller has them loaded already (else they are read).
 */
export async function judgedSplits(ds: Dataset, qrels?: Qrels): Promise<{ splits: Record<(typeof SPLIT_NAMES)[number], string[]>; source: 'files' | 'default' }> {
  if (SPLIT_NAMES.every((n) => ds.has(join(LAYOUT.splits, `${n}.txt`)))) {
    const [train, dev, test] = await Promise.all(SPLIT_NAMES.map((n) => ds.split(n)));
    return { splits: { train, dev, test }, source: 'files' };
  }
  qrels ??= await ds.qrels();
  return { splits: splitQueries(qrels.keys(), parseRatios(SPLIT_DEFAULTS.ratios), SPLIT_DEFAULTS.seed), source: 'default' };
}

export { SPLIT_DEFAULTS };

/** The query ids of a split name: train, dev or test are the judged queries' split (`judgedSplits`); any other name
 * is DS/splits/NAME.txt. */
export async function namedSplit(ds: Dataset, name: string): Promise<string[]> {
  if ((SPLIT_NAMES as readonly string[]).includes(name)) return (await judgedSplits(ds)).splits[name as (typeof SPLIT_NAMES)[number]];
  return ds.split(name);
}
