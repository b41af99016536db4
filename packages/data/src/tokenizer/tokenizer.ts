import { TokenizerError } from '../errors.js';

/** Options for `Tokenizer.encode`. */
export interface EncodeOptions {
  /** Prepend the beginning-of-sequence id (an error if the vocabulary has none). */
  bos?: boolean;
  /** Append the end-of-sequence id (an error if the vocabulary has none). */
  eos?: boolean;
  /**
   * Special-token strings that text may spell out and that then become control ids. By default no
   * text is ever read as a control token: `"a<|endoftext|>b"` encodes as ordinary characters, since
   * reading it as the control id would let data inject sequence boundaries.
   */
  allowedSpecial?: 'all' | readonly string[];
  /**
   * The text continues earlier text, so a SentencePiece-style tokenizer adds no dummy prefix space.
   * Tokenizers without a dummy prefix ignore it.
   */
  continuation?: boolean;
}

export interface DecodeOptions {
  /** Drop bos/eos/pad/unk ids from the text (default true). */
  skipSpecial?: boolean;
}

/** Control ids of a vocabulary; a field is absent when the vocabulary has no such token. */
export interface SpecialIds {
  bos?: number;
  eos?: number;
  pad?: number;
  unk?: number;
}

/** One interface over the llama2.c, GPT-2 and byte vocabularies. */
export interface Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly special: SpecialIds;
  encode(text: string, options?: EncodeOptions): number[];
  /** Joins the bytes of every token and decodes them as UTF-8 once, so split characters survive. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** The raw bytes token `id` contributes to the text when it follows `previous` (-1 at the start). */
  tokenBytes(id: number, previous: number, options?: DecodeOptions): Uint8Array;
  /** A decoder for ids that arrive one at a time, as during generation. */
  decoder(options?: DecodeOptions): StreamingDecoder;
}

const EMPTY = new Uint8Array(0);

/**
 * Turns a stream of ids into text, holding back the bytes of a character that is not complete yet.
 * `push` returns only text that can no longer change; `flush` returns the rest at the end.
 */
export class StreamingDecoder {
  private previous = -1;
  // ignoreBOM keeps a U+FEFF that the tokens spell out, so streaming matches a whole decode.
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly options: DecodeOptions = {},
  ) {}

  push(ids: number | readonly number[]): string {
    const list = typeof ids === 'number' ? [ids] : ids;
    let text = '';
    for (const id of list) {
      const bytes = this.tokenizer.tokenBytes(id, this.previous, this.options);
      this.previous = id;
      if (bytes.length > 0) text += this.utf8.decode(bytes, { stream: true });
    }
    return text;
  }

  /** Ends the stream: incomplete trailing bytes become U+FFFD, as a whole-sequence decode would. */
  flush(): string {
    this.previous = -1;
    return this.utf8.decode(EMPTY);
  }
}

/** Shared decode logic: concatenate token bytes, then decode UTF-8 once. */
export function decodeWith(
  tokenizer: Tokenizer,
  ids: readonly number[],
  options: DecodeOptions = {},
): string {
  const parts: Uint8Array[] = [];
  let total = 0;
  let previous = -1;
  for (const id of ids) {
    const bytes = tokenizer.tokenBytes(id, previous, options);
    previous = id;
    parts.push(bytes);
    total += bytes.length;
  }
  // ignoreBOM: a leading U+FEFF is part of the text the ids encode, not a marker to drop.
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(concatBytes(parts, total));
}

export function concatBytes(
  parts: readonly Uint8Array[],
  total = parts.reduce((n, p) => n + p.length, 0),
): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function checkId(tokenizer: string, id: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new TokenizerError(
      tokenizer,
      `id ${id} is outside the vocabulary [0, ${vocabSize}); check the ids come from this tokenizer`,
    );
  }
}

export function isSpecial(special: SpecialIds, id: number): boolean {
  return id === special.bos || id === special.eos || id === special.pad || id === special.unk;
}

/** Adds bos/eos around encoded ids, failing when the vocabulary lacks the requested id. */
export function wrapSpecial(
  tokenizer: string,
  special: SpecialIds,
  ids: number[],
  options: EncodeOptions,
): number[] {
  if (options.bos) {
    if (special.bos === undefined)
      throw new TokenizerError(tokenizer, 'has no bos id; encode without {bos: true}');
    ids.unshift(special.bos);
  }
  if (options.eos) {
    if (special.eos === undefined)
      throw new TokenizerError(tokenizer, 'has no eos id; encode without {eos: true}');
    ids.push(special.eos);
  }
  return ids;
}

/** A piece of text between special tokens, or one special token that `allowedSpecial` admits. */
export type TextSegment = { text: string } | { special: number };

/**
 * Splits text at the special-token strings the caller allows. Strings that are not allowed stay
 * ordinary text; an allowed name the vocabulary does not know is an error.
 */
export function splitSpecial(
  tokenizer: string,
  text: string,
  specials: ReadonlyMap<string, number>,
  allowed: EncodeOptions['allowedSpecial'],
): TextSegment[] {
  if (allowed === undefined || (allowed !== 'all' && allowed.length === 0)) return [{ text }];
  const names = allowed === 'all' ? [...specials.keys()] : [...allowed];
  for (const name of names) {
    if (!specials.has(name)) {
      throw new TokenizerError(
        tokenizer,
        `allowedSpecial names "${name}", which is not one of its special tokens (${[...specials.keys()].join(', ') || 'none'})`,
      );
    }
  }
  const segments: TextSegment[] = [];
  let start = 0;
  let cursor = 0;
  while (cursor < text.length) {
    const name = names.find((n) => n.length > 0 && text.startsWith(n, cursor));
    if (name === undefined) {
      cursor++;
      continue;
    }
    if (cursor > start) segments.push({ text: text.slice(start, cursor) });
    segments.push({ special: specials.get(name)! });
    cursor += name.length;
    start = cursor;
  }
  if (start < text.length) segments.push({ text: text.slice(start) });
  return segments;
}
