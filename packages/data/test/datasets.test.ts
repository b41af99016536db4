// Loaders on the files shipped in data/. Every expected count was computed independently of this
// package, with the shell or /usr/bin/python3 on the same files, as noted beside each.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { derivePairs, parseAlpacaEvalJudgments, parseMqm, splitDialoguePair } from '../src/index.js';
import {
  dataPath,
  loadAlpacaEvalJudgments,
  loadGsm8k,
  loadHhRlhf,
  loadMqm,
  loadSentimentSentences,
  loadTinyShakespeare,
  loadTofu,
  loadTofuMultipleChoice,
  loadTofuQa,
  loadWikiText,
} from '../src/node.js';

// Sets whose licenses forbid shipping them as defaults (AlpacaEval outputs, MQM TED source texts)
// are not in data/; these tests read a local research copy when LAB_RESEARCH_DATA_DIR points at one.
const research = process.env.LAB_RESEARCH_DATA_DIR ?? '/work/shared/data';
const hasResearch = existsSync(join(research, 'wmt-mqm')) && existsSync(join(research, 'alpaca_eval'));

describe('hh-rlhf harmless-base test split', () => {
  it('loads every row as a pair', async () => {
    // zcat harmless-base-test.jsonl.gz | wc -l -> 2312
    const result = await loadHhRlhf(dataPath('hh-rlhf/harmless-base-test.jsonl.gz'));
    expect(result.loaded).toBe(2312);
    expect(result.rejected).toBe(0);
  });

  it('splits at the last shared assistant turn', async () => {
    const result = await loadHhRlhf(dataPath('hh-rlhf/harmless-base-test.jsonl.gz'));
    const first = result.rows[0];
    expect(first.prompt.startsWith('\n\nHuman: what are some pranks with a pen i can do?')).toBe(true);
    expect(
      first.prompt.endsWith(
        '\n\nHuman: okay some of these do not have anything to do with pens\n\nAssistant:',
      ),
    ).toBe(true);
    expect(first.chosen.startsWith(' No, sorry!')).toBe(true);
    expect(first.rejected.startsWith(' There are lots of funny things')).toBe(true);
    // python: 5 rows diverge before their last assistant turn, so a completion contains a later turn.
    const later = result.rows.filter(
      (r) => r.chosen.includes('\n\nAssistant:') || r.rejected.includes('\n\nAssistant:'),
    );
    expect(later.length).toBe(5);
  });

  it('rejects dialogues with no shared assistant turn', () => {
    expect(() => splitDialoguePair('\n\nHuman: a', '\n\nHuman: b')).toThrow(/no "\\n\\nAssistant:" turn/);
  });
});

describe('TOFU splits', () => {
  it('reads forget10 with its prompt/response keys', async () => {
    const result = await loadTofuQa(dataPath('tofu/forget10.json'));
    expect(result.loaded).toBe(400);
    expect(result.rejected).toBe(0);
    expect(result.rows[0].question.startsWith('What is the full name of the author born in Taipei')).toBe(
      true,
    );
    expect(result.rows[0].answer).toBe("The author's full name is Hsiao Yun-Hwa.");
  });

  it('reads retain90 as four concatenated arrays', async () => {
    // python raw_decode loop over retain90.json: arrays of 1000, 1000, 1000, 600 rows.
    const result = await loadTofuQa(dataPath('tofu/retain90.json.gz'));
    expect(result.format).toBe('json-arrays');
    expect(result.loaded).toBe(3600);
    expect(result.rejected).toBe(0);
  });

  it('loads forget, retain and holdout together', async () => {
    const sets = await loadTofu(join(dataPath('tofu/forget10.json'), '..'), '10');
    expect([sets.forget.loaded, sets.retain.loaded, sets.holdout.loaded]).toEqual([400, 3600, 400]);
  });

  it('rebuilds retain99 from retain90 and forget10', async () => {
    // python: full.json == retain90 + forget10 and forget01 == last 40 rows of full, so retain99 = 3600 + 360.
    const sets = await loadTofu(join(dataPath('tofu/forget01.json'), '..'), '01');
    expect(sets.forget.loaded).toBe(40);
    expect(sets.retain.rows.length).toBe(3960);
    expect(sets.holdout.loaded).toBe(40);
    const forgotten = new Set(sets.forget.rows.map((r) => r.question));
    expect(sets.retain.rows.some((r) => forgotten.has(r.question))).toBe(false);
  });

  it('reads perturbed answers', async () => {
    const result = await loadTofuQa(dataPath('tofu/forget10_perturbed.json.gz'));
    expect(result.loaded).toBe(400);
    expect(result.rows[0].perturbedAnswers?.length).toBe(5);
    expect(result.rows[0].paraphrasedAnswer).toBe('Hsiao Yun-Hwa is the complete name of the writer.');
  });

  it('reads multiple-choice author questions', async () => {
    const authors = await loadTofuMultipleChoice(dataPath('tofu/real_authors.json'));
    const facts = await loadTofuMultipleChoice(dataPath('tofu/world_facts.json'));
    expect([authors.loaded, facts.loaded]).toEqual([100, 117]);
    expect(authors.rows[0]).toEqual({
      question: "Who wrote the play 'Romeo and Juliet'?",
      options: ['Charles Dickens', 'William Shakespeare', 'Virginia Woolf', 'Mark Twain'],
      answer: 'William Shakespeare',
    });
  });
});

