/**
 * TOFU evaluation of a model, as the TOFU code defines it:
 *   truth ratio R    exp(mean_k avgNLL(perturbed_k) - avgNLL(paraphrased)), per question
 *   forget quality   p-value of a two-sample KS test between the forget-set truth ratios of the
 *                    unlearned model and of the retain-only model (1 = indistinguishable)
 *   probability      retain / forget: mean of exp(-avgNLL(answer)); real authors / world facts:
 *                    mean of p(true) / (p(true) + sum p(perturbed)), p = exp(-avgNLL)
 *   ROUGE-L recall   of the greedy answer against the true answer, over words
 *   truth score      non-forget sets: mean of max(0, 1 - 1/R)
 *   model utility    harmonic mean of {probability, ROUGE-L, truth score} over retain, real authors
 *                    and world facts; `retainUtility` is the same over the retain set alone
 * avgNLL is the mean NLL per answer token (EOS included).
 */
import { collateArrays, type QaRow, type TokenizedExample, type Tokenizer } from '@lab/data';
import { ksTwoSample } from '@lab/eval';
import { type CausalLM, generateBatch, sequenceLogProbs } from '@lab/models';
import { fromArray, noGrad, scope } from '@lab/tensor';
import { encodeQa, promptOf } from './tofu.js';

export interface ScoreSettings {
  backend: string;
  maxLength: number;
  batchSize: number;
}

export interface GenerationSettings {
  /** Rows per set answered greedily for ROUGE-L; 0 skips generation. */
  rows: number;
  maxNewTokens: number;
}

/** Mean NLL per answer token of each example (no gradients). */
export async function answerNll(model: CausalLM, examples: readonly TokenizedExample[], s: ScoreSettings): Promise<number[]> {
  const out: number[] = [];
  for (let start = 0; start < examples.length; start += s.batchSize) {
    const a = collateArrays(examples.slice(start, start + s.batchSize), { maxLength: s.maxLength, truncation: 'keep-start' });
    const [sums, counts] = noGrad(() =>
      scope(() => {
        const ids = fromArray(a.ids, [a.batchSize, a.length], { dtype: 'i32', backend: s.backend });
        const mask = fromArray(a.completionMask, [a.batchSize, a.length], { dtype: 'f32', backend: s.backend });
        const lp = sequenceLogProbs(model, ids, mask, { grad: false });
        return [lp.sum, lp.count]; // (B) each
      }),
    );
    try {
      const [sv, cv] = [await sums.data(), await counts.data()];
      for (let b = 0; b < a.batchSize; b++) out.push(-sv[b] / Math.max(cv[b], 1));
    } finally {
      sums.dispose();
      counts.dispose();
    }
  }
  return out;
}

/** Longest common subsequence length of two word lists. */
function lcs(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const cur = [0];
    for (let j = 0; j < b.length; j++) cur.push(x === b[j] ? prev[j] + 1 : Math.max(prev[j + 1], cur[j]));
    prev = cur;
  }
  return prev[b.length];
}

const words = (s: string) => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/**
 * Computes ROUGE-L recall: the LCS of the words over the reference's word count.
 * TODO: move to @lab/eval, which has no ROUGE yet; lower-cased alphanumeric words, no stemming.
 */
export function rougeLRecall(generated: string, reference: string): number {
  const ref = words(reference);
  return ref.length === 0 ? 0 : lcs(words(generated), ref) / ref.length;
}

export function harmonicMean(values: readonly number[]): number {
  if (values.some((v) => !(v > 0))) return 0;
  return values.length / values.reduce((a, v) => a + 1 / v, 0);
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, v) => a + v, 0) / xs.length);

export interface SetScores {
  /** Per question: truth ratio R (NaN when the row has no paraphrase or perturbations). */
  truthRatios: number[];
  /** Per question: exp(-avgNLL(answer)). */
  answerProbs: number[];
  /** Per question: p(true) / (p(true) + sum p(perturbed)). */
  normalisedProbs: number[];
  rougeL: number[];
}

