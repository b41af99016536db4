/**
 * The `simnpo` Method: unlearns TOFU forget10 from a model fine-tuned on forget10 + retain rows, with
 * GA, GradDiff, NPO and SimNPO in turn (each from a fresh copy, same steps, same optimiser), and scores
 * every method as TOFU does during and after unlearning. The retain-only model gives the forget-set
 * truth ratios that forget quality compares against. NPO's frozen reference is a second load of the
 * fine-tuned model, served from the trainer's cached Reference.
 */
import { collateArrays, type QaRow, type TokenizedExample, type Tokenizer } from '@lab/data';
import { type CausalLM, sequenceLogProbs } from '@lab/models';
import { fromArray, noGrad, type Tensor } from '@lab/tensor';
import { defineMethod, type LossOutput, type MethodContext, type Reference, sha256File } from '@lab/trainer';
import { writeFileSync } from 'node:fs';
import { type Algorithm, ALGORITHMS, type SimNpoConfig, simNpoConfig } from './config.js';
import { UnlearningConfigError } from './errors.js';
import { answerNll, type ScoreSettings, scoreSet, type TofuMetrics, type TofuScores, tofuMetrics } from './evaluate.js';
import { type ObjectiveSettings, type ResponseLogProbs, unlearningObjective } from './losses.js';
import { tofuReport } from './report.js';
import { encodeQa, fitting, loadTofuSets } from './tofu.js';

type Ctx = MethodContext<SimNpoConfig>;

export const RESULTS_FILE = 'tofu-unlearning.json';

export interface HistoryPoint {
  algorithm: string;
  step: number;
  metrics: TofuMetrics;
}

export interface TofuResults {
  startForgetNll: number;
  fineTuned: TofuMetrics;
  retainOnly: TofuMetrics;
  history: HistoryPoint[];
  objectives: Record<string, ObjectiveSettings>;
  seconds: number;
}

interface EvalSets {
  forget: QaRow[];
  retain: QaRow[];
  realAuthors: QaRow[];
  worldFacts: QaRow[];
}

interface Prepared {
  tokenizer: Tokenizer;
  tokenizerHash: string;
  forget: TokenizedExample[];
  retain: TokenizedExample[];
  evalSets: EvalSets;
}

/** Returns the loss settings of one algorithm from its configuration group. */
export function objectiveOf(cfg: SimNpoConfig, algorithm: Algorithm): ObjectiveSettings {
  switch (algorithm) {
    case 'ga':
      return { kind: 'ga', beta: 1, margin: 0, ...cfg.ga };
    case 'graddiff':
      return { kind: 'ga', beta: 1, margin: 0, ...cfg.graddiff };
    case 'npo':
      return { kind: 'npo', margin: 0, ...cfg.npo };
    case 'simnpo':
      return { kind: 'simnpo', ...cfg.simnpo };
  }
}

function algorithmsOf(cfg: SimNpoConfig): Algorithm[] {
  for (const a of cfg.algorithms) {
    if (!(ALGORITHMS as readonly string[]).includes(a)) {
      throw new UnlearningConfigError('algorithms', a, `is not a method; choose from ${ALGORITHMS.join(', ')}`);
    }
  }
  return cfg.algorithms as Algorithm[];
}

async function prepare(ctx: Ctx): Promise<Prepared> {
  const cfg = ctx.config;
  const { tokenizer, hash } = await ctx.loadTokenizer(cfg.model.tokenizer);
  const sets = await loadTofuSets(ctx.resolvePath('data.tofuDir', cfg.data.tofuDir));
  for (const f of sets.files) ctx.recordData({ name: f.name, file: f.file, sha256: await sha256File(f.file), rows: f.rows });
  const encode = (rows: readonly QaRow[]) => {
    const all = rows.map((r) => encodeQa(tokenizer, r.question, r.answer));
    return fitting(all, all, cfg.data.maxLength);
  };
  const forgetRows = sets.forget.slice(0, cfg.data.forgetRows ?? sets.forget.length);
  const retainTrain = sets.retainTrain.slice(0, cfg.data.retainRows);
  const trained = new Set(retainTrain.map((r) => r.question));
  const e = cfg.eval;
  return {
    tokenizer,
    tokenizerHash: hash,
    forget: encode(forgetRows),
    retain: encode(retainTrain),
    evalSets: {
      forget: sets.forgetEval.slice(0, e.forgetRows),
      // Retain utility is asked only about rows the models were trained on.
      retain: sets.retainEval.filter((r) => trained.has(r.question)).slice(0, e.retainRows),
      realAuthors: sets.realAuthors.slice(0, e.generalRows),
      worldFacts: sets.worldFacts.slice(0, e.generalRows),
    },
  };
}

