// The service's defaults, written once, in a file that imports nothing: `disranker serve --help` shows them
// without loading Fastify or ONNX Runtime.
export const SERVE_DEFAULTS = {
  maxBodyBytes: 2 * 1024 * 1024,
  maxDocuments: 1000,
  /** padded tokens per model run: on CPU, batches of 16-32 rows of 128 tokens run faster per row than 128 rows
   * (bench/serve.ts's model: 386 against 436 ms per 100 documents), so the default keeps batches there */
  maxBatchTokens: 4096,
  maxWaitMs: 2,
  maxQueueDocs: 2048,
  requestTimeoutMs: 30_000,
  maxEventLoopDelayMs: 1000,
} as const;