/** Scores one QA set with perturbed answers; rows without them get NaN truth ratios. */
export async function scoreSet(
  model: CausalLM,
  tokenizer: Tokenizer,
  rows: readonly QaRow[],
  s: ScoreSettings,
  gen: GenerationSettings,
): Promise<SetScores> {
  const items: { row: number; kind: 'answer' | 'para' | 'pert'; ex: TokenizedExample }[] = [];
  rows.forEach((r, i) => {
    items.push({ row: i, kind: 'answer', ex: encodeQa(tokenizer, r.question, r.answer) });
    if (r.paraphrasedAnswer) items.push({ row: i, kind: 'para', ex: encodeQa(tokenizer, r.question, r.paraphrasedAnswer) });
    for (const p of r.perturbedAnswers ?? []) items.push({ row: i, kind: 'pert', ex: encodeQa(tokenizer, r.question, p) });
  });
  const nll = await answerNll(model, items.map((it) => it.ex), s);
  const per = rows.map(() => ({ answer: Number.NaN, para: Number.NaN, pert: [] as number[] }));
  items.forEach((it, k) => {
    if (it.kind === 'pert') per[it.row].pert.push(nll[k]);
    else per[it.row][it.kind] = nll[k];
  });
  const truthRatios = per.map((p) => {
    // Real-authors and world-facts rows have no paraphrase; TOFU compares the true answer there.
    const base = Number.isNaN(p.para) ? p.answer : p.para;
    return p.pert.length === 0 ? Number.NaN : Math.exp(mean(p.pert) - base);
  });
  const answerProbs = per.map((p) => Math.exp(-p.answer));
  const normalisedProbs = per.map((p) => {
    const t = Math.exp(-p.answer);
    return t / (t + p.pert.reduce((a, v) => a + Math.exp(-v), 0));
  });
  const rougeL = await greedyRouge(model, tokenizer, rows.slice(0, gen.rows), gen);
  return { truthRatios, answerProbs, normalisedProbs, rougeL };
}

async function greedyRouge(model: CausalLM, tokenizer: Tokenizer, rows: readonly QaRow[], gen: GenerationSettings): Promise<number[]> {
  if (rows.length === 0) return [];
  const prompts = rows.map((r) => tokenizer.encode(promptOf(r.question), { bos: tokenizer.special.bos !== undefined }));
  const result = await generateBatch(model, prompts, {
    maxNewTokens: gen.maxNewTokens,
    temperature: 0,
    eosId: tokenizer.special.eos,
    seeds: rows.map((_, i) => i),
    maxBatch: 16,
  });
  return result.rows.map((row, i) => rougeLRecall(tokenizer.decode(row.tokens, { skipSpecial: true }), rows[i].answer));
}

export interface TofuScores {
  forget: SetScores;
  retain: SetScores;
  realAuthors: SetScores;
  worldFacts: SetScores;
}

export interface TofuMetrics {
  forgetQuality: number;
  ksStatistic: number;
  modelUtility: number;
  retainUtility: number;
  forgetProb: number;
  forgetRougeL: number;
  forgetTruthRatio: number;
  retainProb: number;
  retainRougeL: number;
  retainTruthScore: number;
  realAuthorsProb: number;
  realAuthorsRougeL: number;
  realAuthorsTruthScore: number;
  worldFactsProb: number;
  worldFactsRougeL: number;
  worldFactsTruthScore: number;
}

const truthScore = (ratios: readonly number[]) => mean(ratios.filter((r) => !Number.isNaN(r)).map((r) => Math.max(0, 1 - 1 / r)));
const finite = (xs: readonly number[]) => xs.filter((x) => Number.isFinite(x));

/** TOFU metrics of a model, with `goldForgetRatios` the retain-only model's forget-set truth ratios. */
export function tofuMetrics(scores: TofuScores, goldForgetRatios: readonly number[]): TofuMetrics {
  const ks = ksTwoSample(finite(scores.forget.truthRatios), finite(goldForgetRatios));
  const retainTriple = [mean(scores.retain.answerProbs), mean(scores.retain.rougeL), truthScore(scores.retain.truthRatios)];
  const other = (s: SetScores) => [mean(s.normalisedProbs), mean(s.rougeL), truthScore(s.truthRatios)];
  const ra = other(scores.realAuthors);
  const wf = other(scores.worldFacts);
  // Without generated rows ROUGE is NaN; utility is then the harmonic mean of what was measured.
  const utility = (xs: number[]) => harmonicMean(xs.filter((x) => !Number.isNaN(x)));
  return {
    forgetQuality: ks.pValue,
    ksStatistic: ks.statistic,
    modelUtility: utility([...retainTriple, ...ra, ...wf]),
    retainUtility: utility(retainTriple),
    forgetProb: mean(scores.forget.answerProbs),
    forgetRougeL: mean(scores.forget.rougeL),
    forgetTruthRatio: mean(finite(scores.forget.truthRatios)),
    retainProb: retainTriple[0],
    retainRougeL: retainTriple[1],
    retainTruthScore: retainTriple[2],
    realAuthorsProb: ra[0],
    realAuthorsRougeL: ra[1],
    realAuthorsTruthScore: ra[2],
    worldFactsProb: wf[0],
    worldFactsRougeL: wf[1],
    worldFactsTruthScore: wf[2],
  };
}