function scoreSettings(ctx: Ctx): ScoreSettings {
  return { backend: ctx.backend, maxLength: ctx.config.data.maxLength, batchSize: ctx.config.eval.batchSize };
}

async function scoreAll(ctx: Ctx, model: CausalLM, prep: Prepared): Promise<TofuScores> {
  const gen = { rows: ctx.config.eval.generateRows, maxNewTokens: ctx.config.eval.maxNewTokens };
  const s = scoreSettings(ctx);
  const one = (rows: QaRow[]) => scoreSet(model, prep.tokenizer, rows, s, gen);
  return {
    forget: await one(prep.evalSets.forget),
    retain: await one(prep.evalSets.retain),
    realAuthors: await one(prep.evalSets.realAuthors),
    worldFacts: await one(prep.evalSets.worldFacts),
  };
}

interface UnlearnBatch {
  forget: { ids: Tensor; mask: Tensor };
  retain: { ids: Tensor; mask: Tensor; tokens: number } | null;
  referenceLogProbs: Tensor | null;
  tokens: number;
}

function tensorsOf(rows: readonly TokenizedExample[], maxLength: number, backend: string) {
  const a = collateArrays(rows, { maxLength, truncation: 'keep-start' });
  return {
    ids: fromArray(a.ids, [a.batchSize, a.length], { dtype: 'i32', backend }), // (B, T)
    mask: fromArray(a.completionMask, [a.batchSize, a.length], { dtype: 'f32', backend }), // (B, T)
    tokens: a.completionMask.reduce((x, v) => x + v, 0),
  };
}

function responseOf(model: CausalLM, batch: { ids: Tensor; mask: Tensor }): ResponseLogProbs {
  const lp = sequenceLogProbs(model, batch.ids, batch.mask); // log-softmax inside; (B, T-1)
  return { tokenLogProbs: lp.tokenLogProbs, mask: lp.mask };
}

/** Collates a forget batch, the next retain batch (cycling through the retain rows) and NPO's reference sums. */
function batcher(ctx: Ctx, prep: Prepared, settings: ObjectiveSettings, reference: Reference | null) {
  let cursor = 0;
  const { maxLength } = ctx.config.data;
  return async (rows: TokenizedExample[]): Promise<UnlearnBatch> => {
    const forget = tensorsOf(rows, maxLength, ctx.backend);
    let retain: UnlearnBatch['retain'] = null;
    if (settings.retainWeight > 0) {
      const picked = rows.map(() => prep.retain[cursor++ % prep.retain.length]);
      retain = tensorsOf(picked, maxLength, ctx.backend);
    }
    const referenceLogProbs = settings.kind === 'npo' && reference ? await reference.sequenceLogProbs(rows) : null;
    return { forget, retain, referenceLogProbs, tokens: forget.tokens + (retain?.tokens ?? 0) };
  };
}

function lossOf(policy: CausalLM, batch: UnlearnBatch, settings: ObjectiveSettings): LossOutput {
  const forget = responseOf(policy, batch.forget);
  const retain = batch.retain ? responseOf(policy, batch.retain) : undefined;
  const out = unlearningObjective({ forget, retain, referenceLogProbs: batch.referenceLogProbs ?? undefined }, settings);
  const terms: Record<string, Tensor> = { forget: out.forgetLoss };
  if (out.retainLoss) terms.retain = out.retainLoss;
  const forgetNll = noGrad(() => forget.tokenLogProbs.detach().sum().neg().div(forget.mask.sum().maximum(1)));
  return { loss: out.loss, terms, metrics: { forgetNll }, tokens: batch.tokens };
}

/** Warns when SimNPO's term starts saturated: its argument (beta/|y|) log pi + gamma far below 0. */
function checkSaturation(ctx: Ctx, startNll: number): void {
  const s = ctx.config.simnpo;
  const argument = -s.beta * startNll + s.margin;
  if (ctx.config.algorithms.includes('simnpo') && argument < -3) {
    ctx.log.warn('SimNPO starts saturated: its gradient weight is about exp(argument)', {
      argument,
      startForgetNll: startNll,
      suggestedMargin: s.beta * startNll,
    });
  }
}

