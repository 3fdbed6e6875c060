// The cost of int8 dynamic quantisation in ranking quality: a student folder is exported twice (float32, int8),
// both exports rerank the same test split through ONNX Runtime (the serving path), and the runs are compared with
// paired tests; the time per 100 candidates of each is reported beside.
//   node --import tsx bench/int8-quality.ts --model STUDENT_DIR --data DS [--split test] [--out DIR]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../src/data/dataset.js';
import { judgedSplits } from '../src/data/sets/split.js';
import type { Run } from '../src/data/trec.js';
import { evaluateRuns } from '../src/eval/evaluate-runs.js';
import { reportTable } from '../src/eval/report.js';
import { exportOnnx } from '../src/models/onnx/export.js';
import { RerankModel } from '../src/serve/model.js';
import { benchArgs, isMain, runMain } from './util.js';

async function score(dir: string, lists: { qid: string; query: string; docs: { docid: string; text: string }[] }[]): Promise<{ run: Run; msPer100: number }> {
  const model = await RerankModel.load(dir, { maxLength: 128 });
  const run: Run = new Map();
  let pairs = 0;
  let ms = 0;
  try {
    for (const l of lists) {
      const rows = await model.encode(l.query, l.docs.map((d) => ({ text: d.text })), true);
      const t0 = performance.now();
      const s = await model.score(rows);
      ms += performance.now() - t0;
      pairs += rows.length;
      run.set(l.qid, new Map(l.docs.map((d, i) => [d.docid, s[i]])));
    }
  } finally {
    await model.close();
  }
  return { run, msPer100: (ms * 100) / pairs };
}

export async function int8Quality(o: { model: string; data: string; split: string; out?: string }): Promise<void> {
  const out = o.out ?? mkdtempSync(join(tmpdir(), 'dr-int8-'));
  exportOnnx(o.model, join(out, 'fp32'));
  exportOnnx(o.model, join(out, 'int8'), { quantize: 'int8' });
  const ds = await openDataset(o.data);
  const qids = (await judgedSplits(ds)).splits[o.split as 'test'];
  const docs = await ds.loadDocuments();
  const queries = await ds.loadQueries();
  const candidates = await ds.loadCandidates();
  const lists = qids.map((qid) => ({
    qid,
    query: queries.get(qid)!.text,
    docs: (candidates.get(qid) ?? []).filter((h) => docs.has(h.docid)).map((h) => ({ docid: h.docid, text: `${docs.get(h.docid)!.title} ${docs.get(h.docid)!.summary}` })),
  }));
  const fp32 = await score(join(out, 'fp32'), lists);
  const int8 = await score(join(out, 'int8'), lists);
  const report = evaluateRuns(await ds.qrels(), [['fp32', fp32.run], ['int8', int8.run]], { metrics: 'ndcg_cut_10,pnr' });
  console.log(reportTable(report, true));
  console.log(`\nms per 100 candidates (model only, batches of one query's list): fp32 ${fp32.msPer100.toFixed(1)}, int8 ${int8.msPer100.toFixed(1)} (${(fp32.msPer100 / int8.msPer100).toFixed(2)}× faster)`);
}

if (isMain(import.meta.url)) {
  await runMain(() =>
    int8Quality(
      benchArgs('bench/int8-quality.ts: nDCG@10 and PNR of a student exported in float32 and in int8, through ONNX Runtime', {
        model: { type: 'string', help: 'student folder (BertForSequenceClassification with its tokenizer)' },
        data: { type: 'string', help: 'data set folder' },
        split: { type: 'string', default: 'test', help: 'train | dev | test' },
        out: { type: 'string', help: 'folder for the two exports (default: a temp folder)' },
      }) as { model: string; data: string; split: string; out?: string },
    ),
  );
}
