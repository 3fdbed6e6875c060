// A position-based click model (PBM) estimated by EM from a click log, for debiasing clicks:
//
//   P(click at position k on (q,d)) = θ_k · γ_qd      θ_k: examination propensity, γ_qd: attractiveness ("relevance")
//
// EM (Chuklin, Markov & de Rijke 2015, "Click Models for Web Search", §4.2), on counts aggregated by (q, d, k):
//   E-step for a non-click: P(E=1,R=0 | C=0) = θ(1−γ)/(1−θγ),  P(E=0,R=1 | C=0) = (1−θ)γ/(1−θγ); a click: E=R=1.
//   M-step: θ_k = mean over rows at k of P(E=1 | ·),  γ_qd = mean over rows of (q,d) of P(R=1 | ·).
// θ is reported relative to position 1 (`propensity`), which is what inverse-propensity weighting uses.
import type { Impression } from '../schema.js';

export interface PbmModel {
  /** θ_k for k = 1.. (index 0 = position 1). */
  examination: number[];
  /** θ_k / θ_1. */
  propensity: number[];
  /** γ_qd by `${qid}\t${docid}`. */
  relevance: Map<string, number>;
  iterations: number;
}

export const pairKey = (qid: string, docid: string): string => `${qid}\t${docid}`;

export async function estimatePbm(impressions: AsyncIterable<Impression>, iterations = 30): Promise<PbmModel> {
  const rowIndex = new Map<string, number>();
  const pairIndex = new Map<string, number>();
  const rowPair: number[] = [];
  const rowPos: number[] = [];
  const rowN: number[] = [];
  const rowC: number[] = [];
  let maxPos = 0;
  for await (const imp of impressions) {
    for (const r of imp.results) {
      const pk = pairKey(imp.qid, r.docid);
      let p = pairIndex.get(pk);
      if (p === undefined) pairIndex.set(pk, (p = pairIndex.size));
      const rk = `${p}\t${r.position}`;
      let i = rowIndex.get(rk);
      if (i === undefined) {
        rowIndex.set(rk, (i = rowPair.length));
        rowPair.push(p);
        rowPos.push(r.position - 1);
        rowN.push(0);
        rowC.push(0);
      }
      rowN[i]++;
      if (r.clicked) rowC[i]++;
      if (r.position > maxPos) maxPos = r.position;
    }
  }
  const theta = Array.from({ length: maxPos }, () => 0.5);
  let gamma = new Float64Array(pairIndex.size).fill(0.5);
  for (let it = 0; it < iterations; it++) {
    const numT = new Float64Array(maxPos);
    const denT = new Float64Array(maxPos);
    const numG = new Float64Array(gamma.length);
    const denG = new Float64Array(gamma.length);
    for (let i = 0; i < rowPair.length; i++) {
      const p = rowPair[i];
      const k = rowPos[i];
      const t = theta[k];
      const g = gamma[p];
      const n = rowN[i];
      const c = rowC[i];
      const z = Math.max(1e-12, 1 - t * g);
      numT[k] += c + ((n - c) * t * (1 - g)) / z;
      denT[k] += n;
      numG[p] += c + ((n - c) * (1 - t) * g) / z;
      denG[p] += n;
    }
    for (let k = 0; k < maxPos; k++) theta[k] = denT[k] > 0 ? clamp(numT[k] / denT[k]) : theta[k];
    const next = new Float64Array(gamma.length);
    for (let p = 0; p < gamma.length; p++) next[p] = clamp(numG[p] / denG[p]);
    gamma = next;
  }
  const relevance = new Map<string, number>();
  for (const [k, p] of pairIndex) relevance.set(k, gamma[p]);
  return { examination: theta, propensity: theta.map((t) => t / theta[0]), relevance, iterations };
}

function clamp(x: number): number {
  return Math.min(1 - 1e-6, Math.max(1e-6, x));
}
