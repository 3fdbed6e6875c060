// The rerank service as a Fastify app (no listen here: src/serve/server.ts listens, tests use inject()).
//
//   POST /rerank      Text Embeddings Inference: {query, texts, raw_scores, return_text, truncate} → [{index, score, text?}]
//   POST /v1/rerank   Cohere: {query, documents, top_n, return_documents} → {id, results: [{index, relevance_score, document?}], meta}
//   POST /v2/rerank   the same (Cohere's v2 shape is v1's)
//   GET  /health      {status, model, kind, queue_depth}
//   GET  /metrics     Prometheus text format
//
// Every route has JSON schemas for its body and each response status, and every error is `{error, message}`.
// Protection: a body-size cap (413), a documents-per-request cap (413), a token cap per document (truncated, or
// 413 when truncate is false), a bounded queue (429 + Retry-After when full), event-loop pressure
// (@fastify/under-pressure: 503 + Retry-After), a per-request timeout (503), an optional API key (401).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import underPressure from '@fastify/under-pressure';
import { Batcher, ClosedError, QueueFullError, type Job } from './batcher.js';
import { createMetrics, type ServeMetrics } from './metrics.js';
import { TooLongError, type EncodedRow, type RerankDocument } from './model.js';
import { SERVE_DEFAULTS } from './defaults.js';

/** What the app needs from a model (RerankModel, or a stand-in in tests). */
export interface Scorer {
  readonly meta: { architecture: string; kind: string };
  readonly maxLength: number;
  encode(query: string, docs: RerankDocument[], truncate: boolean): Promise<EncodedRow[]>;
  score(rows: EncodedRow[]): Promise<Float32Array>;
}

export interface AppOptions {
  /** Request body bytes at most (413 above). Default 2 MiB. */
  maxBodyBytes?: number;
  /** Documents per request at most (413 above). Default 1000. */
  maxDocuments?: number;
  /** Padded tokens per model run (SERVE_DEFAULTS). */
  maxBatchTokens?: number;
  /** How long a batch may wait to fill. Default 2 ms. */
  maxWaitMs?: number;
  /** Documents waiting for the model at most (429 above). Default 2048. */
  maxQueueDocs?: number;
  /** A request that has not been answered after this long gets 503. Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Event-loop delay above which requests get 503 (under-pressure). Default 1000 ms. */
  maxEventLoopDelayMs?: number;
  /** Required as `Authorization: Bearer <key>` on every route but /health. */
  apiKey?: string;
  /** Fastify logger: false (default), true, or pino options. */
  logger?: boolean | { level: string };
}

/** An error with the HTTP status and `error` code the client sees. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

// ---- schemas ---------------------------------------------------------------------------------------------

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;
const errors = { '4xx': errorSchema, '5xx': errorSchema };

const teiBody = {
  type: 'object',
  required: ['query', 'texts'],
  additionalProperties: false,
  properties: {
    query: { type: 'string', minLength: 1 },
    texts: { type: 'array', minItems: 1, items: { type: 'string' } },
    raw_scores: { type: 'boolean', default: false, description: 'logits instead of sigmoid(logits)' },
    return_text: { type: 'boolean', default: false },
    truncate: { type: 'boolean', default: true, description: 'cut long documents (false: 413 for a document over the token limit)' },
    truncation_direction: { type: 'string', enum: ['Right'], description: 'documents are cut at their end' },
  },
} as const;

const teiResponse = {
  type: 'array',
  items: {
    type: 'object',
    required: ['index', 'score'],
    properties: { index: { type: 'integer' }, score: { type: 'number' }, text: { type: 'string' } },
  },
} as const;

const cohereDocument = {
  anyOf: [
    { type: 'string' },
    {
      type: 'object',
      required: ['text'],
      additionalProperties: false,
      properties: { text: { type: 'string' }, title: { type: 'string' } },
    },
  ],
} as const;

const cohereBody = {
  type: 'object',
  required: ['query', 'documents'],
  additionalProperties: false,
  properties: {
    query: { type: 'string', minLength: 1 },
    documents: { type: 'array', minItems: 1, items: cohereDocument },
    top_n: { type: 'integer', minimum: 1 },
    return_documents: { type: 'boolean', default: false },
    model: { type: 'string', description: 'accepted and ignored: the server serves one model' },
  },
} as const;

const cohereResponse = {
  type: 'object',
  required: ['id', 'results', 'meta'],
  properties: {
    id: { type: 'string' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'relevance_score'],
        properties: {
          index: { type: 'integer' },
          relevance_score: { type: 'number' },
          document: { type: 'object', properties: { text: { type: 'string' }, title: { type: 'string' } } },
        },
      },
    },
    meta: {
      type: 'object',
      properties: {
        api_version: { type: 'object', properties: { version: { type: 'string' } } },
        billed_units: { type: 'object', properties: { search_units: { type: 'integer' } } },
      },
    },
  },
} as const;

const healthResponse = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, model: { type: 'string' }, kind: { type: 'string' }, queue_depth: { type: 'integer' } },
} as const;

interface TeiBody {
  query: string;
  texts: string[];
  raw_scores: boolean;
  return_text: boolean;
  truncate: boolean;
}
interface CohereBody {
  query: string;
  documents: (string | RerankDocument)[];
  top_n?: number;
  return_documents: boolean;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A request's documents are encoded in a first chunk of PIPELINE_MIN_CHUNK documents, then up to PIPELINE_CHUNKS − 1 more. */
