// `disranker serve --model DIR`: the rerank service (TEI's /rerank, Cohere's /v1|v2/rerank, /health, /metrics)
// over an ONNX export folder. Needs onnxruntime-node and the tokenizer only, no libtorch.
import type { Command } from 'commander';
import { DisrankerError } from '../../util/errors.js';
import { intFlag } from '../../util/flags.js';
import { SERVE_DEFAULTS as D } from '../../serve/defaults.js';

interface ServeFlags {
  model: string;
  host: string;
  port: string;
  threads?: string;
  tokenizerThreads?: string;
  apiKey?: string;
  maxBatchTokens: string;
  maxWaitMs: string;
  maxQueueDocs: string;
  maxDocuments: string;
  maxBodyBytes: string;
  maxLength?: string;
  requestTimeoutMs: string;
  maxEventLoopDelayMs: string;
  logLevel: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve an ONNX export folder over HTTP: POST /rerank (TEI), /v1/rerank and /v2/rerank (Cohere), GET /health, /metrics')
    .requiredOption('--model <dir>', "export folder written by 'disranker export onnx'")
    .option('--host <host>', 'address to bind (0.0.0.0 to accept other hosts)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '8080')
    .option('--threads <n>', 'intra-op threads of the ONNX Runtime session (default: the host cores)')
    .option('--tokenizer-threads <n>', 'tokenizer worker threads, 0 = on the event loop (default: 1 up to 4 cores, else cores / 4, at most 4)')
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" (default: $DISRANKER_API_KEY, else no key)')
    .option('--max-batch-tokens <n>', 'padded tokens per model run', String(D.maxBatchTokens))
    .option('--max-wait-ms <n>', 'how long a batch waits to fill', String(D.maxWaitMs))
    .option('--max-queue-docs <n>', 'documents waiting at most; more gets 429 + Retry-After', String(D.maxQueueDocs))
    .option('--max-documents <n>', 'documents per request at most (413 above)', String(D.maxDocuments))
    .option('--max-body-bytes <n>', 'request body bytes at most (413 above)', String(D.maxBodyBytes))
    .option('--max-length <n>', 'tokens per (query, document) input, special tokens included (default: min(512, the model limit))')
    .option('--request-timeout-ms <n>', 'answer 503 to a request still waiting after this long', String(D.requestTimeoutMs))
    .option('--max-event-loop-delay-ms <n>', 'answer 503 + Retry-After while the event loop lags more than this', String(D.maxEventLoopDelayMs))
    .option('--log-level <level>', 'request log level: fatal, error, warn, info, debug', 'warn')
    .action(async (f: ServeFlags) => {
      const opts = {
        host: f.host,
        port: intFlag('--port', f.port),
        threads: f.threads === undefined ? undefined : intFlag('--threads', f.threads, 1),
        tokenizerThreads: f.tokenizerThreads === undefined ? undefined : intFlag('--tokenizer-threads', f.tokenizerThreads),
        apiKey: f.apiKey ?? (process.env.DISRANKER_API_KEY || undefined),
        maxBatchTokens: intFlag('--max-batch-tokens', f.maxBatchTokens, 1),
        maxWaitMs: intFlag('--max-wait-ms', f.maxWaitMs),
        maxQueueDocs: intFlag('--max-queue-docs', f.maxQueueDocs, 1),
        maxDocuments: intFlag('--max-documents', f.maxDocuments, 1),
        maxBodyBytes: intFlag('--max-body-bytes', f.maxBodyBytes, 1024),
        maxLength: f.maxLength === undefined ? undefined : intFlag('--max-length', f.maxLength, 8),
        requestTimeoutMs: intFlag('--request-timeout-ms', f.requestTimeoutMs, 1),
        maxEventLoopDelayMs: intFlag('--max-event-loop-delay-ms', f.maxEventLoopDelayMs, 1),
      };
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(f.logLevel)) {
        throw new DisrankerError('DR_ERR_USAGE', `--log-level: expected fatal, error, warn, info, debug or trace, got "${f.logLevel}"`);
      }
      const { startServer } = await import('../../serve/server.js');
      const s = await startServer(f.model, { ...opts, logger: { level: f.logLevel } });
      const m = s.model;
      console.log(
        `disranker serve: ${m.meta.architecture} (${m.meta.kind}${m.meta.quantize ? `, ${m.meta.quantize}` : ''}) from ${f.model} on ${s.url}` +
          ` (${m.threads} ORT threads, ${m.tokenizerThreads} tokenizer threads, max length ${m.maxLength}, API key ${opts.apiKey ? 'required' : 'off'})`,
      );
      await s.closed;
      console.log('disranker serve: shut down (in-flight requests finished)');
    });
}
