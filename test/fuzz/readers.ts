// Fuzzing the readers of user files (issue 14): each case takes a valid input, applies 1-3 seeded mutations
// (truncation, bit flips, byte replacements, invalid UTF-8, oversize fields, line edits, and for JSON a value swapped
// for an odd one), and runs the reader on it. A case passes when it ends in a DisrankerError (a clean error) or in a
// result that checks out (re-serialised and re-read to the same value, or invariants hold). Anything else, a
// TypeError or RangeError escaping, or a wrong result, is a failure. Used by test/fuzz/readers.test.ts (fixed seed,
// CI) and scripts/fuzz-long.ts (longer runs).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { Random } from '../../src/util/random.js';
import { BadLines, readJsonl, validate } from '../../src/data/io.js';
import { CandidateListSchema, DocumentSchema, ImpressionSchema, QuerySchema } from '../../src/data/schema.js';
import { formatQrels, formatRun, parseQrels, parseRun, readQrels, readRun, type Qrels, type Run } from '../../src/data/trec.js';
import { readSafetensorsHeader } from '../../src/engine/safetensors.js';
import { DTYPE_BYTES } from '../../src/engine/dtype.js';
import { readHfConfig } from '../../src/models/hf.js';
import { loadTokenizer, type TextTokenizer } from '../../src/text/tokenizer.js';
import { DisrankerError } from '../../src/util/errors.js';
import { tinyBert } from '../text/tiny.js';

/** One reader under test: valid seed inputs, the read of a (mutated) input, and the check of what it read. */
export interface FuzzReader {
  name: string;
  /** Valid inputs to start from. */
  seeds: Buffer[];
  /** The input is JSON (whole file), or JSONL (one JSON value per line): enables structural mutations. */
  json?: 'whole' | 'lines';
  /** Read `input` (written to a file in `dir`): a DisrankerError here is a clean refusal. */
  read(input: Buffer, dir: string): Promise<unknown>;
  /** Check what `read` returned: any error here (a DisrankerError too) is a wrong result. */
  check(result: unknown): void;
}

export interface FuzzFailure {
  reader: string;
  case: number;
  mutations: string[];
  error: string;
  /** The input (first 300 bytes, JSON-escaped) to reproduce it. */
  input: string;
}

export interface FuzzResult {
  reader: string;
  cases: number;
  /** Inputs read successfully, with a correct result. */
  parsed: number;
  /** Inputs refused with a DisrankerError. */
  refused: number;
  failures: FuzzFailure[];
}

// ---- mutations ----------------------------------------------------------------------------------------------

const SPECIAL_BYTES = [0x00, 0x0a, 0x0d, 0x09, 0x20, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x2d, 0x2e, 0x30, 0x39, 0x65, 0x7f, 0x80, 0xc3, 0xff];
const BAD_UTF8 = [[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xef, 0xbb, 0xbf]];
const ODD_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  -0.0,
  2 ** 31,
  2 ** 53 + 2,
  1e308,
  -1e308,
  '',
  ' ',
  'a b',
  '\u0000',
  '\ud800',
  '9'.repeat(400),
  'x'.repeat(20_000),
  [],
  {},
  [1, 2],
  { a: 1 },
];

function oversize(rng: Random): string {
  switch (rng.int(6)) {
    case 0:
      return 'x'.repeat(rng.range(1000, 100_000));
    case 1:
      return '9'.repeat(rng.range(20, 400));
    case 2:
      return '['.repeat(rng.range(100, 20_000));
    case 3:
      return '{"a":'.repeat(rng.range(100, 5000));
    case 4:
      return ['1e400', '-1e400', 'NaN', 'Infinity', '-0', '0x10', '1e-400', '18446744073709551616'][rng.int(8)];
    default:
      return ' \t'.repeat(rng.range(10, 10_000));
  }
}

function lines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = b.indexOf(10, start);
    if (nl === -1) break;
    out.push(b.subarray(start, nl + 1));
    start = nl + 1;
  }
  if (start < b.length) out.push(b.subarray(start));
  return out;
}

/** Replace one random value inside a JSON document by an odd one (or delete an object key). */
function mutateJsonValue(text: string, rng: Random): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown): void => {
    if (slots.length > 5000) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        slots.push({ parent: v, key: i });
        walk(x);
      });
    } else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        slots.push({ parent: v as Record<string, unknown>, key: k });
        walk((v as Record<string, unknown>)[k]);
      }
    }
  };
  walk(doc);
  if (slots.length === 0) return JSON.stringify(rng.pick(ODD_VALUES));
  const { parent, key } = rng.pick(slots);
  if (!Array.isArray(parent) && rng.bernoulli(0.2)) delete parent[key as string];
  else (parent as Record<string | number, unknown>)[key] = rng.pick(ODD_VALUES);
  return JSON.stringify(doc);
}

