// Child process for the interruption tests: starts writing a data set to argv[2] (through DatasetWriter, as
// imports and `data synth` do), prints its temp folder, then waits to be signalled.
import { DatasetWriter } from '../../src/data/dataset.js';

const out = process.argv[2];
await DatasetWriter.write(out, {}, async (w) => {
  await w.file('queries.jsonl').write({ qid: 'q1', text: 'a query' });
  process.stdout.write(`${w.tmpDir}\n`);
  await new Promise<void>(() => setInterval(() => undefined, 1000));
  throw new Error('unreachable');
});