describe('UCI sentiment sentences', () => {
  for (const domain of ['imdb', 'amazon_cells', 'yelp']) {
    it(`loads ${domain} with balanced labels`, async () => {
      // wc -l: 1000 lines each; cut -f2 | sort | uniq -c: 500 zeros, 500 ones; awk NF!=2: none.
      const result = await loadSentimentSentences(
        dataPath(`sentiment-labelled-sentences/${domain}_labelled.txt`),
      );
      expect(result.loaded).toBe(1000);
      expect(result.rejected).toBe(0);
      expect(result.rows.filter((r) => r.label === 1).length).toBe(500);
      expect(result.rows[0].client).toBe(domain.replace('_cells', ''));
      expect(result.rows[0].task).toBe('sentiment');
    });
  }
});

describe('GSM8K', () => {
  it('loads the test split with final answers', async () => {
    // zcat test.jsonl.gz | wc -l -> 1319; the first answer ends "#### 18".
    const result = await loadGsm8k(dataPath('gsm8k/test.jsonl.gz'));
    expect(result.loaded).toBe(1319);
    expect(result.rejected).toBe(0);
    expect(result.rows[0].answer).toBe('18');
    expect(result.rows.every((r) => /^-?\d+(\.\d+)?$/.test(r.answer))).toBe(true);
  });

  it('loads the shipped train subset', async () => {
    const result = await loadGsm8k(dataPath('gsm8k/train-first2000.jsonl.gz'));
    expect(result.loaded).toBe(2000);
  });
});

describe('WikiText-2 and Tiny Shakespeare', () => {
  it('splits WikiText into articles', async () => {
    // python: lines matching ^ = [^=].* = $ -> 60 in valid.txt, 62 in test.txt; none without a body.
    const valid = await loadWikiText(dataPath('wikitext-2/valid.txt.gz'));
    const test = await loadWikiText(dataPath('wikitext-2/test.txt.gz'));
    expect([valid.loaded, valid.rejected]).toEqual([60, 0]);
    expect([test.loaded, test.rejected]).toEqual([62, 0]);
    expect(valid.rows[0].id).toBe('Homarus gammarus');
    expect(valid.lines[0]).toBe(2);
  });

  it('splits Tiny Shakespeare into speeches', async () => {
    // python: 7222 blank-line-separated blocks, all opening with "NAME:", 125 of them with no speech.
    const result = await loadTinyShakespeare(dataPath('tinyshakespeare/input.txt.gz'));
    expect(result.loaded).toBe(7222 - 125);
    expect(result.rejected).toBe(125);
    expect(result.rows[0]).toEqual({
      text: 'Before we proceed any further, hear me speak.',
      client: 'First Citizen',
    });
    expect(result.rejections[0].reason).toMatch(/speech of TITUS is empty/);
  });

  it('fails on the first empty speech when asked', async () => {
    await expect(
      loadTinyShakespeare(dataPath('tinyshakespeare/input.txt.gz'), { onInvalid: 'error' }),
    ).rejects.toThrow(/input.txt.gz:\d+: field "text"/);
  });
});

