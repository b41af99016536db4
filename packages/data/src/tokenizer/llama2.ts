import { TokenizerError } from '../errors.js';
import {
  checkId,
  type DecodeOptions,
  decodeWith,
  type EncodeOptions,
  isSpecial,
  type SpecialIds,
  StreamingDecoder,
  splitSpecial,
  type Tokenizer,
  wrapSpecial,
} from './tokenizer.js';

const NAME = 'llama2.c';
// Layout of llama2.c vocabularies: 0 <unk>, 1 bos, 2 eos, then 256 byte-fallback tokens <0x00>..<0xFF>.
const BYTE_OFFSET = 3;

/**
 * The llama2.c vocabulary format (`tok512.bin`, `tokenizer.bin`): SentencePiece BPE pieces with
 * scores and byte fallback, encoded the way llama2.c's `encode()` does it.
 *
 * File layout, little-endian: int32 max_token_len, then per token float32 score, int32 byte length,
 * and that many bytes.
 */
export class Llama2Tokenizer implements Tokenizer {
  readonly name = NAME;
  readonly special: SpecialIds = { unk: 0, bos: 1, eos: 2 };
  readonly vocabSize: number;
  readonly maxTokenLength: number;
  /** Piece bytes as a latin1 string (one char per byte), so lookups compare bytes exactly. */
  private readonly pieces: string[];
  private readonly scores: Float32Array;
  private readonly ids = new Map<string, number>();
  private readonly spaceId: number | undefined;

  private constructor(maxTokenLength: number, pieces: string[], scores: Float32Array) {
    this.maxTokenLength = maxTokenLength;
    this.pieces = pieces;
    this.scores = scores;
    this.vocabSize = pieces.length;
    // When a piece appears twice the first id wins; tok512.bin has no duplicates.
    for (let id = pieces.length - 1; id >= 0; id--) this.ids.set(pieces[id], id);
    this.spaceId = this.ids.get(' ');
  }

