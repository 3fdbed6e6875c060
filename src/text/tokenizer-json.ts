// The parts of Hugging Face's `tokenizer.json` schema that we read and write. Field names are HF's.

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export type TemplatePiece =
  | { SpecialToken: { id: string; type_id: number } }
  | { Sequence: { id: 'A' | 'B'; type_id: number } };

export interface TemplateProcessingJson {
  type: 'TemplateProcessing';
  single: TemplatePiece[];
  pair: TemplatePiece[];
  special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }>;
}

/** A `tokenizer.json` document. Components we do not interpret stay `unknown`. */
export interface TokenizerJson {
  version: string;
  truncation: unknown;
  padding: unknown;
  added_tokens: AddedTokenJson[];
  normalizer: any;
  pre_tokenizer: any;
  post_processor: any;
  decoder: any;
  model: any;
}

export function addedToken(id: number, content: string, special = true): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special };
}

/** TemplateProcessing for `[CLS] A [SEP]` / `[CLS] A [SEP] B:1 [SEP]:1` (BERT) given the two tokens. */
export function bertTemplate(cls: string, clsId: number, sep: string, sepId: number): TemplateProcessingJson {
  const sp = (id: string, type_id: number): TemplatePiece => ({ SpecialToken: { id, type_id } });
  const seq = (id: 'A' | 'B', type_id: number): TemplatePiece => ({ Sequence: { id, type_id } });
  return {
    type: 'TemplateProcessing',
    single: [sp(cls, 0), seq('A', 0), sp(sep, 0)],
    pair: [sp(cls, 0), seq('A', 0), sp(sep, 0), seq('B', 1), sp(sep, 1)],
    special_tokens: {
      [cls]: { id: cls, ids: [clsId], tokens: [cls] },
      [sep]: { id: sep, ids: [sepId], tokens: [sep] },
    },
  };
}

/** JSON text as the `tokenizers` library writes it (2-space indent; vocab order = id order). */
export function stringifyTokenizerJson(doc: TokenizerJson): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
