// A small, slow, independent encoder for the tokenizer.json layouts our trainers write (and that
// bert-base-uncased and gpt2 use): BertNormalizer + BertPreTokenizer + WordPiece, and
// ByteLevel + BPE. The loader (tokenizer.ts) runs @huggingface/tokenizers; this file shares no code
// with it, so tests can check that both read a trained tokenizer.json the same way.
// Returns ids without special tokens (no post-processor).
import { DisrankerError } from '../util/errors.js';
import { bertNormalize, bertPreTokenize, byteLevelPreTokenize } from './pre-tokenize.js';
import type { TokenizerJson } from './tokenizer-json.js';

function unsupported(what: string): never {
  throw new DisrankerError('DR_ERR_INPUT', `reference encoder: unsupported ${what}`);
}

export class ReferenceEncoder {
  private readonly vocab: Map<string, number>;
  private readonly added: Array<{ content: string; id: number }>;
  private readonly ranks = new Map<string, number>();
  private readonly kind: 'WordPiece' | 'BPE';

  constructor(private readonly doc: TokenizerJson) {
    const model = doc.model;
    this.vocab = new Map(Object.entries(model.vocab as Record<string, number>));
    this.added = doc.added_tokens.map((t) => ({ content: t.content, id: t.id })).sort((a, b) => b.content.length - a.content.length);
    if (model.type === 'WordPiece' || (model.type === undefined && model.continuing_subword_prefix !== undefined && !model.merges)) {
      this.kind = 'WordPiece';
    } else if (model.type === 'BPE' || (model.type === undefined && model.merges)) {
      this.kind = 'BPE';
      if (model.byte_fallback) unsupported('BPE byte_fallback');
      (model.merges as Array<string | [string, string]>).forEach((m, i) => {
        const [a, b] = typeof m === 'string' ? m.split(' ') : m;
        this.ranks.set(`${a} ${b}`, i);
      });
    } else {
      unsupported(`model ${model.type}`);
    }
    const n = doc.normalizer;
    if (n !== null && n?.type !== 'BertNormalizer') unsupported(`normalizer ${n?.type}`);
    const p = doc.pre_tokenizer?.type;
    if (p !== 'BertPreTokenizer' && p !== 'ByteLevel') unsupported(`pre_tokenizer ${p}`);
  }

  /** Ids of `text`, without special tokens. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const piece of this.splitAdded(text)) {
      if (typeof piece === 'number') out.push(piece);
      else for (const word of this.preTokenize(piece)) out.push(...this.model(word));
    }
    return out;
  }

  /** Split on added tokens (longest first, leftmost match). */
  private splitAdded(text: string): Array<string | number> {
    const parts: Array<string | number> = [];
    let start = 0;
    let i = 0;
    while (i < text.length) {
      const hit = this.added.find((t) => text.startsWith(t.content, i));
      if (hit) {
        if (i > start) parts.push(text.slice(start, i));
        parts.push(hit.id);
        i += hit.content.length;
        start = i;
      } else {
        i++;
      }
    }
    if (start < text.length) parts.push(text.slice(start));
    return parts;
  }

  private preTokenize(text: string): string[] {
    const n = this.doc.normalizer;
    const s = n ? bertNormalize(text, n) : text;
    const p = this.doc.pre_tokenizer;
    return p.type === 'BertPreTokenizer' ? bertPreTokenize(s) : byteLevelPreTokenize(s, p.add_prefix_space ?? false);
  }

  private model(word: string): number[] {
    return this.kind === 'WordPiece' ? this.wordPiece(word) : this.bpe(word);
  }

  private wordPiece(word: string): number[] {
    const m = this.doc.model;
    const unk = this.vocab.get(m.unk_token)!;
    const prefix: string = m.continuing_subword_prefix ?? '##';
    const chars = Array.from(word);
    if (chars.length > (m.max_input_chars_per_word ?? 100)) return [unk];
    const ids: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const sub = (start > 0 ? prefix : '') + chars.slice(start, end).join('');
        found = this.vocab.get(sub);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [unk];
      ids.push(found);
      start = end;
    }
    return ids;
  }

  /** Textbook BPE: repeatedly merge every occurrence of the lowest-ranked adjacent pair. */
  private bpe(word: string): number[] {
    let syms = Array.from(word);
    for (;;) {
      let best = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.ranks.get(`${syms[i]} ${syms[i + 1]}`);
        if (r !== undefined && r < best) best = r;
      }
      if (best === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && this.ranks.get(`${syms[i]} ${syms[i + 1]}`) === best) {
          next.push(syms[i] + syms[i + 1]);
          i++;
        } else {
          next.push(syms[i]);
        }
      }
      syms = next;
    }
    return syms.map((s) => {
      const id = this.vocab.get(s);
      if (id === undefined) unsupported(`symbol ${JSON.stringify(s)} missing from the vocab`);
      return id;
    });
  }
}
