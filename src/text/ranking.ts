// Decoder inputs: the ranking input that the score head reads, and the continued-pre-training (CPT)
// example whose loss counts only the document tokens.
//
// Ranking input (RankLLaMA): `[bos] query: {query} document: {title} {summary} eos`. The score head pools
// the last position whose attention mask is 1, the eos; `poolIndex` gives that position for each row,
// from the mask, so it is right for left and right padding and whatever the pad id (also pad = eos).
//
// The template is split into segments at its placeholders. Each placeholder is encoded together with
// the whitespace before it, and so is each piece of literal text; an empty placeholder disappears with
// its whitespace. With the default template every cut sits before a space, so the ids are those of the
// whole string for WordPiece, byte-level BPE and Metaspace BPE alike. The "document" is everything from
// the first {title}/{summary} to the last; it is what truncation cuts, from its end. bos and eos are
// always kept, and the query is capped at maxQueryLength tokens.
import { DisrankerError } from '../util/errors.js';
import { IGNORE_INDEX, padBatch, type EncodedBatch, type PaddingOptions } from './batch.js';
import type { QueryDocument } from './pair.js';
import type { TextTokenizer } from './tokenizer.js';
import { encodeHead } from './truncate.js';

export const RANKLLAMA_TEMPLATE = 'query: {query} document: {title} {summary}';

export interface DecoderEncodingOptions extends PaddingOptions {
  /** Placeholders {query}, {title}, {summary}. Default RANKLLAMA_TEMPLATE. */
  template?: string;
  /** Total length, bos and eos included. Default: model_max_length, else 512. */
  maxLength?: number;
  /** Query tokens kept at most. Default: half of maxLength minus bos/eos. */
  maxQueryLength?: number;
  /** Prepend bos. Default: what the tokenizer's post-processor / add_bos_token says. */
  addBos?: boolean;
  /** End-of-sequence id appended to every row. Default: the tokenizer's eos. */
  eosId?: number;
  /** Pad id. Default: the pad token, else eos, else 0. */
  padId?: number;
}

type Field = 'query' | 'title' | 'summary';
interface Segment {
  field: Field | null; // null: literal text
  text: string; // literal text, or the whitespace before the placeholder
}

function parseTemplate(template: string): Segment[] {
  const segs: Segment[] = [];
  const re = /\{([a-z_]+)\}/g;
  let last = 0;
  for (const m of template.matchAll(re)) {
    const field = m[1];
    if (field !== 'query' && field !== 'title' && field !== 'summary') {
      throw new DisrankerError('DR_ERR_INPUT', `template ${JSON.stringify(template)}: unknown placeholder {${field}} (use {query}, {title}, {summary})`);
    }
    const lit = template.slice(last, m.index);
    const ws = /\s*$/.exec(lit)![0];
    if (lit.length > ws.length) segs.push({ field: null, text: lit.slice(0, lit.length - ws.length) });
    segs.push({ field, text: ws });
    last = m.index! + m[0].length;
  }
  if (last < template.length) segs.push({ field: null, text: template.slice(last) });
  if (segs.filter((s) => s.field === 'query').length !== 1) {
    throw new DisrankerError('DR_ERR_INPUT', `template ${JSON.stringify(template)}: needs exactly one {query}`);
  }
  if (!segs.some((s) => s.field === 'title' || s.field === 'summary')) {
    throw new DisrankerError('DR_ERR_INPUT', `template ${JSON.stringify(template)}: needs {title} or {summary}`);
  }
  return segs;
}

interface Resolved {
  segs: Segment[];
  docStart: number;
  docEnd: number; // exclusive
  maxLength: number;
  budget: number; // tokens for the template body (maxLength minus bos and eos)
  maxQuery: number;
  bos: number[];
  eos: number;
}

