/**
 * The recipe of the dpo-ties Method. It prepares what the variants share (task.ts), then trains each
 * variant as a trainer stage from a fresh copy of the starting model and evaluates it on the held-out
 * data every `train.evalEvery` steps. The final evaluation measures each stage's newest checkpoint.
 * With the steering task or several variants, the evaluation also writes comparison.html and prints
 * the results table.
 */
import { writeFileSync } from 'node:fs';
import { renderReport } from '@lab/eval';
import { ConfigError, type EvalResult, type MethodContext, type MetricValue } from '@lab/trainer';
import { type PolicySample, policyMetrics } from '../steering/evaluate.js';
import { collatePairs, type PairBatch, pairLoss } from './batch.js';
import type { DpoTiesConfig } from './config.js';
import { preferenceEvaluation, type RuleSettings, sampledKl, scoreHeldOut } from './evaluate.js';
import type { TokenizedPreference } from './pairs.js';
import {
  type ComparisonInput,
  comparisonSpec,
  headlineMetrics,
  readCurves,
  resultsTable,
  type VariantResult,
} from './report.js';
import { eta, loadStartModel, prepareTask, type Task } from './task.js';
import { type VariantPlan, variantPlans, variantSettings } from './variants.js';

type Ctx = MethodContext<DpoTiesConfig>;

/** Samples of each evaluation kept in samples.jsonl. */
const SAMPLES_LOGGED = 4;

/** Davidson nu as the configuration gives it: alpha = ln nu when set, else nu. */
export function davidsonNuOf(cfg: DpoTiesConfig): number {
  return cfg.alphaDavidson === null ? cfg.nuDavidson : Math.exp(cfg.alphaDavidson);
}

/** Ties need a tie probability above 0: nu_RK > 1 and nu_D > 0. */
export function checkTieConfig(cfg: DpoTiesConfig, plan: VariantPlan): void {
  if (!plan.useTies) return;
  if (plan.loss === 'dpo-rk' && cfg.nuRaoKupper <= 1) {
    throw new ConfigError('dpo-ties', [
      {
        field: 'nuRaoKupper',
        value: cfg.nuRaoKupper,
        detail:
          'must be > 1 when tied pairs are trained on, since nu = 1 gives ties probability 0; use 3 (the paper) or set useTies false',
      },
    ]);
  }
  if (plan.loss === 'dpo-d' && davidsonNuOf(cfg) === 0) {
    throw new ConfigError('dpo-ties', [
      {
        field: 'nuDavidson',
        value: cfg.nuDavidson,
        detail:
          'must be > 0 when tied pairs are trained on, since nu = 0 gives ties probability 0; use 1 (the paper) or set useTies false',
      },
    ]);
  }
}

function ruleSettings(cfg: DpoTiesConfig): RuleSettings {
  return { nuRaoKupper: cfg.nuRaoKupper, nuDavidson: davidsonNuOf(cfg) };
}

function scoreSettings(ctx: Ctx) {
  const cfg = ctx.config;
  return {
    maxLength: cfg.data.maxLength,
    truncation: cfg.data.truncation,
    backend: ctx.backend,
    batchSize: cfg.eval.batchSize,
  };
}

// run() and evaluate() get the same context within one `lab train`, so they share one task.
const tasks = new WeakMap<object, Promise<Task>>();

function taskOf(ctx: Ctx): Promise<Task> {
  let task = tasks.get(ctx);
  if (!task) {
    task = prepareTask(ctx);
    tasks.set(ctx, task);
  }
  return task;
}

interface Evaluation {
  metrics: Record<string, number>;
  samples: PolicySample[];
}

// The evaluation at each stage's last training step, kept for evaluate() of the same run: the policy
// it measured is the newest checkpoint, so measuring it again would repeat the same numbers.
const lastEvaluations = new WeakMap<object, Map<string, Evaluation>>();

/** Held-out pair metrics of a policy, and for the steering task the metrics of its samples. */
async function evaluatePolicy(
  ctx: Ctx,
  task: Task,
  policy: Task['referenceModel'],
  plans: readonly VariantPlan[],
): Promise<Evaluation[]> {
  const cfg = ctx.config;
  const held =
    task.holdout.length > 0
      ? await scoreHeldOut(policy, task.reference, task.holdout, scoreSettings(ctx))
      : null;
  let sampled: Awaited<ReturnType<typeof policyMetrics>> | null = null;
  if (task.steering) {
    const s = cfg.steering;
    sampled = await policyMetrics(policy, {
      referenceModel: task.referenceModel,
      tokenizer: task.tokenizer,
      reward: task.steering.reward,
      prompts: task.steering.data.heldOut.map((p) => p.ids),
      samples: s.evalSamples,
      maxTokens: s.completionTokens,
      temperature: s.temperature,
      seed: s.seed,
      batch: s.generationBatch,
      backend: ctx.backend,
    });
  }
  return plans.map((plan) => ({
    metrics: {
      ...(held ? preferenceEvaluation(held, variantSettings(cfg, plan), ruleSettings(cfg)) : {}),
      ...(sampled?.metrics ?? {}),
    },
    samples: sampled?.samples ?? [],
  }));
}

