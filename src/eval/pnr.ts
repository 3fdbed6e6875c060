// PNR, the positive-negative ratio: how often a run's scores order two documents of the same query like their
// labels do.
//
// Over all pairs (i, j) of documents of one query with label_i > label_j, both retrieved by the run and both judged
// (label ≥ 0 in the qrels; unjudged documents form no pairs):
//   concordant C += 1 if score_i > score_j,  discordant D += 1 if score_i < score_j,  a score tie adds ½ to each.
// Reported two ways:
//   pooled     PNR = ΣC / ΣD over all queries          (Infinity when ΣD = 0; NaN when there is no pair at all)
//   per query  pair accuracy C / (C + D), averaged over the queries that have at least one pair; the queries
//              without a pair are left out of that mean and counted.
// PNR uses the graded labels directly: the relevance level (-l) does not apply.

export interface PairCounts {
  /** Concordant pairs (ties count ½). */
  concordant: number;
  /** Discordant pairs (ties count ½). */
  discordant: number;
}

/** Count the pairs of one query. `scores`: the run's docid -> score; `judged`: the qrels' docid -> label. */
export function pairCounts(scores: Map<string, number> | undefined, judged: Map<string, number>): PairCounts {
  // Scores of the retrieved judged documents, grouped by label.
  const byLabel = new Map<number, number[]>();
  if (scores) {
    for (const [docid, score] of scores) {
      const label = judged.get(docid);
      if (label === undefined || label < 0) continue;
      let list = byLabel.get(label);
      if (!list) byLabel.set(label, (list = []));
      list.push(score);
    }
  }
  const levels = [...byLabel.keys()].sort((a, b) => b - a);
  const sorted = levels.map((l) => Float64Array.from(byLabel.get(l) as number[]).sort());
  let concordant = 0;
  let discordant = 0;
  // For each higher level a and lower level b: count score pairs (x in a, y in b) with x > y, x = y, x < y.
  for (let a = 0; a < levels.length; a++) {
    for (let b = a + 1; b < levels.length; b++) {
      const lower = sorted[b];
      for (const x of sorted[a]) {
        const below = lowerBound(lower, x); // y < x
        const notAbove = upperBound(lower, x); // y ≤ x
        const ties = notAbove - below;
        concordant += below + ties / 2;
        discordant += lower.length - notAbove + ties / 2;
      }
    }
  }
  return { concordant, discordant };
}

/** First index with a[i] >= x. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with a[i] > x. */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Pair accuracy C / (C + D) of one query, or undefined when the query has no pair. */
export function pairAccuracy(c: PairCounts): number | undefined {
  const n = c.concordant + c.discordant;
  return n > 0 ? c.concordant / n : undefined;
}

export interface PnrSummary {
  /** ΣC / ΣD (Infinity when ΣD = 0 and there are pairs; NaN when there is no pair at all). */
  pooled: number;
  /** Mean pair accuracy over the queries with at least one pair (NaN when none has). */
  meanPairAccuracy: number;
  /** Queries with at least one pair. */
  queriesWithPairs: number;
  /** Queries left out of the mean pair accuracy because they have no pair. */
  queriesLeftOut: number;
  totalConcordant: number;
  totalDiscordant: number;
}

export function summarizePnr(perQuery: Iterable<PairCounts>): PnrSummary {
  let c = 0;
  let d = 0;
  let accSum = 0;
  let withPairs = 0;
  let leftOut = 0;
  for (const q of perQuery) {
    c += q.concordant;
    d += q.discordant;
    const acc = pairAccuracy(q);
    if (acc === undefined) leftOut++;
    else {
      accSum += acc;
      withPairs++;
    }
  }
  const pooled = c + d === 0 ? NaN : d === 0 ? Infinity : c / d;
  return {
    pooled,
    meanPairAccuracy: withPairs > 0 ? accSum / withPairs : NaN,
    queriesWithPairs: withPairs,
    queriesLeftOut: leftOut,
    totalConcordant: c,
    totalDiscordant: d,
  };
}
