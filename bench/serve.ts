// The rerank service against a bare ONNX Runtime session, in one run (`disranker bench serve`).
//
//   node --import tsx bench/serve.ts [--model EXPORT_DIR] [--docs 100] [--tokens 128] [--threads N]
//        [--requests 8] [--concurrency 1,4,16] [--int8] [--overload-seconds 0] [--overload-factor 10] [--json]
//
// 1. The model: --model, else the reference student (BERT 4 layers, hidden 256, 4 heads, FFN 1024, vocab 30522)
//    with seeded RANDOM weights, saved with the HF-folder saver and exported with `exportOnnx` (needs libtorch
//    and ../shared's bert-base-uncased tokenizer). Random weights do not change the speed.
// 2. One request = one query and `--docs` documents, each input cut to exactly `--tokens` tokens.
// 3. Bare ORT: the same encoded batch through an InferenceSession with the same threads and options, in this
//    process, interleaved with the service's concurrency-1 requests (bare, service, bare, ...).
// 4. The service: `disranker serve` in a child process on 127.0.0.1; a bounded client (N workers, keep-alive)
//    at each concurrency; p50/p99 latency and docs/s.
// 5. --overload-seconds S: requests offered open-loop at --overload-factor × the measured capacity for S seconds;
//    status counts, p50/p99 of admitted requests, the server's RSS at start and end.
// --int8 also exports the int8 model and times it bare against float32 (speed only).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { intFlag, parseThreads } from '../src/util/flags.js';
import * as ort from 'onnxruntime-node';
import { RerankModel, type EncodedRow } from '../src/serve/model.js';
import { sampleDocuments } from '../src/text/sample-text.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    docs: { type: 'string', default: '100' },
    tokens: { type: 'string', default: '128' },
    threads: { type: 'string', default: String(cpus().length) },
    requests: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '1,4,16' },
    int8: { type: 'boolean', default: false },
    'overload-seconds': { type: 'string', default: '0' },
    'overload-factor': { type: 'string', default: '10' },
    'overload-queue-docs': { type: 'string', default: '400' },
    json: { type: 'boolean', default: false },
  },
});
const DOCS = intFlag('--docs', a.docs!, 1);
const TOKENS = intFlag('--tokens', a.tokens!, 8);
const THREADS = parseThreads('--threads', a.threads!);
const log = (s: string) => process.stderr.write(`${s}\n`);
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (x: number, d = 1) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

// ---- 1. the model ----------------------------------------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'dr-bench-serve-'));
async function referenceStudent(quantize?: 'int8'): Promise<string> {
  const { manualSeed } = await import('../src/engine/index.js');
  const { BertForSequenceClassification, bertConfig } = await import('../src/models/bert.js');
  const { saveHfModel } = await import('../src/models/hf.js');
  const { exportOnnx } = await import('../src/models/onnx/export.js');
  const { FIXTURES } = await import('../test/helpers/env.js');
  const hf = join(tmp, 'student');
  manualSeed(0);
  const m = new BertForSequenceClassification(bertConfig({ num_hidden_layers: 4, hidden_size: 256, num_attention_heads: 4, intermediate_size: 1024 }));
  saveHfModel(hf, m);
  m.dispose();
  const out = join(tmp, quantize ? 'onnx-int8' : 'onnx');
  exportOnnx(hf, out, { tokenizer: join(FIXTURES, 'tokenizers', 'bert-base-uncased'), quantize });
  return out;
}
const modelDir = a.model ?? (await referenceStudent());
const model = await RerankModel.load(modelDir, { threads: THREADS, maxLength: TOKENS });
const docs = [...sampleDocuments(DOCS, 300, 400, { seed: 5 })];
const query = 'what is the best way to rank web search results';
const rows: EncodedRow[] = await model.encode(query, docs.map((text) => ({ text })), true);
log(`model ${modelDir}: ${model.meta.architecture}; ${DOCS} docs × ${rows[0].ids.length} tokens; ${THREADS} intra-op threads`);

