// report.html: one self-contained static page (no script, no network) that a person reads instead of logs. The
// plots are Vega-Lite specifications compiled and rendered to SVG here in Node (vega's headless renderer), then
// inlined; tables hold the numbers. The input is report.json's object (docs/pipeline.md) plus the series the
// plots need: loss curves and (teacher, student) score pairs.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Random } from '../util/random.js';

/** report.json (see docs/pipeline.md); only the fields the page reads are typed. */
export interface PipelineReport {
  preset: string;
  seed: number;
  test: {
    queries: number;
    runs: Record<string, Record<string, number | null>>;
    comparisons: { run: string; baseline: string; metric: string; delta: number | null; ci95?: (number | null)[]; p: number | null; p_holm: number | null; significant?: boolean }[];
    per_query?: Record<string, Record<string, Record<string, number | null>>>;
    skipped_variants?: Record<string, string>;
  };
  latency_ms_per_100: { teacher: number | null; student: number | null; student_onnx: number | null; student_variant?: string | null };
  stages: Record<string, { status: string; seconds: number; reason?: string; [k: string]: unknown }>;
  [k: string]: unknown;
}

export interface ReportPlotsData {
  /** training losses as logged (metrics.jsonl), one series per training stage */
  losses: { stage: string; step: number; loss: number }[];
  /** test pairs scored by the teacher and a student */
  scores: { teacher: number; student: number }[];
  /** the student of the scatter */
  scatterStudent: string;
}

export const PLOTS = ['ndcg-by-variant', 'pnr-by-variant', 'loss-curves', 'teacher-vs-student', 'latency', 'wins-losses'] as const;

/** Mean and 95% percentile-bootstrap interval of the mean of `xs` (NaN/null dropped). */
export function bootstrapMean(xs: (number | null)[], rounds = 2000, seed = 7): { mean: number; lo: number; hi: number; n: number } {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, n };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const rng = new Random(seed);
  const means: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[rng.int(n)];
    means.push(s / n);
  }
  means.sort((a, b) => a - b);
  return { mean, lo: means[Math.floor(0.025 * (rounds - 1))], hi: means[Math.ceil(0.975 * (rounds - 1))], n };
}

const WIDTH = 520;

function byVariantSpec(title: string, rows: { variant: string; mean: number; lo: number; hi: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH,
    data: { values: rows },
    encoding: { y: { field: 'variant', type: 'nominal', sort: null, title: null } },
    layer: [
      { mark: { type: 'bar', color: '#8fb3d9' }, encoding: { x: { field: 'mean', type: 'quantitative', title: `${title} (mean, 95% bootstrap CI)`, scale: { domain: [0, 1] } } } },
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { x: { field: 'hi', type: 'quantitative' }, text: { field: 'mean', type: 'quantitative', format: '.3f' } } },
    ],
  } as TopLevelSpec;
}

