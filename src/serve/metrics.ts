// Prometheus metrics of the service (prom-client), in a registry of its own so that two apps in one process
// (tests) do not share counters. GET /metrics serves registry.metrics().
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServeMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status'>;
  latency: Histogram<'route' | 'status'>;
  batchRows: Histogram;
  batchTokens: Histogram;
  inference: Histogram;
  queueDepth: Gauge;
  shed: Counter<'reason'>;
  documents: Counter;
}

export function createMetrics(queueDepth: () => number): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'disranker_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: 'disranker_http_requests_total', help: 'HTTP requests by route, method and status code', labelNames: ['route', 'method', 'status'], registers }),
    latency: new Histogram({
      name: 'disranker_http_request_duration_seconds',
      help: 'HTTP request latency by route and status code',
      labelNames: ['route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    batchRows: new Histogram({ name: 'disranker_batch_size', help: 'documents per model run', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers }),
    batchTokens: new Histogram({
      name: 'disranker_batch_tokens',
      help: 'padded tokens (documents x longest) per model run',
      buckets: [128, 512, 1024, 2048, 4096, 8192, 16384, 32768],
      registers,
    }),
    inference: new Histogram({
      name: 'disranker_inference_duration_seconds',
      help: 'model run time per batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'disranker_queue_depth',
      help: 'documents waiting for the model',
      registers,
      collect() {
        this.set(queueDepth());
      },
    }),
    shed: new Counter({ name: 'disranker_shed_total', help: 'requests refused to protect the service, by reason (queue_full, pressure, timeout, closing)', labelNames: ['reason'], registers }),
    documents: new Counter({ name: 'disranker_documents_total', help: 'documents scored', registers }),
  };
}
