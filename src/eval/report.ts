// Evaluation reports: an aligned text table (default), Markdown, or JSON.
//
// JSON: {"runs": {"<run path>": {"<metric>": mean, ..., "num_q": n, "per_query"?: {"<qid>": {"<metric>": v}}}},
//        "comparisons": [{run, baseline, metric, delta, p_ttest, p_permutation, ci95, n, p_holm, significant}]}
// Numbers keep full precision; Infinity prints as "inf" and an undefined value (NaN) as null.
import type { Comparison } from './compare.js';
import { PNR_LEFT_OUT, type RunEvaluation } from './evaluate.js';

export interface ReportInput {
  /** Run names (file paths), the first is the baseline. */
  names: string[];
  evals: RunEvaluation[];
  /** Summary entries to show, in order (see `summaryNames`). */
  summaryMetrics: string[];
  /** Per-query series, in order (see `perQueryNames`). */
  perQueryMetrics: string[];
  comparisons: Comparison[];
  perQuery: boolean;
  /** Missing queries count as 0 (trec_eval -c). */
  complete: boolean;
  alpha: number;
  permutations: number;
  seed: number;
}

// ---- JSON ----

function jsonNumber(v: number): number | string | null {
  if (Number.isNaN(v)) return null;
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return v;
}

export function reportJson(r: ReportInput): string {
  const runs: Record<string, Record<string, unknown>> = {};
  r.names.forEach((name, i) => {
    const e = r.evals[i];
    const entry: Record<string, unknown> = {};
    for (const m of r.summaryMetrics) entry[m] = jsonNumber(e.summary.get(m) as number);
    entry.num_q = e.queries.length;
    if (r.perQuery) {
      const pq: Record<string, Record<string, unknown>> = {};
      e.queries.forEach((qid, qi) => {
        const row: Record<string, unknown> = {};
        for (const m of r.perQueryMetrics) row[m] = jsonNumber((e.perQuery.get(m) as Float64Array)[qi]);
        pq[qid] = row;
      });
      entry.per_query = pq;
    }
    runs[name] = entry;
  });
  const comparisons = r.comparisons.map((c) => ({
    run: c.run,
    baseline: c.baseline,
    metric: c.metric,
    delta: jsonNumber(c.delta),
    p_ttest: jsonNumber(c.p_ttest),
    p_permutation: jsonNumber(c.p_permutation),
    ci95: c.ci95.map(jsonNumber),
    n: c.n,
    p_holm: jsonNumber(c.p_holm),
    significant: c.significant,
  }));
  return JSON.stringify({ runs, comparisons }, null, 2) + '\n';
}

// ---- tables ----

const queries = (n: number) => `${n} ${n === 1 ? 'query' : 'queries'}`;

export function fmt(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'n/a';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return v.toFixed(digits);
}

export function fmtP(p: number): string {
  if (Number.isNaN(p)) return 'n/a';
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}

export function fmtSigned(v: number): string {
  return Number.isFinite(v) && v >= 0 ? `+${fmt(v)}` : fmt(v);
}