/** Apply one random mutation; returns the new bytes and a description. */
export function mutate(input: Buffer, rng: Random, json?: 'whole' | 'lines'): [Buffer, string] {
  const pos = () => rng.int(input.length + 1);
  const kinds = json ? 9 : 8;
  switch (rng.int(kinds)) {
    case 0: {
      const at = pos();
      return [input.subarray(0, at), `truncate at ${at}`];
    }
    case 1: {
      if (input.length === 0) return [input, 'noop'];
      const out = Buffer.from(input);
      const at = rng.int(out.length);
      const bit = rng.int(8);
      out[at] ^= 1 << bit;
      return [out, `flip bit ${bit} of byte ${at}`];
    }
    case 2: {
      if (input.length === 0) return [input, 'noop'];
      const out = Buffer.from(input);
      const at = rng.int(out.length);
      out[at] = rng.bernoulli(0.5) ? rng.pick(SPECIAL_BYTES) : rng.int(256);
      return [out, `set byte ${at} to 0x${out[at].toString(16)}`];
    }
    case 3: {
      const at = pos();
      const bad = Buffer.from(rng.pick(BAD_UTF8));
      return [Buffer.concat([input.subarray(0, at), bad, input.subarray(at)]), `insert bytes ${bad.toString('hex')} at ${at}`];
    }
    case 4: {
      const at = pos();
      const big = oversize(rng);
      return [Buffer.concat([input.subarray(0, at), Buffer.from(big), input.subarray(at)]), `insert ${big.length} bytes "${big.slice(0, 12)}…" at ${at}`];
    }
    case 5: {
      const ls = lines(input);
      if (ls.length === 0) return [input, 'noop'];
      const i = rng.int(ls.length);
      const op = rng.int(3);
      if (op === 0) ls.splice(i, 0, ls[i]);
      else if (op === 1) ls.splice(i, 1);
      else ls.splice(i, 1, ls[rng.int(ls.length)]);
      return [Buffer.concat(ls), `${['duplicate', 'delete', 'replace'][op]} line ${i + 1}`];
    }
    case 6: {
      // Replace a number-looking token by an extreme one.
      const text = input.toString('latin1');
      const nums = [...text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
      if (nums.length === 0) return [input, 'noop'];
      const m = rng.pick(nums);
      const by = rng.pick(['-1', '0', '1e999', '99999999999999999999', '2147483648', '4294967296', '1.5', '-0', '1e-999', '65536']);
      return [Buffer.from(text.slice(0, m.index) + by + text.slice(m.index! + m[0].length), 'latin1'), `number at ${m.index} → ${by}`];
    }
    case 7: {
      const ls = lines(input);
      const i = rng.int(ls.length + 1);
      const junk = rng.pick(['\n', '\r\n', ' \n', '\t\t\n', '\ufeff', '#\n', 'a b c d e f g\n']);
      ls.splice(i, 0, Buffer.from(junk));
      return [Buffer.concat(ls), `insert line ${JSON.stringify(junk)} at ${i + 1}`];
    }
    default: {
      if (json === 'whole') {
        const m = mutateJsonValue(input.toString('utf8'), rng);
        return m === undefined ? [input, 'noop'] : [Buffer.from(m), 'json value'];
      }
      const ls = lines(input);
      if (ls.length === 0) return [input, 'noop'];
      const i = rng.int(ls.length);
      const m = mutateJsonValue(ls[i].toString('utf8'), rng);
      if (m === undefined) return [input, 'noop'];
      ls[i] = Buffer.from(`${m}\n`);
      return [Buffer.concat(ls), `json value on line ${i + 1}`];
    }
  }
}

// ---- the driver -----------------------------------------------------------------------------------------------

/** Run `cases` seeded cases of one reader. */
export async function fuzzReader(reader: FuzzReader, cases: number, seed: number): Promise<FuzzResult> {
  const rng = new Random(seed).fork(reader.name);
  const dir = mkdtempSync(join(tmpdir(), `dr-fuzz-${reader.name}-`));
  const result: FuzzResult = { reader: reader.name, cases, parsed: 0, refused: 0, failures: [] };
  try {
    for (let c = 0; c < cases; c++) {
      let input = rng.pick(reader.seeds);
      const mutations: string[] = [];
      const n = 1 + rng.int(3);
      for (let k = 0; k < n; k++) {
        const [next, what] = mutate(input, rng, reader.json);
        input = next;
        mutations.push(what);
      }
      let stage = 'read';
      try {
        const value = await reader.read(input, dir);
        stage = 'check';
        reader.check(value);
        result.parsed++;
      } catch (err) {
        if (stage === 'read' && err instanceof DisrankerError) {
          result.refused++;
          continue;
        }
        result.failures.push({
          reader: reader.name,
          case: c,
          mutations,
          error: `${stage === 'read' ? 'crash' : 'wrong result'}: ${err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err)}`,
          input: JSON.stringify(input.subarray(0, 300).toString('latin1')),
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

// ---- the readers -----------------------------------------------------------------------------------------------

const ID = /^\S+$/u;

function checkIds(...ids: string[]): void {
  for (const id of ids) assert.match(id, ID, `id ${JSON.stringify(id)}`);
}

const qrelsReader: FuzzReader = {
  name: 'qrels',
  seeds: [
    Buffer.from('q1 0 d1 1\nq1 0 d2 0\nq2 0 d1 3\n'),
    Buffer.from('101 Q0 D5 2\r\n101 0 D7 -1\n\n202 0 D5 0\n'),
    Buffer.from('\ufeffq 0 a 1\n'),
  ],
  async read(input, dir) {
    const f = join(dir, 'qrels.txt');
    writeFileSync(f, input);
    return readQrels(f);
  },
  check(result) {
    const q = result as Qrels;
    for (const [qid, docs] of q) {
      for (const [docid, rel] of docs) {
        checkIds(qid, docid);
        assert.ok(Number.isSafeInteger(rel), `label ${rel}`);
      }
    }
    assert.deepEqual(parseQrels(formatQrels(q), 'again'), q, 'formatQrels → parseQrels is the identity');
  },
};

const runReader: FuzzReader = {
  name: 'run',
  seeds: [
    Buffer.from('q1 Q0 d1 1 2.5 bm25\nq1 Q0 d2 2 1.25 bm25\nq2 Q0 d1 1 -3e-2 bm25\n'),
    Buffer.from('1 Q0 a 1 10 t\r\n1 Q0 b 2 9.999999 t\n\n2 Q0 a 1 0 t\n'),
  ],
  async read(input, dir) {
    const f = join(dir, 'model.run');
    writeFileSync(f, input);
    return readRun(f);
  },
  check(result) {
    const run = result as Run;
    let n = 0;
    for (const [qid, docs] of run) {
      for (const [docid, score] of docs) {
        checkIds(qid, docid);
        assert.ok(Number.isFinite(score), `score ${score}`);
        n++;
      }
    }
    assert.ok(n > 0);
    assert.deepEqual(parseRun(formatRun(run), 'again'), run, 'formatRun → parseRun is the identity');
  },
};

function jsonlReader(name: string, schema: z.ZodType, seed: string): FuzzReader {
  return {
    name,
    json: 'lines',
    seeds: [Buffer.from(seed)],
    async read(input, dir) {
      const f = join(dir, `${name}.jsonl`);
      writeFileSync(f, input);
      const records: { record: unknown; lineNo: number }[] = [];
      for await (const r of readJsonl(f, schema, { bad: new BadLines() })) records.push(r);
      return records;
    },
    check(result) {
      let last = 0;
      for (const { record, lineNo } of result as { record: unknown; lineNo: number }[]) {
        assert.ok(lineNo > last, 'line numbers increase');
        last = lineNo;
        // What was read is valid as written back (JSON), and reads back to the same JSON: no silent coercion.
        const text = JSON.stringify(record);
        assert.equal(JSON.stringify(validate(schema, JSON.parse(text), 'again', lineNo)), text);
      }
    },
  };
}

const documentsReader = jsonlReader(
  'documents',
  DocumentSchema,
  '{"docid":"d1","title":"A title","summary":"Some text é","url":"https://x.org/a"}\n{"docid":"d2","title":"","summary":"passage"}\n',
);
const queriesReader = jsonlReader('queries', QuerySchema, '{"qid":"q1","text":"what is a cat"}\n{"qid":"q2","text":"dogs","intent":"informational"}\n');
const candidatesReader = jsonlReader(
  'candidates',
  CandidateListSchema,
  '{"qid":"q1","hits":[{"docid":"d1","rank":1,"score":3.5},{"docid":"d2","rank":2,"score":-1}]}\n{"qid":"q2","hits":[{"docid":"d3","rank":1,"score":0}]}\n',
);
const clicksReader = jsonlReader(
  'clicks',
  ImpressionSchema,
  '{"id":"i1","qid":"q1","query":"cats","results":[{"position":1,"docid":"d1","title":"t","summary":"s","url":"","clicked":true,"dwell":12.5},{"position":2,"docid":"d2","title":"t2","summary":"s2","url":"","clicked":false,"dwell":0}]}\n',
);

function safetensors(header: Record<string, unknown>, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes, 7)]);
}

const safetensorsReader: FuzzReader = {
  name: 'safetensors-header',
  seeds: [
    safetensors(
      {
        __metadata__: { format: 'pt' },
        'a.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
        'b.bias': { dtype: 'BF16', shape: [4], data_offsets: [24, 32] },
        ids: { dtype: 'I64', shape: [1], data_offsets: [32, 40] },
      },
      40,
    ),
    safetensors({ w: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 8] }, e: { dtype: 'F32', shape: [0], data_offsets: [8, 8] } }, 8),
  ],
  async read(input, dir) {
    const f = join(dir, 'model.safetensors');
    writeFileSync(f, input);
    return { h: readSafetensorsHeader(f), size: input.length };
  },
  check(result) {
    const { h, size } = result as { h: ReturnType<typeof readSafetensorsHeader>; size: number };
    for (const v of Object.values(h.metadata)) assert.equal(typeof v, 'string');
    const ranges: [number, number][] = [];
    for (const [name, t] of h.tensors) {
      assert.ok(t.begin >= h.dataStart && t.end <= size, `${name} lies in the file`);
      assert.equal(t.end - t.begin, t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype], `${name}: bytes = numel × dtype size`);
      if (t.end > t.begin) ranges.push([t.begin, t.end]);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i][0] >= ranges[i - 1][1], 'no overlap');
  },
};