function metricValues(values: Record<string, number>): Record<string, MetricValue> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, version: 1 }]));
}

/** Logs the step-0 evaluation (the policy equals the reference) once per stage, so curves start at 0. */
async function logStepZero(ctx: Ctx, task: Task, plans: readonly VariantPlan[]): Promise<void> {
  const logged = new Set(
    ctx.run
      .readMetrics()
      .filter((l) => l.step === 0 && l.split === 'eval')
      .map((l) => l.stage),
  );
  const missing = plans.filter((p) => !logged.has(p.stage));
  if (missing.length === 0 || task.holdout.length === 0) return;
  ctx.log.info('evaluating the reference (step 0)');
  const results = await evaluatePolicy(ctx, task, task.referenceModel, missing);
  missing.forEach((plan, i) => {
    ctx.run.appendMetrics({
      stage: plan.stage,
      step: 0,
      split: 'eval',
      metrics: metricValues(results[i].metrics),
    });
  });
  ctx.log.info('reference', { ...results[0].metrics });
}

async function trainVariant(ctx: Ctx, task: Task, plan: VariantPlan): Promise<void> {
  const cfg = ctx.config;
  const t = cfg.train;
  const groups = task.groups
    .map((g) => (plan.useTies ? g : g.filter((p) => !p.tie)))
    .filter((g) => g.length > 0);
  const settings = variantSettings(cfg, plan);
  const pairs = groups.flat();
  ctx.log.info(`training ${plan.label}`, {
    stage: plan.stage,
    groups: groups.length,
    pairs: pairs.length,
    ties: pairs.filter((p) => p.tie).length,
  });
  const policy = await loadStartModel(ctx);
  const last = lastEvaluations.get(ctx) ?? new Map<string, Evaluation>();
  lastEvaluations.set(ctx, last);
  const steps = ctx.stepsOverride ?? t.steps;
  try {
    await ctx.trainModel<TokenizedPreference[], PairBatch>({
      stage: plan.stage,
      model: policy,
      rows: groups,
      collate: (rows) =>
        collatePairs(rows.flat(), task.reference, {
          maxLength: cfg.data.maxLength,
          truncation: cfg.data.truncation,
          backend: ctx.backend,
        }),
      loss: (batch) => pairLoss(policy, batch, settings),
      optimizer: {
        kind: 'adamw',
        lr: t.lr,
        weightDecay: 0,
        schedule: 'constant',
        warmupSteps: t.warmupSteps,
        clipNorm: t.clipNorm > 0 ? t.clipNorm : null,
      },
      batchSize: t.batchSize,
      gradAccum: t.gradAccum,
      steps: t.steps,
      seed: ctx.seed,
      logEvery: t.logEvery,
      evalEvery: t.evalEvery,
      evaluate: async (_model, step) => {
        if (task.holdout.length === 0) return {};
        const [result] = await evaluatePolicy(ctx, task, policy, [plan]);
        for (const s of result.samples.slice(0, SAMPLES_LOGGED))
          ctx.run.appendSample({ stage: plan.stage, step, prompt: s.prompt, text: s.text, seed: s.seed });
        if (step === steps) last.set(plan.stage, { metrics: { ...result.metrics }, samples: result.samples });
        return result.metrics;
      },
      referenceCacheKey: task.reference.modelKey,
    });
  } finally {
    policy.dispose();
  }
}

export async function run(ctx: Ctx): Promise<void> {
  const plans = variantPlans(ctx.config);
  for (const plan of plans) checkTieConfig(ctx.config, plan);
  const task = await taskOf(ctx);
  await logStepZero(ctx, task, plans);
  const started = performance.now();
  for (const [i, plan] of plans.entries()) {
    if (plans.length > 1)
      ctx.log.info(`[variant ${i + 1}/${plans.length}] ${plan.label}`, {
        etaAllVariants: i === 0 ? '?' : eta(started, i, plans.length),
      });
    await trainVariant(ctx, task, plan);
  }
}

/** Counts clear and tied pairs, e.g. "380 clear + 419 tied pairs". */
function counts(pairs: readonly TokenizedPreference[]): string {
  const ties = pairs.filter((p) => p.tie).length;
  return `${pairs.length - ties} clear + ${ties} tied pairs`;
}

