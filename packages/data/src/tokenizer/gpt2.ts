import bpeRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import r50k from 'gpt-tokenizer/encoding/r50k_base';
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

const NAME = 'gpt2';
const END_OF_TEXT = '<|endoftext|>';
const END_OF_TEXT_ID = 50256;
const NO_SPECIALS = new Set<string>();

/**
 * GPT-2 byte-level BPE (the r50k_base ranks shipped inside the `gpt-tokenizer` package; nothing is
 * downloaded). `<|endoftext|>` (50256) serves as both bos and eos, as in GPT-2 training.
 *
 * The special-token policy is applied here, not by `gpt-tokenizer`. In gpt-tokenizer 4.0.0,
 * `allowedSpecial` finds a special token only at the very start of the text (its pattern is sticky).
 * So text is split at allowed special strings first, and every piece is encoded as ordinary text.
 */
export class Gpt2Tokenizer implements Tokenizer {
  readonly name = NAME;
  readonly vocabSize = r50k.vocabularySize;
  readonly special: SpecialIds = { bos: END_OF_TEXT_ID, eos: END_OF_TEXT_ID };
  private readonly specials = new Map([[END_OF_TEXT, END_OF_TEXT_ID]]);
  private readonly bytesCache = new Map<number, Uint8Array>();

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    for (const segment of splitSpecial(NAME, text, this.specials, options.allowedSpecial)) {
      if ('special' in segment) ids.push(segment.special);
      else ids.push(...r50k.encode(segment.text, { disallowedSpecial: NO_SPECIALS }));
    }
    return wrapSpecial(NAME, this.special, ids, options);
  }

  tokenBytes(id: number, _previous: number, options: DecodeOptions = {}): Uint8Array {
    checkId(NAME, id, this.vocabSize);
    if (isSpecial(this.special, id)) {
      return (options.skipSpecial ?? true) ? new Uint8Array(0) : new TextEncoder().encode(END_OF_TEXT);
    }
    let bytes = this.bytesCache.get(id);
    if (bytes === undefined) {
      const entry = bpeRanks[id];
      if (entry === undefined) throw new TokenizerError(NAME, `id ${id} has no entry in the r50k_base ranks`);
      // Ranks store a token as text when its bytes are valid UTF-8, else as the byte values.
      bytes = typeof entry === 'string' ? new TextEncoder().encode(entry) : Uint8Array.from(entry);
      this.bytesCache.set(id, bytes);
    }
    return bytes;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return decodeWith(this, ids, options);
  }

  decoder(options: DecodeOptions = {}): StreamingDecoder {
    return new StreamingDecoder(this, options);
  }
}