const PIPELINE_CHUNKS = 4;
const PIPELINE_MIN_CHUNK = 8;

function sameKey(given: string, key: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(given), h(key));
}

// ---- the app ---------------------------------------------------------------------------------------------

export interface RerankApp {
  app: FastifyInstance;
  batcher: Batcher;
  metrics: ServeMetrics;
}

export async function buildApp(model: Scorer, options: AppOptions = {}): Promise<RerankApp> {
  const o = { ...SERVE_DEFAULTS, ...options };
  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: o.maxBodyBytes,
    requestTimeout: o.requestTimeoutMs,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const m: ServeMetrics = createMetrics(() => batcher.depth); // read at scrape time
  const batcher = new Batcher((rows) => model.score(rows), { maxBatchTokens: o.maxBatchTokens, maxWaitMs: o.maxWaitMs, maxQueueRows: o.maxQueueDocs }, (s) => {
    m.batchRows.observe(s.rows);
    m.batchTokens.observe(s.paddedTokens);
    m.inference.observe(s.seconds);
  });

  // JSON bodies: invalid UTF-8 is an error (the default parser would silently replace it), then Fastify's
  // own parser (prototype-poisoning safe).
  const json = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeAllContentTypeParsers(); // JSON only: other types get 415
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new HttpError(400, 'invalid_utf8', 'the request body is not valid UTF-8'), undefined);
      return;
    }
    json(req, text, done);
  });

  await app.register(underPressure, {
    maxEventLoopDelay: o.maxEventLoopDelayMs,
    retryAfter: 5, // 503 + Retry-After; the error handler below writes the body
  });

  app.addHook('onRequest', async (req) => {
    if (!o.apiKey || req.url === '/health') return;
    const auth = req.headers.authorization;
    if (!auth) throw new HttpError(401, 'unauthorized', 'missing API key: send the header "Authorization: Bearer <key>"');
    const [scheme, key] = auth.split(' ', 2);
    if (scheme.toLowerCase() !== 'bearer' || !key || !sameKey(key, o.apiKey)) throw new HttpError(401, 'unauthorized', 'invalid API key');
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    m.requests.inc({ route, method: req.method, status });
    m.latency.observe({ route, status }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    let status = err.statusCode ?? 500;
    let code = 'internal_error';
    let message = err.message;
    if (err instanceof HttpError) {
      code = err.code;
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    } else if ((err as FastifyError).validation) {
      status = 400;
      code = 'invalid_request';
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      code = 'payload_too_large';
      message = `the request body is larger than ${o.maxBodyBytes} bytes`;
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      code = 'unsupported_media_type';
      message = `${message}; send Content-Type: application/json`;
    } else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      code = 'invalid_json';
    } else if (status === 400 && (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY')) {
      code = 'invalid_json';
      message = `the request body is not valid JSON (${err.message})`;
    } else if (err.code === 'FST_UNDER_PRESSURE') {
      m.shed.inc({ reason: 'pressure' });
      code = 'overloaded';
      message = `the server is under pressure (event loop delay above ${o.maxEventLoopDelayMs} ms); retry later`;
    } else if (status === 503) {
      code = 'overloaded';
    } else if (status < 500) {
      code = 'bad_request';
    }
    if (status >= 500 && !(err instanceof HttpError) && code !== 'overloaded') {
      req.log.error({ err }, 'request failed');
      message = 'internal error';
    }
    void reply.code(status).send({ error: code, message });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  /** Encodes, queues and waits for one request's scores, with the caps and the timeout. */
  async function scoreRequest(reply: FastifyReply, query: string, docs: RerankDocument[], truncate: boolean): Promise<Float32Array> {
    if (docs.length > o.maxDocuments) {
      throw new HttpError(413, 'too_many_documents', `${docs.length} documents in one request, more than the limit of ${o.maxDocuments}; split the request`);
    }
    // Admission before tokenisation: a full queue answers 429 without spending any work on the request.
    try {
      batcher.reserve(docs.length);
    } catch (err) {
      if (err instanceof QueueFullError) {
        m.shed.inc({ reason: 'queue_full' });
        throw new HttpError(429, 'overloaded', `the server is busy: ${err.message}`, { 'Retry-After': String(err.retryAfterSeconds) });
      }
      if (err instanceof ClosedError) {
        m.shed.inc({ reason: 'closing' });
        throw new HttpError(503, 'shutting_down', err.message, { 'Retry-After': '5' });
      }
      throw err;
    }
    // Tokenisation overlaps the model: the documents are encoded in a few chunks (on the tokenizer threads), and
    // each chunk is queued as soon as it is encoded, so the model starts on the first while the rest are encoded.
    // a small first chunk gets the model going soonest; the rest follow in a few larger ones
    const parts: RerankDocument[][] = [];
    const first = Math.min(docs.length, PIPELINE_MIN_CHUNK);
    parts.push(docs.slice(0, first));
    const size = Math.max(PIPELINE_MIN_CHUNK, Math.ceil((docs.length - first) / (PIPELINE_CHUNKS - 1)));
    for (let i = first; i < docs.length; i += size) parts.push(docs.slice(i, i + size));
    const encodings = parts.map((p) => model.encode(query, p, truncate));
    for (const e of encodings) e.catch(() => {}); // awaited below, in order
    const jobs: Job[] = [];
    let submitted = 0;
    try {
      for (let k = 0; k < parts.length; k++) {
        const rows: EncodedRow[] = await encodings[k];
        jobs.push(batcher.submit(rows, parts[k].length));
        submitted += parts[k].length;
      }
    } catch (err) {
      batcher.release(docs.length - submitted);
      for (const j of jobs) j.cancel();
      if (err instanceof TooLongError) throw new HttpError(413, 'document_too_long', err.message);
      throw err;
    }
    const job = {
      cancel: () => jobs.forEach((j) => j.cancel()),
      done: Promise.all(jobs.map((j) => j.done)).then((all) => {
        const out = new Float32Array(docs.length);
        let at = 0;
        for (const a of all) {
          out.set(a, at);
          at += a.length;
        }
        return out;
      }),
    };
    // A client that goes away abandons its queued documents.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) job.cancel();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        job.cancel();
        m.shed.inc({ reason: 'timeout' });
        reject(new HttpError(503, 'timeout', `no answer within ${o.requestTimeoutMs} ms; the server is busy, retry later`, { 'Retry-After': '5' }));
      }, o.requestTimeoutMs);
    });
    try {
      const scores = await Promise.race([job.done, timeout]);
      m.documents.inc(docs.length);
      return scores;
    } finally {
      clearTimeout(timer);
    }
  }

  app.post<{ Body: TeiBody }>('/rerank', { schema: { body: teiBody, response: { 200: teiResponse, ...errors } } }, async (req, reply) => {
    const b = req.body;
    const scores = await scoreRequest(
      reply,
      b.query,
      b.texts.map((text) => ({ text })),
      b.truncate,
    );
    const out = Array.from(scores, (s, index) => ({ index, score: b.raw_scores ? s : sigmoid(s), ...(b.return_text ? { text: b.texts[index] } : {}) }));
    return out.sort((x, y) => y.score - x.score || x.index - y.index);
  });

  for (const version of ['1', '2'] as const) {
    app.post<{ Body: CohereBody }>(`/v${version}/rerank`, { schema: { body: cohereBody, response: { 200: cohereResponse, ...errors } } }, async (req, reply) => {
      const b = req.body;
      const docs = b.documents.map((d) => (typeof d === 'string' ? { text: d } : d));
      const scores = await scoreRequest(reply, b.query, docs, true); // Cohere's API always truncates
      const ranked = Array.from(scores, (s, index) => ({ index, relevance_score: sigmoid(s) })).sort((x, y) => y.relevance_score - x.relevance_score || x.index - y.index);
      const top = ranked.slice(0, b.top_n ?? ranked.length);
      return {
        id: randomUUID(),
        results: top.map((r) => (b.return_documents ? { ...r, document: docs[r.index] } : r)),
        meta: { api_version: { version }, billed_units: { search_units: 1 } },
      };
    });
  }

  app.get('/health', { schema: { response: { 200: healthResponse, ...errors } } }, async () => ({
    status: 'ok',
    model: model.meta.architecture,
    kind: model.meta.kind,
    queue_depth: batcher.depth,
  }));

  app.get(
    '/metrics',
    { config: { pressureHandler: () => undefined }, schema: { response: { 200: { type: 'string' }, ...errors } } },
    async (_req, reply) => {
      void reply.header('Content-Type', m.registry.contentType);
      return m.registry.metrics();
    },
  );

  // Shutdown: Fastify stops accepting and waits for in-flight requests; their responses carry
  // `Connection: close` so keep-alive sockets do not hold the close open; then the queue is drained.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) void reply.header('Connection', 'close');
  });
  app.addHook('onClose', async () => {
    await batcher.drain();
  });

  return { app, batcher, metrics: m };
}