const tokenizerReader: FuzzReader = {
  name: 'tokenizer.json',
  json: 'whole',
  seeds: [Buffer.from(JSON.stringify(tinyBert()))],
  async read(input, dir) {
    mkdirSync(join(dir, 'tok'), { recursive: true });
    writeFileSync(join(dir, 'tok', 'tokenizer.json'), input);
    return loadTokenizer(join(dir, 'tok'));
  },
  check(result) {
    const tok = result as TextTokenizer;
    const max = tok.maxTokenId;
    for (const text of ['what is a cat?', 'The small DOGS.', 'query: document', '']) {
      const { ids, typeIds } = tok.encodeWithSpecials(text, 'a cat');
      assert.equal(ids.length, typeIds.length);
      for (const id of ids) {
        assert.ok(Number.isInteger(id) && id >= 0 && id <= max, `id ${id} in the vocabulary`);
      }
      assert.equal(typeof tok.decode(ids), 'string');
    }
    for (const s of Object.values(tok.special)) assert.ok(s && Number.isInteger(s.id) && tok.idToToken(s.id) !== undefined);
  },
};

const CONFIG_SEEDS = [
  {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    bos_token_id: 1,
    eos_token_id: [2, 3],
    pad_token_id: 0,
    tie_word_embeddings: false,
  },
  {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: 30,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    hidden_act: 'gelu',
    max_position_embeddings: 32,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    id2label: { 0: 'LABEL_0' },
  },
];

const configReader: FuzzReader = {
  name: 'config.json',
  json: 'whole',
  seeds: CONFIG_SEEDS.map((c) => Buffer.from(JSON.stringify(c, null, 2))),
  async read(input, dir) {
    mkdirSync(join(dir, 'model'), { recursive: true });
    writeFileSync(join(dir, 'model', 'config.json'), input);
    return readHfConfig(join(dir, 'model')).config;
  },
  check(config) {
    const c = config as unknown as Record<string, unknown>;
    for (const f of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'num_labels']) {
      assert.ok(Number.isInteger(c[f]) && (c[f] as number) >= 1, `${f} = ${JSON.stringify(c[f])}`);
    }
    assert.equal((c.hidden_size as number) % (c.num_attention_heads as number), 0);
    for (const f of ['layer_norm_eps', 'rms_norm_eps', 'rope_theta']) if (f in c) assert.ok(Number.isFinite(c[f]), `${f} = ${c[f]}`);
  },
};

/** Every reader the issue names. */
export const READERS: FuzzReader[] = [qrelsReader, runReader, documentsReader, queriesReader, candidatesReader, clicksReader, safetensorsReader, tokenizerReader, configReader];
