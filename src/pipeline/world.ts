// Stage 1: the data set. The synthetic web-search world is generated when the folder has none (a click log from a
// position-biased user model, plus human-judged queries kept apart from it); an existing data set is used as is.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../data/dataset.js';
import { generateSynthetic } from '../data/synth/generate.js';
import { silentReporter, type Reporter } from '../util/reporter.js';

export interface WorldStageOptions {
  /** the data set folder */
  out: string;
  preset: string;
  seed: number;
}

export interface WorldStageResult {
  dir: string;
  /** false: the folder already held a data set */
  generated: boolean;
  counts: Record<string, number>;
}

export async function worldStage(opts: WorldStageOptions, reporter: Reporter = silentReporter): Promise<WorldStageResult> {
  let generated = false;
  if (!existsSync(join(opts.out, 'meta.json'))) {
    reporter.info(`generating the synthetic web-search world (preset ${opts.preset}, seed ${opts.seed}) in ${opts.out}`);
    const bar = reporter.progress('world', 1);
    await generateSynthetic({ preset: opts.preset, seed: opts.seed, out: opts.out, onProgress: (done, total) => bar.update(done / total) });
    bar.stop();
    generated = true;
  } else {
    reporter.info(`using the data set in ${opts.out}`);
  }
  const ds = await openDataset(opts.out);
  return { dir: opts.out, generated, counts: ds.meta.counts };
}