async function run(ctx: Ctx): Promise<void> {
  const started = performance.now();
  const cfg = ctx.config;
  const algorithms = algorithmsOf(cfg);
  const prep = await prepare(ctx);
  const gold = (await ctx.loadModel('model.retain', cfg.model.retain)).model;
  const goldScores = await scoreAll(ctx, gold, prep);
  const goldRatios = goldScores.forget.truthRatios;
  const base = (await ctx.loadModel('model.full', cfg.model.full)).model;
  const fineTuned = tofuMetrics(await scoreAll(ctx, base, prep), goldRatios);
  const nll = await answerNll(base, prep.forget, scoreSettings(ctx));
  const startForgetNll = nll.reduce((a, v) => a + v, 0) / nll.length;
  ctx.log.info('starting models scored', { startForgetNll, fineTunedForgetQuality: fineTuned.forgetQuality });
  checkSaturation(ctx, startForgetNll);
  let reference: Reference | null = null;
  if (algorithms.includes('npo')) {
    reference = await ctx.reference(
      { mode: 'frozen-copy', model: base },
      { tokenizerHash: prep.tokenizerHash, maxLength: cfg.data.maxLength, truncation: 'keep-start', batchSize: cfg.eval.batchSize },
    );
    await reference.precompute(prep.forget);
  }
  const history: HistoryPoint[] = algorithms.map((algorithm) => ({ algorithm, step: 0, metrics: fineTuned }));
  const objectives: Record<string, ObjectiveSettings> = {};
  for (const algorithm of algorithms) {
    const settings = objectiveOf(cfg, algorithm);
    objectives[algorithm] = settings;
    const policy = (await ctx.loadModel('model.full', cfg.model.full)).model;
    const t = cfg.train;
    await ctx.trainModel<TokenizedExample, UnlearnBatch>({
      stage: algorithm,
      model: policy,
      rows: prep.forget,
      collate: batcher(ctx, prep, settings, reference),
      loss: (batch) => lossOf(policy, batch, settings),
      optimizer: { kind: 'adamw', lr: t.lr, schedule: 'constant', warmupSteps: 0, clipNorm: t.clipNorm > 0 ? t.clipNorm : null },
      batchSize: t.batchSize,
      steps: t.steps,
      seed: ctx.seed,
      logEvery: t.logEvery,
      evalEvery: t.evalEvery,
      evaluate: async (_model, step) => {
        const metrics = tofuMetrics(await scoreAll(ctx, policy, prep), goldRatios);
        history.push({ algorithm, step, metrics });
        return { ...metrics };
      },
      referenceCacheKey: reference?.modelKey ?? null,
    });
  }
  const results: TofuResults = {
    startForgetNll,
    fineTuned,
    retainOnly: tofuMetrics(goldScores, goldRatios),
    history,
    objectives,
    seconds: Math.round((performance.now() - started) / 1000),
  };
  writeFileSync(ctx.run.path(RESULTS_FILE), `${JSON.stringify(results, null, 1)}\n`);
}

export const method = defineMethod<SimNpoConfig>({
  name: 'simnpo',
  summary: 'LLM unlearning on TOFU forget10 with GA, GradDiff, NPO and SimNPO, scored by forget quality and model utility',
  paper: {
    title: 'Simplicity Prevails: Rethinking Negative Preference Optimization for LLM Unlearning',
    authors: 'Chongyu Fan et al.',
    year: 2024,
    url: 'https://arxiv.org/abs/2410.07163',
  },
  config: simNpoConfig,
  data: [
    { name: 'forget', kinds: ['qa'], description: 'TOFU forget10: QA rows to unlearn' },
    { name: 'retain', kinds: ['qa'], description: 'TOFU retain rows (retain90, the rows TOFU evaluates): the retain term and utility' },
    { name: 'holdout', kinds: ['qa'], description: 'TOFU holdout10: never trained on; the fixture script checks forget NLL against it', required: false },
  ],
  models: [
    { name: 'policy', kind: 'policy', trainable: true, madeBy: 'loaded from model.full, afresh for each algorithm' },
    { name: 'reference', kind: 'reference', trainable: false, madeBy: 'NPO only: a frozen load of model.full, log-probs cached' },
    { name: 'retain-only', kind: 'target', trainable: false, madeBy: 'loaded from model.retain; its forget-set truth ratios define forget quality' },
  ],
  run,
  evaluate: tofuReport,
  demos: [
    {
      name: 'simnpo',
      method: 'simnpo',
      summary: 'unlearn TOFU forget10 from a tiny byte-level GPT with GA, GradDiff, NPO and SimNPO; forget quality vs model utility',
      // The fine-tuned fixture starts at about 2.46 nats per forget token (test/fixtures/tofu-full/training.json).
      // SimNPO's defaults (beta 4.5, gamma 0, w_f 0.125) give it a gradient weight near exp(-11) there,
      // so the demo sets gamma = beta * 2.46 to start the term at its midpoint, with w_f = 1.
      config: { simnpo: { beta: 2.5, margin: 6.15, forgetWeight: 1, retainWeight: 1 } },
      quickConfig: {
        simnpo: { beta: 2.5, margin: 6.15, forgetWeight: 1, retainWeight: 1 },
        data: { forgetRows: 8, retainRows: 200 },
        train: { steps: 2, batchSize: 2, logEvery: 1, evalEvery: 2 },
        eval: { forgetRows: 4, retainRows: 2, generalRows: 2, generateRows: 1, maxNewTokens: 4, batchSize: 8 },
      },
    },
  ],
});