/** Render rows as an aligned text table, or as a Markdown table. `right`: columns to right-align. */
export function renderTable(header: string[], rows: string[][], markdown: boolean, right: boolean[]): string {
  if (markdown) {
    const esc = (s: string) => s.trim().replace(/\|/g, '\\|');
    const lines = [
      `| ${header.map(esc).join(' | ')} |`,
      `|${right.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`,
      ...rows.map((row) => `| ${row.map(esc).join(' | ')} |`),
    ];
    return lines.join('\n') + '\n';
  }
  const widths = header.map((h, c) => Math.max([...h].length, ...rows.map((row) => [...row[c]].length)));
  const pad = (s: string, c: number) => {
    const gap = ' '.repeat(widths[c] - [...s].length);
    return right[c] ? gap + s : s + gap;
  };
  const line = (cells: string[]) => cells.map(pad).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

/** The readable report: means per run (with significance marks), the comparison table, notes, per-query tables. */
export function reportTable(r: ReportInput, markdown: boolean): string {
  const parts: string[] = [];
  const shown = r.summaryMetrics.filter((m) => m !== PNR_LEFT_OUT);
  const multi = r.names.length > 1;
  const sig = new Map<string, Comparison>();
  for (const c of r.comparisons) sig.set(`${c.run}\u0000${c.metric}`, c);

  // Means.
  const header = ['run', ...shown, 'queries'];
  const rows = r.names.map((name, i) => {
    const e = r.evals[i];
    const cells = shown.map((m) => {
      const v = fmt(e.summary.get(m) as number);
      if (!multi) return v;
      const c = sig.get(`${name}\u0000${m}`);
      if (!c || !c.significant) return `${v}  `;
      return `${v} ${c.delta > 0 ? '▲' : '▼'}`;
    });
    return [multi && i === 0 ? `${name} (baseline)` : name, ...cells, String(e.queries.length)];
  });
  parts.push(renderTable(header, rows, markdown, [false, ...shown.map(() => true), true]));
  if (multi) {
    const tested = r.comparisons.length > 0;
    const holmNote = r.names.length > 2 ? `, Holm-corrected over the ${r.names.length - 1} runs compared` : '';
    parts.push(
      tested
        ? `\n▲/▼: significantly better/worse than the baseline at α = ${r.alpha} (paired randomization test, ` +
            `${r.permutations} permutations, seed ${r.seed}${holmNote}).\n`
        : '',
    );
    // Comparisons.
    const cHeader = ['run', 'metric', 'n', 'delta', '95% CI', 'p t-test', 'p perm.', 'p Holm', 'sig.'];
    const cRows = r.comparisons.map((c) => [
      c.run,
      c.metric,
      String(c.n),
      fmtSigned(c.delta),
      `[${fmtSigned(c.ci95[0])}, ${fmtSigned(c.ci95[1])}]`,
      fmtP(c.p_ttest),
      fmtP(c.p_permutation),
      fmtP(c.p_holm),
      c.significant ? (c.delta > 0 ? '▲' : '▼') : '',
    ]);
    parts.push(
      `\nComparison with the baseline ${r.names[0]} (delta = mean of run − baseline per query):\n\n` +
        renderTable(cHeader, cRows, markdown, [false, false, true, true, false, true, true, true, false]),
    );
  }
  // Notes on the query sets and PNR.
  const notes: string[] = [];
  r.names.forEach((name, i) => {
    const e = r.evals[i];
    if (e.skipped.length) notes.push(`${name}: ${queries(e.skipped.length)} not in the qrels skipped`);
    if (e.missing.length) {
      const how = r.complete ? 'counted as 0' : 'left out; --complete counts them as 0';
      notes.push(`${name}: ${queries(e.missing.length)} of the qrels without results (${how})`);
    }
    if (e.pnr && e.pnr.queriesLeftOut > 0) {
      notes.push(`${name}: pnr_pair_acc leaves out ${queries(e.pnr.queriesLeftOut)} with no pair of differently labelled judged documents`);
    }
  });
  if (r.summaryMetrics.includes(PNR_LEFT_OUT)) {
    notes.push('pnr = pooled ΣC/ΣD over all queries; pnr_pair_acc = mean per-query C/(C+D) (score ties count ½)');
  }
  if (notes.length) parts.push('\n' + notes.map((n) => `note: ${n}`).join('\n') + '\n');

  // Per query.
  if (r.perQuery) {
    r.names.forEach((name, i) => {
      const e = r.evals[i];
      const pqRows = e.queries.map((qid, qi) => [
        qid,
        ...r.perQueryMetrics.map((m) => fmt((e.perQuery.get(m) as Float64Array)[qi])),
      ]);
      parts.push(
        `\nPer query: ${name}\n\n` +
          renderTable(['qid', ...r.perQueryMetrics], pqRows, markdown, [false, ...r.perQueryMetrics.map(() => true)]),
      );
    });
  }
  return parts.join('');
}
