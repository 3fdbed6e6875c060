// Canonical records of a disranker data set, each with its zod schema. Field by field in docs/formats.md.
import { z } from 'zod';

/** An id: non-empty, no whitespace (TREC files are whitespace-separated). */
export const Id = z.string().min(1, 'must not be empty').regex(/^\S+$/, 'must not contain whitespace');

/** A document (web page / passage): what a search result shows. MS MARCO passages have `title: ""`. */
export const DocumentSchema = z.object({
  docid: Id,
  title: z.string(),
  summary: z.string(),
  url: z.string().default(''),
});
export type Document = z.output<typeof DocumentSchema>;

/** A query. `intent` is optional (the synthetic world sets it: navigational, informational, entity). */
export const QuerySchema = z.object({
  qid: Id,
  text: z.string().min(1, 'must not be empty'),
  intent: z.string().optional(),
});
export type Query = z.output<typeof QuerySchema>;

/** A graded relevance judgment (the JSONL form; on disk in a data set judgments are TREC qrels). */
export const JudgmentSchema = z.object({
  qid: Id,
  docid: Id,
  label: z.number().int('must be an integer'),
});
export type Judgment = z.output<typeof JudgmentSchema>;

export const HitSchema = z.object({
  docid: Id,
  rank: z.number().int('must be an integer').min(1, 'must be >= 1'),
  score: z.number(),
});
export type Hit = z.output<typeof HitSchema>;

/** One query's candidate list (first-stage retrieval result), best first. */
export const CandidateListSchema = z
  .object({
    qid: Id,
    hits: z.array(HitSchema),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.hits.forEach((h, i) => {
      if (seen.has(h.docid)) ctx.addIssue({ code: 'custom', path: ['hits', i, 'docid'], message: `duplicate docid "${h.docid}" in the list` });
      seen.add(h.docid);
    });
  });
export type CandidateList = z.output<typeof CandidateListSchema>;

export const ShownResultSchema = z.object({
  position: z.number().int('must be an integer').min(1, 'must be >= 1'),
  docid: Id,
  title: z.string(),
  summary: z.string(),
  url: z.string().default(''),
  clicked: z.boolean(),
  /** Seconds on the page after the click; 0 when not clicked. */
  dwell: z.number().min(0, 'must be >= 0'),
});
export type ShownResult = z.output<typeof ShownResultSchema>;

/** One search-result page shown to a user: the query and the results in order, with clicks and dwell times. */
export const ImpressionSchema = z
  .object({
    id: Id,
    qid: Id,
    query: z.string().min(1, 'must not be empty'),
    results: z.array(ShownResultSchema).min(1, 'must list at least one result'),
  })
  .superRefine((imp, ctx) => {
    imp.results.forEach((r, i) => {
      if (r.position !== i + 1) ctx.addIssue({ code: 'custom', path: ['results', i, 'position'], message: `expected ${i + 1} (results are listed in order)` });
      if (!r.clicked && r.dwell !== 0) ctx.addIssue({ code: 'custom', path: ['results', i, 'dwell'], message: 'must be 0 for a result that was not clicked' });
    });
  });
export type Impression = z.output<typeof ImpressionSchema>;

export const LabelRangeSchema = z
  .object({
    min: z.number().int(),
    max: z.number().int(),
    /** Optional names, index 0 = `min` (e.g. TREC: irrelevant, related, highly relevant, perfectly relevant). */
    names: z.array(z.string()).optional(),
  })
  .refine((r) => r.min < r.max, { message: 'min must be below max', path: ['max'] });
export type LabelRange = z.output<typeof LabelRangeSchema>;

export const MetaSchema = z.object({
  format: z.literal('disranker-dataset'),
  version: z.literal(1),
  name: z.string(),
  labels: LabelRangeSchema,
  /** Where the data came from: importer format, input path(s), or the synthetic generator's preset and seed. */
  provenance: z.record(z.string(), z.unknown()),
  /** Counts at writing time (informational; readers recount). */
  counts: z.record(z.string(), z.number()).default({}),
  /** Which optional files are present. */
  files: z.array(z.string()),
  created: z.string().optional(),
});
export type Meta = z.output<typeof MetaSchema>;

export const LABELS_TREC: LabelRange = { min: 0, max: 3, names: ['irrelevant', 'related', 'highly relevant', 'perfectly relevant'] };
export const LABELS_BINARY: LabelRange = { min: 0, max: 1, names: ['not an answer', 'answer'] };
export const LABELS_SYNTH: LabelRange = { min: 0, max: 4, names: ['bad', 'fair', 'good', 'excellent', 'perfect'] };

/** Parse `0-3` into a label range. */
export function parseLabelRange(text: string): LabelRange {
  const m = /^(-?\d+)-(-?\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) >= Number(m[2])) throw new Error(`expected a label range like 0-3, got "${text}"`);
  return { min: Number(m[1]), max: Number(m[2]) };
}
