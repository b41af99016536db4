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

const NAME = 'bytes';

/**
 * UTF-8 bytes as ids 0..255, plus bos 256, eos 257 and pad 258. Useful for tiny models trained from
 * scratch and as a tokenizer with no vocabulary file.
 */
export class ByteTokenizer implements Tokenizer {
  readonly name = NAME;
  readonly vocabSize = 259;
  readonly special: SpecialIds = { bos: 256, eos: 257, pad: 258 };
  private readonly specials = new Map([
    ['<|bos|>', 256],
    ['<|eos|>', 257],
    ['<|pad|>', 258],
  ]);
  private readonly names = new Map([...this.specials].map(([name, id]) => [id, name]));

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    const utf8 = new TextEncoder();
    for (const segment of splitSpecial(NAME, text, this.specials, options.allowedSpecial)) {
      if ('special' in segment) ids.push(segment.special);
      else for (const b of utf8.encode(segment.text)) ids.push(b);
    }
    return wrapSpecial(NAME, this.special, ids, options);
  }

  tokenBytes(id: number, _previous: number, options: DecodeOptions = {}): Uint8Array {
    checkId(NAME, id, this.vocabSize);
    if (!isSpecial(this.special, id)) return Uint8Array.of(id);
    return (options.skipSpecial ?? true) ? new Uint8Array(0) : new TextEncoder().encode(this.names.get(id));
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return decodeWith(this, ids, options);
  }

  decoder(options: DecodeOptions = {}): StreamingDecoder {
    return new StreamingDecoder(this, options);
  }
}
