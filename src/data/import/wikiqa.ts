// WikiQA TSV (plain or gzip) with a header: QuestionID Question DocumentID DocumentTitle SentenceID Sentence Label.
// Each row is a search result: title = DocumentTitle, summary = Sentence, docid = SentenceID (e.g. `D1-0`, which
// contains the DocumentID), url = the Wikipedia page. Label (0/1) becomes a judgment; a question's rows, in file
// order, are its candidate list (rank = row order, score = -rank).
import { InputError } from '../../util/errors.js';
import { BadLines, readLines } from '../io.js';
import { DatasetWriter, DocumentSink, LAYOUT } from '../dataset.js';
import { Id, LABELS_BINARY, type CandidateList, type Query } from '../schema.js';
import type { Qrels } from '../trec.js';
import { countJudgments, requireNonEmpty, type ImportOptions, type ImportResult } from './common.js';

export const WIKIQA_COLUMNS = ['QuestionID', 'Question', 'DocumentID', 'DocumentTitle', 'SentenceID', 'Sentence', 'Label'] as const;

export function wikipediaUrl(title: string): string {
  return `https://en.wikipedia.org/wiki/${encodeURIComponent(title.replace(/ /g, '_')).replace(/%2F/g, '/')}`;
}

export async function importWikiqa(input: string, opts: ImportOptions): Promise<ImportResult> {
  const bad = new BadLines(!!opts.skipBad);
  const labels = LABELS_BINARY;
  const meta = await DatasetWriter.write(opts.out, { force: opts.force, inputs: [input] }, async (w) => {
    const docs = new DocumentSink(w.file(LAYOUT.documents));
    const queries = new Map<string, Query>();
    const lists = new Map<string, CandidateList>();
    const qrels: Qrels = new Map();
    let header = false;
    let rows = 0;
    for await (const { text, lineNo } of readLines(input, bad)) {
      if (text.trim() === '') continue;
      const f = text.split('\t');
      if (!header) {
        if (f.join('\t') !== WIKIQA_COLUMNS.join('\t')) {
          throw new InputError(input, lineNo, 'header', `expected "${WIKIQA_COLUMNS.join('\\t')}", found "${text.slice(0, 120)}"`);
        }
        header = true;
        continue;
      }
      try {
        if (f.length !== WIKIQA_COLUMNS.length) {
          throw new InputError(input, lineNo, 'line', `expected ${WIKIQA_COLUMNS.length} tab-separated columns (${WIKIQA_COLUMNS.join(', ')}), found ${f.length}`);
        }
        const [qid, question, , title, sid, sentence, labelText] = f;
        for (const [name, v] of [['QuestionID', qid], ['SentenceID', sid]] as const) {
          if (!Id.safeParse(v).success) throw new InputError(input, lineNo, name, `"${v}" is not a valid id (empty or has spaces)`);
        }
        if (!/^-?\d+$/.test(labelText)) throw new InputError(input, lineNo, 'Label', `expected 0 or 1, found "${labelText}"`);
        const label = Number(labelText);
        if (label < labels.min || label > labels.max) throw new InputError(input, lineNo, 'Label', `label ${label} is outside the range ${labels.min}-${labels.max}`);
        const q = queries.get(qid);
        if (q && q.text !== question) throw new InputError(input, lineNo, 'Question', `differs from the text of "${qid}" on an earlier line`);
        let judged = qrels.get(qid);
        if (judged?.has(sid)) throw new InputError(input, lineNo, 'SentenceID', `duplicate row: "${sid}" is listed twice for question "${qid}"`);
        await docs.add({ docid: sid, title, summary: sentence, url: wikipediaUrl(title) }, input, lineNo, 'SentenceID');
        if (!q) queries.set(qid, { qid, text: question });
        if (!judged) qrels.set(qid, (judged = new Map()));
        judged.set(sid, label);
        let l = lists.get(qid);
        if (!l) lists.set(qid, (l = { qid, hits: [] }));
        l.hits.push({ docid: sid, rank: l.hits.length + 1, score: -(l.hits.length + 1) });
        rows++;
      } catch (err) {
        bad.handle(err);
      }
    }
    if (!header) throw new InputError(input, undefined, undefined, 'the file is empty (no header row)');
    requireNonEmpty(rows, input, 'rows');
    const qw = w.file(LAYOUT.queries);
    for (const q of queries.values()) await qw.write(q);
    const cw = w.file(LAYOUT.candidates);
    for (const l of lists.values()) await cw.write(l);
    await w.writeQrels(LAYOUT.qrels, qrels);
    return {
      name: 'wikiqa',
      labels,
      provenance: { importer: 'wikiqa', input, skippedBadLines: bad.count },
      counts: { queries: queries.size, rows, documents: docs.size, judgments: countJudgments(qrels), candidates: rows },
    };
  });
  return { meta, bad };
}