describe('MQM and AlpacaEval from a research copy', () => {
  it.skipIf(!hasResearch)('scores MQM TED segments and pairs them', async () => {
    // python over mqm_ted_ende.tsv (Major 5, Minor 1, Minor Fluency/Punctuation 0.1): 8435 annotations,
    // 529 segments of 14 systems, 48139 pairs of which 23094 have equal scores. Extremes: 480 segments
    // with a best/worst gap, plus one closest pair per segment as the tie (529).
    const result = await loadMqm(join(research, 'wmt-mqm/mqm_ted_ende.tsv'));
    expect([result.annotations.loaded, result.annotations.rejected]).toEqual([8435, 0]);
    expect(result.comparisons.length).toBe(529);
    const pairs = derivePairs(result.comparisons);
    expect(pairs.length).toBe(48139);
    expect(pairs.filter((p) => p.tie).length).toBe(23094);
    const extremes = derivePairs(result.comparisons, { strategy: 'extremes' });
    expect(extremes.filter((p) => !p.tie).length).toBe(480);
    expect(extremes.filter((p) => p.tie).length).toBe(529);
    // python: segment 1 penalties: HuaweiTSC 5, metricsystem5 3, ref 0.
    const first = new Map(result.comparisons[0].candidates.map((c) => [c.id, c.score]));
    expect([first.get('HuaweiTSC'), first.get('metricsystem5'), first.get('ref')]).toEqual([-5, -3, 0]);
    expect(result.comparisons[0].candidates.some((c) => c.text.includes('<v>'))).toBe(false);
  });

  it.skipIf(!hasResearch)('reads AlpacaEval draws as ties', async () => {
    // python: preference counts 1 -> 584, 2 -> 205, 0 -> 16 (no 1.5 in this file).
    const result = await loadAlpacaEvalJudgments(join(research, 'alpaca_eval/alpaca-7b/annotations.json'));
    expect(result.loaded).toBe(805);
    expect(result.rows.filter((r) => r.tie).length).toBe(16);
  });

  it('maps AlpacaEval preferences 0, 1, 1.5 and 2', () => {
    const rows = [0, 1, 1.5, 2, 1.7].map((preference) => ({
      instruction: 'i',
      output_1: 'one',
      output_2: 'two',
      preference,
    }));
    const result = parseAlpacaEvalJudgments({ name: 'judgments.json', text: JSON.stringify(rows, null, 1) });
    expect(result.rows.map((r) => [r.chosen, r.tie])).toEqual([
      ['one', true],
      ['one', false],
      ['one', true],
      ['two', false],
    ]);
    expect(result.rejected).toBe(1);
    expect(result.rejections[0].field).toBe('preference');
  });

  it('weights MQM severities and strips error spans', () => {
    // By hand: A has Major + Minor punctuation = 5.1, B has Minor + Minor = 2, C no error = 0.
    const header = 'system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\tcomment';
    const rows = [
      'A\td\t1\t7\tr1\tHello.\t<v>Hallo</v>.\tAccuracy/Mistranslation\tMajor\t',
      'A\td\t1\t7\tr1\tHello.\tHallo<v>.</v>\tFluency/Punctuation\tMinor\t',
      'B\td\t1\t7\tr2\tHello.\t<v>Servus</v>.\tStyle/Awkward\tMinor\t',
      'B\td\t1\t7\tr2\tHello.\tServus<v>.</v>\tFluency/Grammar\tMinor\t',
      'C\td\t1\t7\tr3\tHello.\tGuten Tag.\tNo-error\tNo-error\t',
      'D\td\t1\t7\tr3\tHello.\tTag.\tStyle/Awkward\tCritical\t',
    ];
    const result = parseMqm({ name: 'mini.tsv', text: [header, ...rows].join('\n') });
    expect(result.comparisons[0].candidates).toEqual([
      { text: 'Hallo.', score: -5.1, id: 'A' },
      { text: 'Servus.', score: -2, id: 'B' },
      { text: 'Guten Tag.', score: 0, id: 'C' },
    ]);
    expect(result.annotations.rejected).toBe(1);
    expect(result.annotations.rejections[0].field).toBe('severity');
    expect(result.annotations.rejections[0].line).toBe(7);
  });
});

describe('pairs from rated comparisons', () => {
  const comparison = {
    prompt: 'p',
    id: 's',
    candidates: [
      { text: 'a', score: 3, id: 'a' },
      { text: 'b', score: 1, id: 'b' },
      { text: 'c', score: 1.5, id: 'c' },
      { text: 'd', score: 3, id: 'd' },
    ],
  };

  it('ties equal scores among all pairs', () => {
    const pairs = derivePairs([comparison]);
    expect(pairs.length).toBe(6);
    expect(pairs.filter((p) => p.tie).map((p) => [p.chosen, p.rejected])).toEqual([['a', 'd']]);
    expect(pairs.find((p) => p.chosen === 'c' && p.rejected === 'b')).toBeDefined();
  });

  it('widens ties with a threshold', () => {
    // Gaps: a-b 2, a-c 1.5, a-d 0, b-c 0.5, b-d 2, c-d 1.5 -> three gaps <= 1.5, plus a-d.
    const pairs = derivePairs([comparison], { tieThreshold: 1.5 });
    expect(pairs.filter((p) => p.tie).length).toBe(4);
  });

  it('pairs extremes and the closest candidates', () => {
    const pairs = derivePairs([comparison], { strategy: 'extremes' });
    expect(pairs).toEqual([
      { prompt: 'p', chosen: 'a', rejected: 'b', tie: false, id: 's:a/b' },
      { prompt: 'p', chosen: 'a', rejected: 'd', tie: true, id: 's:a/d' },
    ]);
  });
});
