import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ByteTokenizer, Gpt2Tokenizer, Llama2Tokenizer, TokenizerError } from '../src/index.js';
import { dataPath } from '../src/node.js';

const tok512 = Llama2Tokenizer.fromBytes(new Uint8Array(readFileSync(dataPath('stories260K/tok512.bin'))));

// Expected ids come from scripts/llama2c_encode.py, a line-by-line Python transcription of
// llama2.c's encode() (full rescan of all pairs after every merge), run with /usr/bin/python3:
//   /usr/bin/python3 scripts/llama2c_encode.py --fixture test/fixtures/llama2c-ids.json ../../data/stories260K/tok512.bin ../../data
const reference: { text: string; ids: number[] }[] = JSON.parse(
  readFileSync(new URL('./fixtures/llama2c-ids.json', import.meta.url), 'utf8'),
);

const hex = (s: string) => Uint8Array.from(s.split(' ').map((h) => Number.parseInt(h, 16)));

describe('llama2.c tokenizer (tok512)', () => {
  it('reads the header and vocabulary', () => {
    expect(tok512.vocabSize).toBe(512);
    expect(tok512.maxTokenLength).toBe(7);
    expect(tok512.piece(3)).toBe('<0x00>');
    expect(tok512.piece(1)).toBe('\n<s>\n');
  });

  it('encodes Once upon a time like llama2.c', () => {
    // Python reference: [1, 403, 407, 261, 378] = bos, " Once", " upon", " a", " time".
    expect(tok512.encode('Once upon a time', { bos: true })).toEqual([1, 403, 407, 261, 378]);
    expect(tok512.encode('Once upon a time')).toEqual([403, 407, 261, 378]);
  });

  it('matches the Python reference on every fixture', () => {
    expect(reference.length).toBeGreaterThan(10);
    for (const { text, ids } of reference)
      expect(tok512.encode(text, { bos: true }), JSON.stringify(text.slice(0, 40))).toEqual(ids);
  });

  it('uses byte fallback for unknown characters', () => {
    // ∀ is e2 88 80 and has no piece in tok512: ids are byte + 3 = 229, 139, 131.
    const ids = tok512.encode('∀', { continuation: true });
    expect(ids).toEqual([0xe2 + 3, 0x88 + 3, 0x80 + 3]);
  });

  it('adds the dummy prefix only to non-empty text', () => {
    expect(tok512.encode('')).toEqual([]);
    expect(tok512.encode('', { bos: true, eos: true })).toEqual([1, 2]);
  });

  it('decodes with the space after bos stripped', () => {
    expect(tok512.decode([1, 403, 407, 261, 378])).toBe('Once upon a time');
    // Without bos the dummy prefix stays, as llama2.c prints it.
    expect(tok512.decode([403, 407])).toBe(' Once upon');
  });

  it('round-trips every fixture through decode', () => {
    for (const { text, ids } of reference) expect(tok512.decode(ids)).toBe(text);
  });

  it('decodes split byte-fallback characters', () => {
    const ids = tok512.encode('naïve ∀x 🙂', { bos: true });
    const decoder = tok512.decoder();
    const pieces = ids.map((id) => decoder.push(id));
    expect(pieces.join('') + decoder.flush()).toBe('naïve ∀x 🙂');
    expect(pieces.join('')).not.toContain('\uFFFD');
  });

  it('rejects a truncated file with the record index', () => {
    const bytes = new Uint8Array(readFileSync(dataPath('stories260K/tok512.bin'))).subarray(0, 1000);
    expect(() => Llama2Tokenizer.fromBytes(bytes)).toThrow(/record \d+ .*(cut off|declares)/);
  });

  it('rejects a vocab size that does not match the model', () => {
    const bytes = new Uint8Array(readFileSync(dataPath('stories260K/tok512.bin')));
    expect(() => Llama2Tokenizer.fromBytes(bytes, { vocabSize: 32000 })).toThrow(TokenizerError);
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tok512.decode([512])).toThrow(/id 512 is outside the vocabulary \[0, 512\)/);
  });
});