function comparisonInput(ctx: Ctx, task: Task, results: VariantResult[]): ComparisonInput {
  const cfg = ctx.config;
  const t = cfg.train;
  const setup: string[] = [];
  const steering = task.steering;
  if (steering) {
    const s = cfg.steering;
    setup.push(
      `model ${cfg.model.path}; ${s.prompts} training prompts (BOS + ${s.promptTokens} sampled tokens) x ${s.samples} continuations of up to ${s.completionTokens} tokens at temperature ${s.temperature}: ${counts(task.groups.flat())}`,
      `evaluation: ${s.heldOutPrompts} held-out prompts x ${s.evalSamples} policy samples (reward, KL, distinct-token ratio) and their ${task.holdout.length} held-out pairs (classification)`,
    );
  } else {
    setup.push(
      `model ${cfg.model.path}${cfg.sft.steps > 0 ? ` after ${cfg.sft.steps} SFT steps` : ''}; data ${cfg.data.format} ${cfg.data.train}: ${counts(task.groups.flat())} for training, ${counts(task.holdout)} held out`,
    );
  }
  setup.push(
    `training: ${ctx.stepsOverride ?? t.steps} steps of ${t.batchSize} ${steering ? 'prompts' : 'pairs'}, AdamW lr ${t.lr} (no weight decay, ${t.warmupSteps} warm-up steps), beta ${cfg.beta}, nu_RK ${cfg.nuRaoKupper}, nu_D ${davidsonNuOf(cfg)}, seed ${ctx.seed}, backend ${ctx.backend}`,
  );
  if (steering) {
    const r = steering.rewardReport;
    setup.push(
      `reward: log-odds of positive sentiment, word-count logistic regression, held-out accuracy ${r.heldOutAccuracy.toFixed(3)} (${r.heldOutSentences} sentences)`,
    );
  }
  return {
    title: steering
      ? 'Sentiment steering with tied pairs: DPO, DPO-RK and DPO-D'
      : 'DPO with tied pairs: variants compared',
    kind: steering ? 'steering' : 'pairs',
    results,
    curves: readCurves(ctx.run.readMetrics()),
    rewardReport: steering?.rewardReport ?? null,
    rewardWords: steering?.reward.strongestWords(12),
    setup,
  };
}

/** Final metrics of every variant from its newest checkpoint; the comparison report for steering or several variants. */
export async function evaluate(ctx: Ctx): Promise<EvalResult> {
  const cfg = ctx.config;
  const plans = variantPlans(cfg);
  const task = await taskOf(ctx);
  const results: VariantResult[] = [];
  const last = lastEvaluations.get(ctx);
  for (const plan of plans) {
    const done = last?.get(plan.stage);
    if (done && task.steering) {
      results.push({ plan, ...done });
      continue;
    }
    ctx.log.info(`final evaluation of ${plan.label}`, { stage: plan.stage });
    const { model } = await ctx.loadCheckpointModel(plan.stage);
    try {
      const [result] = done
        ? [{ metrics: { ...done.metrics }, samples: done.samples }]
        : await evaluatePolicy(ctx, task, model, [plan]);
      if (!task.steering) {
        const kl = await sampledKl(model, task.referenceModel, task.tokenizer, task.prompts, ctx.generate, {
          ...scoreSettings(ctx),
          samples: cfg.eval.klSamples,
          maxTokens: cfg.eval.klMaxTokens,
          temperature: cfg.eval.temperature,
          seed: ctx.seed,
        });
        Object.assign(result.metrics, kl);
      }
      results.push({ plan, ...result });
    } finally {
      model.dispose();
    }
  }
  const details = {
    referenceStats: task.reference.stats,
    ...(task.steering ? { rewardModel: task.steering.rewardReport } : {}),
  };
  if (plans.length === 1 && !task.steering) return { metrics: results[0].metrics, details };

  const input = comparisonInput(ctx, task, results);
  const path = ctx.run.path('comparison.html');
  const spec = comparisonSpec(input);
  writeFileSync(path, renderReport(spec));
  const table = resultsTable(input);
  writeFileSync(ctx.run.path('results.txt'), table);
  process.stdout.write(`\n${table}\ncomparison report: ${path}\n`);
  // eval.json keeps the table's metrics per variant; every metric is in details.variants.
  const headline = headlineMetrics(input.kind);
  const metrics: Record<string, number> = {};
  for (const r of results) {
    for (const name of plans.length === 1 ? Object.keys(r.metrics) : headline) {
      if (name in r.metrics) metrics[plans.length === 1 ? name : `${name}/${r.plan.stage}`] = r.metrics[name];
    }
  }
  if (task.steering) metrics.rewardModelAccuracy = task.steering.rewardReport.heldOutAccuracy;
  const variants = Object.fromEntries(
    results.map((r) => [r.plan.stage, { label: r.plan.label, metrics: r.metrics }]),
  );
  return { metrics, plots: spec.sections, details: { ...details, variants } };
}
