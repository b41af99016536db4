import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ByteTokenizer,
  checkSource,
  formatReport,
  Llama2Tokenizer,
  parseHhRlhf,
  percentiles,
} from '../src/index.js';
import { checkData, dataPath } from '../src/node.js';

const tok512 = Llama2Tokenizer.fromBytes(new Uint8Array(readFileSync(dataPath('stories260K/tok512.bin'))));

// Three preference rows. With the byte tokenizer a sequence is bos + prompt bytes + completion bytes + eos:
// row 1: 1+4+1+1 = 7 and 1+4+2+1 = 8; row 2: 7 and 5; row 3: 1+8+1+1 = 11 for both sides.
const small = {
  name: 'small.jsonl',
  text: [
    '{"prompt": "abcd", "chosen": "x", "rejected": "yz", "tie": true}',
    '{"prompt": "ab", "chosen": "xyz", "rejected": "w"}',
    '{"prompt": "abcdefgh", "chosen": "q", "rejected": "r", "tie": false}',
    '{"prompt": "bad row"}',
  ].join('\n'),
};

describe('nearest-rank percentiles', () => {
  it('picks the smallest value covering p percent', () => {
    // 10 values 1..10: p50 -> rank ceil(5) = 5, p90 -> rank 9, p95 -> rank ceil(9.5) = 10.
    const stats = percentiles([3, 1, 2, 10, 9, 8, 7, 6, 5, 4]);
    expect([stats.min, stats.p50, stats.p90, stats.p95, stats.p99, stats.max]).toEqual([1, 5, 9, 10, 10, 10]);
    expect(stats.mean).toBeCloseTo(5.5, 12);
  });
});

describe('checkData preflight report', () => {
  it('counts rows, rejects and ties', () => {
    const report = checkSource(small, { kind: 'preference' });
    expect(report.format).toBe('jsonl');
    expect(report.rows).toBe(3);
    expect(report.rejected).toBe(1);
    expect(report.rejections[0].line).toBe(4);
    expect(report.ties).toBe(1);
  });

  it('measures characters per field', () => {
    // prompt lengths 4, 2, 8: p50 = rank ceil(1.5) = 2nd smallest = 4, p90 = rank 3 = 8.
    const prompt = checkSource(small, { kind: 'preference' }).fields.prompt.chars;
    expect([prompt.p50, prompt.p90, prompt.max]).toEqual([4, 8, 8]);
    expect(prompt.mean).toBeCloseTo(14 / 3, 12);
  });

  it('counts truncated and fully masked rows with keep-start', () => {
    // maxLength 8: only row 3 (11 tokens) is cut; keep-start keeps bos + 7 prompt bytes, no completion.
    const report = checkSource(small, {
      kind: 'preference',
      tokenizer: new ByteTokenizer(),
      maxLength: 8,
      truncation: 'keep-start',
    });
    expect(report.truncation?.truncated).toBe(1);
    expect(report.truncation?.fullyMasked).toBe(1);
  });

  it('keeps completions with keep-end', () => {
    const report = checkSource(small, {
      kind: 'preference',
      tokenizer: new ByteTokenizer(),
      maxLength: 8,
      truncation: 'keep-end',
    });
    expect(report.truncation?.truncated).toBe(1);
    expect(report.truncation?.fullyMasked).toBe(0);
  });

  it('counts code points, not UTF-16 units', () => {
    const report = checkSource({ name: 'e.jsonl', text: '{"text": "🙂🙂a"}' }, { kind: 'text' });
    expect(report.fields.text.chars.max).toBe(3);
  });

  it('derives ties for rated comparisons', () => {
    const text = JSON.stringify({
      prompt: 'p',
      candidates: [
        { text: 'a', score: 1 },
        { text: 'b', score: 1 },
        { text: 'c', score: 0 },
      ],
    });
    const report = checkSource({ name: 'r.jsonl', text }, { kind: 'rated-comparison' });
    expect(report.pairs).toBe(3);
    expect(report.ties).toBe(1);
  });

  it('matches tok512 lengths on the yelp sentences', async () => {
    // /usr/bin/python3 with scripts/llama2c_encode.py over the 1000 yelp sentences (nearest rank):
    // chars p50 51, p90 107, p99 146, max 149; tokens p50 30, p90 60, p95 68, p99 79, max 90;
    // bos + tokens + eos > 32 for 487 rows.
    const report = await checkData(dataPath('sentiment-labelled-sentences/yelp_labelled.txt'), {
      kind: 'labelled',
      columns: ['text', 'label'],
      numeric: ['label'],
      tokenizer: tok512,
      maxLength: 32,
    });
    expect(report.format).toBe('tsv');
    expect(report.rows).toBe(1000);
    const { chars, tokens } = report.fields.text;
    expect([chars.p50, chars.p90, chars.p99, chars.max]).toEqual([51, 107, 146, 149]);
    expect([tokens?.p50, tokens?.p90, tokens?.p95, tokens?.p99, tokens?.max]).toEqual([30, 60, 68, 79, 90]);
    expect(report.truncation?.truncated).toBe(487);
    expect(report.truncation?.fullyMasked).toBe(0);
  });

  it('runs a ready loader through parse', async () => {
    const report = await checkData(dataPath('hh-rlhf/harmless-base-test.jsonl.gz'), {
      kind: 'preference',
      parse: parseHhRlhf,
    });
    expect(report.rows).toBe(2312);
    expect(report.rejected).toBe(0);
    expect(Object.keys(report.fields)).toEqual(['prompt', 'chosen', 'rejected']);
  });

  it('formats a readable report', () => {
    const text = formatReport(
      checkSource(small, {
        kind: 'preference',
        tokenizer: new ByteTokenizer(),
        maxLength: 8,
        truncation: 'keep-start',
      }),
    );
    expect(text).toContain('rows 3 loaded, 1 rejected, 1 ties');
    expect(text).toContain('rejected line 4, field chosen: is missing');
    expect(text).toContain('1 rows truncated, 1 rows would keep no completion token');
  });
});