  /** Reads a llama2.c tokenizer file. `vocabSize`, when given, must match the number of records. */
  static fromBytes(bytes: Uint8Array, options: { vocabSize?: number } = {}): Llama2Tokenizer {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 4)
      throw new TokenizerError(NAME, `file has ${bytes.byteLength} bytes, fewer than the 4-byte header`);
    const maxTokenLength = view.getInt32(0, true);
    const pieces: string[] = [];
    const scores: number[] = [];
    let offset = 4;
    while (offset < bytes.byteLength) {
      if (offset + 8 > bytes.byteLength) {
        throw new TokenizerError(
          NAME,
          `record ${pieces.length} at byte ${offset} is cut off (needs 8 header bytes, ${bytes.byteLength - offset} left)`,
        );
      }
      const score = view.getFloat32(offset, true);
      const length = view.getInt32(offset + 4, true);
      offset += 8;
      if (length < 0 || offset + length > bytes.byteLength) {
        throw new TokenizerError(
          NAME,
          `record ${pieces.length} declares ${length} bytes but ${bytes.byteLength - offset} remain`,
        );
      }
      pieces.push(latin1(bytes.subarray(offset, offset + length)));
      scores.push(score);
      offset += length;
    }
    if (options.vocabSize !== undefined && options.vocabSize !== pieces.length) {
      throw new TokenizerError(
        NAME,
        `file holds ${pieces.length} tokens but the model expects vocab_size ${options.vocabSize}`,
      );
    }
    checkByteFallback(pieces);
    return new Llama2Tokenizer(maxTokenLength, pieces, Float32Array.from(scores));
  }

  /** Returns the piece of `id` as text, for inspection. Byte tokens read `<0xNN>`. */
  piece(id: number): string {
    checkId(NAME, id, this.vocabSize);
    return new TextDecoder().decode(fromLatin1(this.pieces[id]));
  }

  score(id: number): number {
    checkId(NAME, id, this.vocabSize);
    return this.scores[id];
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    // The vocabulary has no textual special tokens: text that spells "<s>" is ordinary text.
    splitSpecial(NAME, text, new Map(), options.allowedSpecial);
    // bos takes part in merging, as in llama2.c, so the ids match it exactly.
    const ids: number[] = options.bos ? [this.special.bos!] : [];
    if (text.length > 0 && !options.continuation) {
      // llama2.c adds SentencePiece's dummy prefix: a leading space before non-empty text.
      if (this.spaceId !== undefined) ids.push(this.spaceId);
      else ids.push(BYTE_OFFSET + 0x20);
    }
    for (const char of utf8Characters(text)) {
      const id = this.ids.get(char);
      if (id !== undefined) ids.push(id);
      else for (let i = 0; i < char.length; i++) ids.push(BYTE_OFFSET + char.charCodeAt(i));
    }
    return wrapSpecial(NAME, this.special, this.merge(ids), { eos: options.eos });
  }

  /**
   * Repeatedly merges the adjacent pair whose concatenation is the highest-scoring piece, taking the
   * leftmost pair on equal scores, until no pair merges. A heap of candidate pairs gives the same
   * result as llama2.c's full rescan after every merge, in O(n log n).
   */
  private merge(initial: number[]): number[] {
    const n = initial.length;
    const id = Int32Array.from(initial);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const version = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    const offer = (left: number): void => {
      const right = next[left];
      if (left < 0 || right < 0) return;
      const merged = this.ids.get(this.pieces[id[left]] + this.pieces[id[right]]);
      if (merged !== undefined)
        heap.push({ score: this.scores[merged], left, right, merged, lv: version[left], rv: version[right] });
    };
    for (let i = 0; i + 1 < n; i++) offer(i);

    for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
      const stale =
        !alive[c.left] ||
        !alive[c.right] ||
        next[c.left] !== c.right ||
        version[c.left] !== c.lv ||
        version[c.right] !== c.rv;
      if (stale) continue;
      id[c.left] = c.merged;
      version[c.left]++;
      alive[c.right] = 0;
      next[c.left] = next[c.right];
      if (next[c.right] >= 0) prev[next[c.right]] = c.left;
      offer(prev[c.left]);
      offer(c.left);
    }

    const out: number[] = [];
    for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push(id[i]);
    return out;
  }

  tokenBytes(id: number, previous: number, options: DecodeOptions = {}): Uint8Array {
    checkId(NAME, id, this.vocabSize);
    if ((options.skipSpecial ?? true) && isSpecial(this.special, id)) return new Uint8Array(0);
    if (id >= BYTE_OFFSET && id < BYTE_OFFSET + 256) return Uint8Array.of(id - BYTE_OFFSET);
    let piece = this.pieces[id];
    // As llama2.c's decode(): the first piece after bos drops the dummy prefix space.
    if (previous === this.special.bos && piece.startsWith(' ')) piece = piece.slice(1);
    return fromLatin1(piece);
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return decodeWith(this, ids, options);
  }

  decoder(options: DecodeOptions = {}): StreamingDecoder {
    return new StreamingDecoder(this, options);
  }
}

interface Candidate {
  score: number;
  left: number;
  right: number;
  merged: number;
  lv: number;
  rv: number;
}

/** Max-heap on score; equal scores pop the leftmost pair first (node indices keep text order). */
class PairHeap {
  private items: Candidate[] = [];

  push(c: Candidate): void {
    const a = this.items;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): Candidate | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && before(a[l], a[best])) best = l;
        if (r < a.length && before(a[r], a[best])) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best], a[i]];
        i = best;
      }
    }
    return top;
  }
}

function before(x: Candidate, y: Candidate): boolean {
  return x.score > y.score || (x.score === y.score && x.left < y.left);
}

/** Yields each UTF-8 character of `text` as a latin1 string of its 1-4 bytes. */
function* utf8Characters(text: string): Generator<string> {
  const bytes = new TextEncoder().encode(text);
  let start = 0;
  for (let i = 1; i <= bytes.length; i++) {
    // A character ends before the next byte that is not a continuation byte (10xxxxxx).
    if (i === bytes.length || (bytes[i] & 0xc0) !== 0x80 || i - start >= 4) {
      yield latin1(bytes.subarray(start, i));
      start = i;
    }
  }
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function checkByteFallback(pieces: readonly string[]): void {
  if (pieces.length < BYTE_OFFSET + 256) {
    throw new TokenizerError(
      NAME,
      `file holds ${pieces.length} tokens, fewer than the 259 that <unk>, bos, eos and 256 byte tokens need`,
    );
  }
  for (let b = 0; b < 256; b++) {
    const expected = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    if (pieces[BYTE_OFFSET + b] !== expected) {
      throw new TokenizerError(
        NAME,
        `id ${BYTE_OFFSET + b} is "${pieces[BYTE_OFFSET + b]}", expected byte-fallback piece ${expected}; this is not a llama2.c vocabulary`,
      );
    }
  }
}