function resolve(tok: TextTokenizer, opts: DecoderEncodingOptions): Resolved {
  const segs = parseTemplate(opts.template ?? RANKLLAMA_TEMPLATE);
  const isDoc = (s: Segment): boolean => s.field === 'title' || s.field === 'summary';
  const docStart = segs.findIndex(isDoc);
  const docEnd = segs.length - [...segs].reverse().findIndex(isDoc);
  if (segs.findIndex((s) => s.field === 'query') > docStart) {
    throw new DisrankerError('DR_ERR_INPUT', 'template: {query} must come before the document placeholders');
  }
  const eos = opts.eosId ?? tok.special.eos?.id;
  if (eos === undefined) {
    throw new DisrankerError('DR_ERR_INPUT', `${tok.name}: no eos token (set eos_token in tokenizer_config.json or pass eosId)`);
  }
  const addBos = opts.addBos ?? tok.addsBos;
  if (addBos && !tok.special.bos) throw new DisrankerError('DR_ERR_INPUT', `${tok.name}: addBos is set but the tokenizer has no bos token`);
  const bos = addBos ? [tok.special.bos!.id] : [];
  const maxLength = opts.maxLength ?? tok.modelMaxLength ?? 512;
  const budget = maxLength - bos.length - 1;
  if (!Number.isInteger(maxLength) || budget < 2) throw new DisrankerError('DR_ERR_INPUT', `decoder encoding: maxLength ${maxLength} is too small`);
  const maxQuery = opts.maxQueryLength ?? Math.floor(budget / 2);
  return { segs, docStart, docEnd, maxLength, budget, maxQuery, bos, eos };
}

/** One row: ids and, for CPT, labels (document + eos are targets, the rest IGNORE_INDEX). */
function encodeOne(tok: TextTokenizer, r: Resolved, item: QueryDocument, withLabels: boolean): { ids: number[]; labels?: number[] } {
  const value = (f: Field): string => (item[f] ?? '').trim();
  const encodeSeg = (s: Segment, need: number): number[] => {
    if (s.field === null) return encodeHead(tok, s.text, need);
    const v = value(s.field);
    return v ? encodeHead(tok, s.text + v, need) : [];
  };
  const before = r.segs.slice(0, r.docStart);
  const after = r.segs.slice(r.docEnd);
  const fixedIds = (segs: Segment[]): number[][] =>
    segs.map((s) => (s.field === 'query' ? encodeSeg(s, r.maxQuery) : encodeSeg(s, r.budget + 1)));
  const pre = fixedIds(before);
  const post = fixedIds(after);
  const kept = [...pre, ...post].reduce((n, a) => n + a.length, 0);
  if (kept > r.budget) {
    throw new DisrankerError(
      'DR_ERR_INPUT',
      `decoder encoding: the template text and the query take ${kept} tokens, more than maxLength ${r.maxLength} allows; lower maxQueryLength`,
    );
  }
  let room = r.budget - kept;
  const doc: number[] = [];
  for (const s of r.segs.slice(r.docStart, r.docEnd)) {
    if (room <= 0) break;
    const ids = encodeSeg(s, room);
    doc.push(...ids);
    room -= ids.length;
  }
  const head = [...r.bos, ...pre.flat()];
  const tail = [...post.flat(), r.eos];
  const ids = [...head, ...doc, ...tail];
  if (!withLabels) return { ids };
  return { ids, labels: [...head.map(() => IGNORE_INDEX), ...doc, ...tail] };
}

/** Ranking inputs for a decoder's score head; `poolIndex` is the eos position of each row. */
export function encodeRankingInputs(tok: TextTokenizer, items: QueryDocument[], opts: DecoderEncodingOptions = {}): EncodedBatch {
  const r = resolve(tok, opts);
  const rows = items.map((it) => encodeOne(tok, r, it, false));
  return padBatch(rows, opts.padId ?? tok.special.pad?.id ?? r.eos, r.maxLength, opts);
}

/**
 * CPT examples: the same layout, with `labels` = the input id at document and eos positions and
 * IGNORE_INDEX (-100) at bos, template, query and pad positions. Models shift labels themselves, as in
 * Hugging Face (`labels[i]` is the token at position i).
 */
export function encodeCptExamples(tok: TextTokenizer, items: QueryDocument[], opts: DecoderEncodingOptions = {}): EncodedBatch {
  const r = resolve(tok, opts);
  const rows = items.map((it) => encodeOne(tok, r, it, true));
  return padBatch(rows, opts.padId ?? tok.special.pad?.id ?? r.eos, r.maxLength, opts);
}