// ---- 3. bare ORT on the same batch -------------------------------------------------------------------------
async function bareSession(dir: string) {
  // The service's session options (src/serve/model.ts), spinning off included.
  return ort.InferenceSession.create(join(dir, 'model.onnx'), {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}
function feeds(inputs: readonly string[]): Record<string, ort.Tensor> {
  const B = rows.length;
  const T = TOKENS;
  const f: Record<string, BigInt64Array> = { input_ids: new BigInt64Array(B * T), attention_mask: new BigInt64Array(B * T), token_type_ids: new BigInt64Array(B * T) };
  rows.forEach((r, b) =>
    Array.from(r.ids).forEach((id, t) => {
      f.input_ids[b * T + t] = BigInt(id);
      f.attention_mask[b * T + t] = 1n;
      f.token_type_ids[b * T + t] = BigInt(r.typeIds[t]);
    }),
  );
  return Object.fromEntries(inputs.map((n) => [n, new ort.Tensor('int64', f[n], [B, T])]));
}
const bare = await bareSession(modelDir);
const bareFeeds = feeds(bare.inputNames);
async function timeBare(s: ort.InferenceSession, fd: Record<string, ort.Tensor>): Promise<number> {
  const t0 = performance.now();
  await s.run(fd);
  return performance.now() - t0;
}

// ---- 4. the service ----------------------------------------------------------------------------------------
function startServer(extra: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--model', modelDir, '--port', '0', '--threads', String(THREADS), '--max-length', String(TOKENS), ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) res({ child, url: m[1] });
    });
    child.on('exit', (code) => rej(new Error(`serve exited with ${code}`)));
  });
}
let firstError = '';
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const body = JSON.stringify({ query, texts: docs });
function request(url: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((res, rej) => {
    const req = http.request(`${url}/rerank`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (r) => {
      let text = '';
      r.on('data', (d) => (text += d));
      r.on('end', () => {
        if (r.statusCode !== 200 && !firstError) firstError = `${r.statusCode} ${text.slice(0, 200)}`;
        res({ status: r.statusCode ?? 0, ms: performance.now() - t0 });
      });
    });
    req.on('error', rej);
    req.end(body);
  });
}
function metricsOf(url: string): Promise<string> {
  return new Promise((res, rej) =>
    http
      .get(`${url}/metrics`, { agent }, (r) => {
        let text = '';
        r.on('data', (d) => (text += d));
        r.on('end', () => res(text));
      })
      .on('error', rej),
  );
}
const shedOf = (metrics: string) => Object.fromEntries([...metrics.matchAll(/disranker_shed_total\{reason="(\w+)"\} (\d+)/g)].map((m) => [m[1], Number(m[2])]));
function stop(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    child.once('exit', () => res());
    child.kill('SIGTERM');
  });
}
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const server = await startServer([]);
const results: Record<string, unknown> = { load_average_at_start: loadavg().map((x) => round(x, 2)), model: modelDir, architecture: model.meta.architecture, docs: DOCS, tokens: TOKENS, threads: THREADS, host_cores: cpus().length };
try {
  // warm-up: both paths once
  await timeBare(bare, bareFeeds);
  await request(server.url);
  const n = Number(a.requests);
  const bareMs: number[] = [];
  const c1: number[] = [];
  let c1Wall = 0;
  for (let i = 0; i < n; i++) {
    bareMs.push(await timeBare(bare, bareFeeds));
    const t = performance.now();
    const r = await request(server.url);
    c1Wall += performance.now() - t;
    if (r.status !== 200) throw new Error(`status ${r.status}`);
    c1.push(r.ms);
  }
  const levels: Record<string, unknown>[] = [];
  const bareP50 = pct(bareMs, 50);
  levels.push({ concurrency: 1, requests: n, p50_ms: round(pct(c1, 50)), p99_ms: round(pct(c1, 99)), docs_per_s: round((n * DOCS) / (c1Wall / 1000)) });
  log(`bare ORT p50 ${bareP50.toFixed(1)} ms; service c=1 p50 ${pct(c1, 50).toFixed(1)} ms`);
  for (const c of a.concurrency!.split(',').map(Number).filter((x) => x > 1)) {
    const total = Math.max(n, 2 * c);
    const lat: number[] = [];
    const statuses: Record<number, number> = {};
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (next < total) {
          next++;
          const r = await request(server.url);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status === 200) lat.push(r.ms);
        }
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    // docs/s counts answered documents only (a shed request scores nothing)
    levels.push({ concurrency: c, requests: total, statuses, shed_so_far: shedOf(await metricsOf(server.url)), p50_ms: round(pct(lat, 50)), p99_ms: round(pct(lat, 99)), docs_per_s: round((lat.length * DOCS) / wall) });
    log(`service c=${c}: p50 ${pct(lat, 50).toFixed(1)} ms, ${((lat.length * DOCS) / wall).toFixed(1)} docs/s, statuses ${JSON.stringify(statuses)}`);
  }
  results.bare_ort = { runs: n, p50_ms: round(bareP50), p99_ms: round(pct(bareMs, 99)), docs_per_s: round((DOCS * 1000) / bareP50) };
  results.service = levels;
  const l1 = levels[0] as { p50_ms: number; docs_per_s: number };
  const l16 = levels[levels.length - 1] as { docs_per_s: number };
  results.ratio_p50_service_over_bare_c1 = round(l1.p50_ms / bareP50, 3);
  results.ratio_docs_per_s_highest_c_over_c1 = round(l16.docs_per_s / l1.docs_per_s, 3);
  if (firstError) log(`first non-200 answer: ${firstError}`);

  if (a.int8) {
    const dir8 = await referenceStudent('int8');
    const s8 = await bareSession(dir8);
    const f8 = feeds(s8.inputNames);
    await timeBare(s8, f8);
    const ms32: number[] = [];
    const ms8: number[] = [];
    for (let i = 0; i < n; i++) {
      ms32.push(await timeBare(bare, bareFeeds));
      ms8.push(await timeBare(s8, f8));
    }
    results.int8 = { fp32_p50_ms: round(pct(ms32, 50)), int8_p50_ms: round(pct(ms8, 50)), speedup: round(pct(ms32, 50) / pct(ms8, 50), 3) };
    await s8.release();
  }
} finally {
  await stop(server.child);
}

