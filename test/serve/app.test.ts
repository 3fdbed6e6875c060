// The rerank routes through Fastify's inject(): TEI and Cohere shapes, scores that match the model, metrics, and
// every bad request answered with a 4xx and a clear {error, message} while the app keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { need } from '../helpers/env.js';
import { loadOrt, ortMissingReason } from '../helpers/ort.js';
import { writeTinyExport } from './fixture.js';

let dir = '';
let app: FastifyInstance | undefined;
let keyed: FastifyInstance | undefined;
let model: import('../../src/serve/model.js').RerankModel | undefined;
const KEY = 'sekret-key';

before(async () => {
  if (!(await loadOrt())) return;
  const { RerankModel } = await import('../../src/serve/model.js');
  const { buildApp } = await import('../../src/serve/app.js');
  dir = writeTinyExport(mkdtempSync(join(tmpdir(), 'dr-serve-')));
  model = await RerankModel.load(dir, { threads: 1 });
  app = (await buildApp(model, { maxDocuments: 50 })).app;
  keyed = (await buildApp(model, { apiKey: KEY })).app;
});

after(async () => {
  await app?.close();
  await keyed?.close();
  await model?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ready = async (t: import('node:test').TestContext) => need(t, (await loadOrt()) !== null, ortMissingReason());
const DOCS = ['the ka to ri men', 'sa lo ter in on', 'pro dis ing ed al tion', 'the ka'];

/** A request that must succeed: the app still serves. */
async function stillServes(a: FastifyInstance = app!, headers: Record<string, string> = {}): Promise<void> {
  const r = await a.inject({ method: 'POST', url: '/rerank', headers, payload: { query: 'the ka', texts: DOCS } });
  assert.equal(r.statusCode, 200, r.body);
}

function assertError(r: { statusCode: number; body: string; headers: Record<string, unknown> }, status: number, code: string, message: RegExp): void {
  assert.equal(r.statusCode, status, r.body);
  assert.match(String(r.headers['content-type']), /application\/json/);
  const body = JSON.parse(r.body) as { error: string; message: string };
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
  assert.equal(body.error, code);
  assert.match(body.message, message);
}

test('POST /rerank (TEI shape): sorted by score, sigmoid unless raw_scores, text on request; scores equal the model run on the same pairs', async (t) => {
  if (!(await ready(t))) return;
  const r = await app!.inject({ method: 'POST', url: '/rerank', payload: { query: 'the ka', texts: DOCS, raw_scores: true, return_text: true } });
  assert.equal(r.statusCode, 200, r.body);
  const out = r.json() as { index: number; score: number; text: string }[];
  assert.equal(out.length, DOCS.length);
  for (let i = 1; i < out.length; i++) assert.ok(out[i - 1].score >= out[i].score, 'sorted by score');
  assert.deepEqual(out.map((o) => o.index).sort(), [0, 1, 2, 3]);
  for (const o of out) assert.equal(o.text, DOCS[o.index]);
  const direct = await model!.score(await model!.encode('the ka', DOCS.map((text) => ({ text })), true));
  for (const o of out) assert.ok(Math.abs(o.score - direct[o.index]) < 1e-6, 'raw score = the model alone (batching changes nothing)');
  const s = (await app!.inject({ method: 'POST', url: '/rerank', payload: { query: 'the ka', texts: DOCS } })).json() as { index: number; score: number; text?: string }[];
  for (const o of s) {
    assert.ok(Math.abs(o.score - 1 / (1 + Math.exp(-direct[o.index]))) < 1e-6, 'sigmoid by default');
    assert.equal(o.text, undefined, 'no text unless return_text');
  }
});

for (const v of ['v1', 'v2']) {
  test(`POST /${v}/rerank (Cohere shape): strings, {text} and {title, text}; top_n; return_documents; meta`, async (t) => {
    if (!(await ready(t))) return;
    const documents = ['the ka to ri men', { text: 'sa lo ter in on' }, { title: 'pro dis', text: 'ing ed al tion' }];
    const r = await app!.inject({ method: 'POST', url: `/${v}/rerank`, payload: { model: 'ignored', query: 'the ka', documents, top_n: 2, return_documents: true } });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json() as { id: string; results: { index: number; relevance_score: number; document: { text: string; title?: string } }[]; meta: { api_version: { version: string } } };
    assert.equal(body.results.length, 2);
    assert.ok(body.results[0].relevance_score >= body.results[1].relevance_score);
    assert.ok(body.results.every((x) => x.relevance_score > 0 && x.relevance_score < 1));
    const want = documents.map((d) => (typeof d === 'string' ? { text: d } : d));
    for (const x of body.results) assert.deepEqual(x.document, want[x.index]);
    assert.equal(body.meta.api_version.version, v.slice(1));
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    const plain = (await app!.inject({ method: 'POST', url: `/${v}/rerank`, payload: { query: 'the ka', documents } })).json() as typeof body;
    assert.equal(plain.results.length, 3);
    assert.ok(plain.results.every((x) => x.document === undefined));
  });
}

test('GET /health and GET /metrics (request counts, latency histograms by route and status, batch sizes, queue depth)', async (t) => {
  if (!(await ready(t))) return;
  const h = await app!.inject({ method: 'GET', url: '/health' });
  assert.equal(h.statusCode, 200);
  assert.deepEqual(h.json(), { status: 'ok', model: 'BertForSequenceClassification', kind: 'cross-encoder', queue_depth: 0 });
  await stillServes();
  await app!.inject({ method: 'POST', url: '/rerank', payload: { query: 1 } });
  const m = await app!.inject({ method: 'GET', url: '/metrics' });
  assert.equal(m.statusCode, 200);
  assert.match(String(m.headers['content-type']), /text\/plain/);
  for (const re of [
    /disranker_http_requests_total\{route="\/rerank",method="POST",status="200"\} \d+/,
    /disranker_http_requests_total\{route="\/rerank",method="POST",status="400"\} \d+/,
    /disranker_http_request_duration_seconds_bucket\{le="0.1",route="\/rerank",status="200"\} \d+/,
    /disranker_batch_size_count \d+/,
    /disranker_batch_tokens_sum \d+/,
    /disranker_queue_depth 0/,
    /disranker_process_resident_memory_bytes \d+/,
  ]) {
    assert.match(m.body, re);
  }
});

test('bad requests get a 4xx with a clear message, and the app keeps serving after each', async (t) => {
  if (!(await ready(t))) return;
  const json = { 'content-type': 'application/json' };
  const cases: [string, () => Promise<LightMyRequestResponse>, number, string, RegExp][] = [
    ['malformed JSON', () => app!.inject({ method: 'POST', url: '/rerank', headers: json, payload: '{"query": "a", "texts": [' }), 400, 'invalid_json', /not valid JSON/],
    ['query of the wrong type', () => app!.inject({ method: 'POST', url: '/rerank', payload: { query: 42, texts: ['a'] } }), 400, 'invalid_request', /body\/query must be string/],
    ['texts not an array', () => app!.inject({ method: 'POST', url: '/rerank', payload: { query: 'q', texts: 'a' } }), 400, 'invalid_request', /body\/texts must be array/],
    ['a document of the wrong type', () => app!.inject({ method: 'POST', url: '/v1/rerank', payload: { query: 'q', documents: [{ body: 'x' }] } }), 400, 'invalid_request', /documents/],
    ['missing query', () => app!.inject({ method: 'POST', url: '/v2/rerank', payload: { documents: ['a'] } }), 400, 'invalid_request', /must have required property 'query'/],
    ['an unknown field', () => app!.inject({ method: 'POST', url: '/rerank', payload: { query: 'q', texts: ['a'], colour: 'red' } }), 400, 'invalid_request', /additional properties/],
    ['top_n 0', () => app!.inject({ method: 'POST', url: '/v1/rerank', payload: { query: 'q', documents: ['a'], top_n: 0 } }), 400, 'invalid_request', /top_n must be >= 1/],
    ['empty documents', () => app!.inject({ method: 'POST', url: '/v1/rerank', payload: { query: 'q', documents: [] } }), 400, 'invalid_request', /documents must NOT have fewer than 1 items/],
    ['empty texts', () => app!.inject({ method: 'POST', url: '/rerank', payload: { query: 'q', texts: [] } }), 400, 'invalid_request', /texts must NOT have fewer than 1 items/],
    ['10 000 documents', () => app!.inject({ method: 'POST', url: '/v1/rerank', payload: { query: 'q', documents: Array(10_000).fill('a b') } }), 413, 'too_many_documents', /10000 documents in one request, more than the limit of 50/],
    ['a 10 MB body', () => app!.inject({ method: 'POST', url: '/rerank', headers: json, payload: JSON.stringify({ query: 'q', texts: ['x'.repeat(10 * 1024 * 1024)] }) }), 413, 'payload_too_large', /larger than 2097152 bytes/],
    ['invalid UTF-8', () => app!.inject({ method: 'POST', url: '/rerank', headers: json, payload: Buffer.concat([Buffer.from('{"query": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('", "texts": ["a"]}')]) }), 400, 'invalid_utf8', /not valid UTF-8/],
    ['a document over the token limit with truncate false', () => app!.inject({ method: 'POST', url: '/rerank', payload: { query: 'q', texts: ['the ka to '.repeat(100)], truncate: false } }), 413, 'document_too_long', /document 0 has \d+ tokens with the query, more than the limit of 64; shorten it or set truncate to true/],
    ['form data', () => app!.inject({ method: 'POST', url: '/rerank', headers: { 'content-type': 'text/plain' }, payload: 'query=q' }), 415, 'unsupported_media_type', /application\/json/],
    ['an unknown route', () => app!.inject({ method: 'POST', url: '/v3/rerank', payload: {} }), 404, 'not_found', /no route POST \/v3\/rerank/],
  ];
  for (const [name, send, status, code, message] of cases) {
    const r = await send();
    t.diagnostic(`${name}: ${r.statusCode} ${r.body.slice(0, 160)}`);
    assertError(r, status, code, message);
    await stillServes();
  }
  // Truncation is the default: the same long document is scored.
  const ok = await app!.inject({ method: 'POST', url: '/rerank', payload: { query: 'q', texts: ['the ka to '.repeat(100)] } });
  assert.equal(ok.statusCode, 200, ok.body);
});

test('API key: 401 without it or with a wrong one, 200 with it; /health stays open', async (t) => {
  if (!(await ready(t))) return;
  const payload = { query: 'q', texts: ['a'] };
  assertError(await keyed!.inject({ method: 'POST', url: '/rerank', payload }), 401, 'unauthorized', /missing API key: send the header "Authorization: Bearer <key>"/);
  assertError(await keyed!.inject({ method: 'POST', url: '/v1/rerank', headers: { authorization: 'Bearer nope' }, payload: { query: 'q', documents: ['a'] } }), 401, 'unauthorized', /invalid API key/);
  assertError(await keyed!.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Basic ${KEY}` } }), 401, 'unauthorized', /invalid API key/);
  await stillServes(keyed!, { authorization: `Bearer ${KEY}` });
  assert.equal((await keyed!.inject({ method: 'GET', url: '/health' })).statusCode, 200);
});