describe('decode multibyte characters split across tokens', () => {
  // "naïve ∀x 🙂" is 16 UTF-8 bytes (JS length 11), fed as three chunks that split ï and ∀.
  const chunks = ['6e 61 c3', 'af 76 65 20 e2 88', '80 78 20 f0 9f 99 82'].map(hex);
  const bytes = new ByteTokenizer();

  it('decodes all ids to the exact text', () => {
    const ids = chunks.flatMap((c) => [...c]);
    expect(ids.length).toBe(16);
    expect(bytes.decode(ids)).toBe('naïve ∀x 🙂');
    expect(bytes.decode(ids).length).toBe(11);
  });

  it('streams complete characters only', () => {
    const decoder = bytes.decoder();
    expect(decoder.push([...chunks[0]])).toBe('na');
    expect(decoder.push([...chunks[1]])).toBe('ïve ');
    expect(decoder.push([...chunks[2]])).toBe('∀x 🙂');
    expect(decoder.flush()).toBe('');
  });

  it('shows per-chunk decoding is lossy', () => {
    // The bug being guarded against: decoding each chunk on its own yields replacement characters.
    const perChunk = chunks.map((c) => bytes.decode([...c])).join('');
    expect(perChunk).not.toBe('naïve ∀x 🙂');
    expect(perChunk).toContain('\uFFFD');
  });

  it('gives single characters their JS length', () => {
    expect(bytes.decode([0xc3, 0xa9])).toBe('é');
    expect(bytes.decode([0xc3, 0xa9]).length).toBe(1);
    expect(bytes.decode([...hex('f0 9f 99 82')]).length).toBe(2);
  });

  it('keeps a leading byte-order mark', () => {
    expect(bytes.decode([0xef, 0xbb, 0xbf, 0x61])).toBe('\uFEFFa');
    expect(bytes.decoder().push([0xef, 0xbb, 0xbf, 0x61])).toBe('\uFEFFa');
  });

  it('flushes an incomplete tail as one replacement', () => {
    const decoder = bytes.decoder();
    expect(decoder.push([0x61, 0xe2, 0x88])).toBe('a');
    expect(decoder.flush()).toBe('\uFFFD');
  });

  it('streams GPT-2 tokens that split a character', () => {
    const gpt2 = new Gpt2Tokenizer();
    const text = 'naïve ∀x 🙂 日本語';
    const ids = gpt2.encode(text);
    const decoder = gpt2.decoder();
    const pieces = ids.map((id) => decoder.push(id));
    expect(pieces.join('') + decoder.flush()).toBe(text);
    expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
  });
});

describe('special-token text is not control by default', () => {
  const gpt2 = new Gpt2Tokenizer();
  const text = 'a<|endoftext|>b';

  it('encodes the literal string as ordinary text', () => {
    const ids = gpt2.encode(text);
    expect(ids).not.toContain(50256);
    expect(gpt2.decode(ids)).toBe(text);
  });

  it('emits the control id once when allowed', () => {
    // By hand: GPT-2 byte-level ranks put printable ASCII from "!" (0x21) at 0, so a = 0x61 - 0x21 = 64, b = 65.
    const ids = gpt2.encode(text, { allowedSpecial: 'all' });
    expect(ids).toEqual([64, 50256, 65]);
    expect(ids.filter((id) => id === 50256).length).toBe(1);
    expect(gpt2.decode(ids, { skipSpecial: false })).toBe(text);
  });

  it('allows specials by name', () => {
    expect(gpt2.encode('<|endoftext|>x<|endoftext|>', { allowedSpecial: ['<|endoftext|>'] })).toEqual([
      50256, 87, 50256,
    ]);
  });

  it('rejects an unknown special name', () => {
    expect(() => gpt2.encode(text, { allowedSpecial: ['<|im_start|>'] })).toThrow(
      /not one of its special tokens/,
    );
  });

  it('skips control ids when decoding by default', () => {
    expect(gpt2.decode([64, 50256, 65])).toBe('ab');
  });

  it('adds bos and eos as endoftext', () => {
    const ids = gpt2.encode('a', { bos: true, eos: true });
    expect(ids).toEqual([50256, 64, 50256]);
    expect(gpt2.vocabSize).toBe(50257);
  });

  it('keeps byte specials as text unless allowed', () => {
    const b = new ByteTokenizer();
    expect(b.encode('<|eos|>')).toHaveLength(7);
    expect(b.encode('x<|eos|>', { allowedSpecial: 'all' })).toEqual([0x78, 257]);
  });

  it('reads no special text in llama2.c vocabularies', () => {
    expect(() => tok512.encode('<s>', { allowedSpecial: ['<s>'] })).toThrow(TokenizerError);
    expect(tok512.encode('<s>')).not.toContain(1);
  });
});