// ---- 5. overload -------------------------------------------------------------------------------------------
const overloadSeconds = Number(a['overload-seconds']);
if (overloadSeconds > 0) {
  const svc = results.service as { docs_per_s: number }[];
  const capacity = Math.max(...svc.map((s) => s.docs_per_s)) / DOCS; // requests/s
  const rate = capacity * Number(a['overload-factor']);
  const srv = await startServer(['--max-queue-docs', a['overload-queue-docs']!]);
  try {
    await request(srv.url);
    const pid = srv.child.pid!;
    const rssStart = rssOf(pid);
    const counts: Record<string, number> = {};
    const admitted: number[] = [];
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    let sent = 0;
    let rssMax = rssStart;
    const rssTimeline: (number | null)[] = []; // MB, once a second
    while (performance.now() - t0 < overloadSeconds * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (sent < due) {
        sent++;
        pending.push(
          request(srv.url).then(
            (r) => {
              counts[r.status] = (counts[r.status] ?? 0) + 1;
              if (r.status === 200) admitted.push(r.ms);
            },
            () => {
              counts.error = (counts.error ?? 0) + 1;
            },
          ),
        );
      }
      const rss = rssOf(pid);
      rssMax = Math.max(rssMax, rss);
      const second = Math.floor((performance.now() - t0) / 1000);
      if (rssTimeline.length <= second) rssTimeline.push(round(rss / 1e6));
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(pending);
    const rssEnd = rssOf(pid);
    const shed = shedOf(await metricsOf(srv.url));
    results.overload = {
      seconds: overloadSeconds,
      offered_req_per_s: round(rate, 2),
      capacity_req_per_s: round(capacity, 2),
      max_queue_docs: Number(a['overload-queue-docs']),
      sent,
      statuses: counts,
      admitted_p50_ms: round(pct(admitted, 50)),
      admitted_p99_ms: round(pct(admitted, 99)),
      shed_by_reason: shed,
      rss_before_load_mb: round(rssStart / 1e6),
      rss_after_10s_mb: rssTimeline[Math.min(10, rssTimeline.length - 1)],
      rss_end_mb: round(rssEnd / 1e6),
      rss_max_mb: round(rssMax / 1e6),
      rss_per_second_mb: rssTimeline,
      server_alive: srv.child.exitCode === null,
    };
  } finally {
    await stop(srv.child);
  }
}

await bare.release();
await model.close();
agent.destroy();
rmSync(tmp, { recursive: true, force: true });
if (firstError) results.first_error = firstError;
results.load_average_at_end = loadavg().map((x) => round(x, 2));
if (a.json) {
  console.log(JSON.stringify(results));
} else {
  console.log(JSON.stringify(results, null, 2));
}