function specs(report: PipelineReport, data: ReportPlotsData): Record<(typeof PLOTS)[number], TopLevelSpec | string> {
  const pq = report.test.per_query ?? {};
  const variants = Object.keys(report.test.runs);
  const ci = (metric: string) =>
    variants.map((v) => {
      const b = bootstrapMean(Object.values(pq[v]?.[metric] ?? {}));
      return { variant: v, mean: b.mean, lo: b.lo, hi: b.hi };
    });
  const lat = report.latency_ms_per_100;
  const latRows = [
    { model: 'teacher (libtorch)', ms: lat.teacher },
    { model: `student (libtorch${lat.student_variant ? `, ${lat.student_variant}` : ''})`, ms: lat.student },
    { model: 'student (ONNX Runtime)', ms: lat.student_onnx },
  ].filter((r) => r.ms !== null && r.ms !== undefined);
  const hybrid = pq['student-hybrid']?.ndcg_cut_10;
  const labels = pq['student-labels']?.ndcg_cut_10;
  const wins =
    hybrid && labels
      ? Object.keys(hybrid)
          .filter((q) => hybrid[q] !== null && labels[q] !== null && labels[q] !== undefined)
          .map((q) => ({ qid: q, delta: (hybrid[q] as number) - (labels[q] as number) }))
          .sort((a, b) => b.delta - a.delta)
          .map((r, i) => ({ ...r, rank: i + 1, outcome: r.delta > 0 ? 'hybrid wins' : r.delta < 0 ? 'label-only wins' : 'tie' }))
      : [];
  return {
    'ndcg-by-variant': variants.length ? byVariantSpec('nDCG@10', ci('ndcg_cut_10')) : 'no evaluated variant',
    'pnr-by-variant': variants.length ? byVariantSpec('PNR (pair accuracy per query)', ci('pnr_pair_acc')) : 'no evaluated variant',
    'loss-curves': data.losses.length
      ? ({
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          title: 'training loss by stage (as logged)',
          data: { values: data.losses },
          facet: { field: 'stage', type: 'nominal', title: null, sort: [...new Set(data.losses.map((l) => l.stage))] },
          columns: 3,
          spec: { width: 220, height: 130, mark: { type: 'line', point: false }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative', scale: { zero: false } } } },
          resolve: { scale: { x: 'independent', y: 'independent' } },
        } as TopLevelSpec)
      : 'no training stage ran',
    'teacher-vs-student': data.scores.length
      ? ({
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          title: `teacher vs ${data.scatterStudent} scores on the test candidates`,
          width: 360,
          height: 360,
          data: { values: data.scores },
          mark: { type: 'point', filled: true, opacity: 0.35, size: 12 },
          encoding: { x: { field: 'teacher', type: 'quantitative', scale: { zero: false } }, y: { field: 'student', type: 'quantitative', scale: { zero: false } } },
        } as TopLevelSpec)
      : 'no teacher or no distilled student',
    latency: latRows.length
      ? ({
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          title: 'latency per 100 candidates (one batch, median)',
          width: WIDTH,
          data: { values: latRows },
          encoding: { y: { field: 'model', type: 'nominal', sort: null, title: null } },
          layer: [
            { mark: { type: 'bar', color: '#d9a98f' }, encoding: { x: { field: 'ms', type: 'quantitative', title: 'ms per 100 candidates' } } },
            { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { x: { field: 'ms', type: 'quantitative' }, text: { field: 'ms', type: 'quantitative', format: '.1f' } } },
          ],
        } as TopLevelSpec)
      : 'no latency measured',
    'wins-losses': wins.length
      ? ({
          $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
          title: 'per test query: nDCG@10 of student-hybrid minus student-labels',
          width: WIDTH,
          data: { values: wins },
          mark: 'bar',
          encoding: {
            x: { field: 'rank', type: 'ordinal', axis: null, title: 'test queries, sorted' },
            y: { field: 'delta', type: 'quantitative', title: 'Δ nDCG@10' },
            color: { field: 'outcome', type: 'nominal', scale: { domain: ['hybrid wins', 'tie', 'label-only wins'], range: ['#3a8a3a', '#999999', '#b03a2e'] } },
            tooltip: [{ field: 'qid' }, { field: 'delta', format: '.3f' }],
          },
        } as TopLevelSpec)
      : 'no hybrid or no label-only student',
  };
}

/** A Vega-Lite specification as an SVG string (rendered headless, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const num = (v: unknown, d = 4) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');

function table(head: string[], rows: unknown[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export async function reportHtml(report: PipelineReport, data: ReportPlotsData): Promise<string> {
  const plots: string[] = [];
  for (const [name, spec] of Object.entries(specs(report, data))) {
    const body = typeof spec === 'string' ? `<p class="empty">${esc(spec)}</p>` : await renderSvg(spec);
    plots.push(`<figure class="plot" data-plot="${name}" data-empty="${typeof spec === 'string'}">${body}</figure>`);
  }
  const metrics = ['ndcg_cut_5', 'ndcg_cut_10', 'map', 'recip_rank', 'pnr'];
  const runs = table(['variant', ...metrics], Object.entries(report.test.runs).map(([v, m]) => [esc(v), ...metrics.map((k) => num(m[k]))]));
  const shown = report.test.comparisons.filter((c) => c.metric === 'ndcg_cut_10' || c.metric === 'pnr_pair_acc');
  const comps = table(
    ['run', 'baseline', 'metric', 'Δ', '95% CI', 'p', 'p (Holm)'],
    shown.map((c) => [esc(c.run), esc(c.baseline), esc(c.metric), num(c.delta), c.ci95 ? `[${num(c.ci95[0])}, ${num(c.ci95[1])}]` : '–', num(c.p), `${num(c.p_holm)}${c.significant ? ' *' : ''}`]),
  );
  const stages = table(
    ['stage', 'status', 'seconds', 'note'],
    Object.entries(report.stages).map(([s, r]) => [esc(s), esc(r.status), num(r.seconds, 1), esc(r.reason ?? '')]),
  );
  const skipped = Object.entries(report.test.skipped_variants ?? {});
  const lat = report.latency_ms_per_100;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>disranker pipeline report (${esc(report.preset)}, seed ${esc(report.seed)})</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:.25em .7em;text-align:right}
td:first-child,th:first-child{text-align:left}figure.plot{margin:1em 0 2em}p.empty{color:#777;font-style:italic}
.note{background:#fff7e0;border-left:4px solid #e0b000;padding:.5em 1em}
</style></head><body>
<h1>disranker pipeline report</h1>
<p>preset <b>${esc(report.preset)}</b>, seed <b>${esc(report.seed)}</b>; ${esc(report.test.queries)} test queries. Every variant is shown as measured.</p>
${skipped.length ? `<p class="note">Not evaluated: ${skipped.map(([v, why]) => `<b>${esc(v)}</b> (${esc(why)})`).join('; ')}</p>` : ''}
<h2>Test metrics</h2>${runs}
<h2>Comparisons (paired permutation test, Holm within each group; * p<sub>Holm</sub> &lt; 0.05)</h2>${comps}
<h2>Plots</h2>${plots.join('\n')}
<h2>Latency per 100 candidates</h2><p>teacher ${num(lat.teacher, 1)} ms, student ${num(lat.student, 1)} ms, ONNX student ${num(lat.student_onnx, 1)} ms${lat.teacher && lat.student ? ` (teacher / student: ${(lat.teacher / lat.student).toFixed(1)}×)` : ''}.</p>
<h2>Stages</h2>${stages}
</body></html>
`;
}
