/**
 * The Method plugin contract. A method package exports `method` (or `methods`), a value made with
 * `defineMethod`: its name, summary and paper, a configuration spec with the paper's defaults, the
 * dataset kinds and model roles it needs, a recipe built from the trainer's primitives, and its
 * evaluation. `lab train <name>` finds it through the registry.
 */
import type { KindName } from '@lab/data';
import type { ConfigSpec } from './config.js';
import type { MethodContext } from './context.js';
import type { ReportSection } from '@lab/eval';

export interface PaperRef {
  title: string;
  authors?: string;
  year?: number;
  /** arXiv id or URL. */
  url?: string;
}

/** One dataset a method reads, such as the preference pairs of DPO or the forget set of SimNPO. */
export interface DataNeed {
  /** Role of the data in the method: 'train', 'forget', 'retain', 'holdout', 'prompts', ... */
  name: string;
  kinds: readonly KindName[];
  description: string;
  /** Default true. */
  required?: boolean;
}

/**
 * Model roles, as the methods of this repository use them:
 *   policy     the trainable model
 *   reference  a frozen model the policy is compared with (see Reference for the four modes)
 *   target     a frozen teacher or verifier (AdaSPEC's target, a reward model)
 *   draft      a model trained to be verified by a target
 *   recipe     many models trained from one recipe on different subsets and seeds (LiRA)
 *   clients    one model per federated client, aggregated in rounds (FedRAM)
 */
export type ModelRoleKind = 'policy' | 'reference' | 'target' | 'draft' | 'recipe' | 'clients';

export interface ModelRole {
  name: string;
  kind: ModelRoleKind;
  trainable: boolean;
  /** How the model is made: loaded from `model.path`, a frozen copy of the policy, trained by stage 1, ... */
  madeBy: string;
}

/** A chart, table or text the method adds to the report and to eval.json. */
export type MethodPlot = ReportSection;

/** Result of a method's evaluation, written to eval.json and shown in report.html. */
export interface EvalResult {
  /** Final scalar metrics, such as `validLoss` or `auc`. */
  metrics: Record<string, number>;
  /** Version of each metric's definition (default 1). */
  versions?: Record<string, number>;
  plots?: MethodPlot[];
  /** Anything else worth keeping (per-example scores, counters). */
  details?: unknown;
}

/** A ready-made run of a method, listed by `lab demo`. */
export interface Demo {
  name: string;
  method: string;
  summary: string;
  /** Configuration of the full demo. */
  config: Record<string, unknown>;
  /** Configuration of `--quick`, a run of a minute or less. */
  quickConfig?: Record<string, unknown>;
}

export interface Method<C = unknown> {
  name: string;
  summary: string;
  paper?: PaperRef;
  config: ConfigSpec<C>;
  data: readonly DataNeed[];
  models: readonly ModelRole[];
  /** The recipe: trains through ctx.trainModel / ctx.trainMany, never with a loop of its own. */
  run(ctx: MethodContext<C>): Promise<void>;
  /** Metrics through @lab/eval; runs after `run` and again on `lab eval <run-dir>`. */
  evaluate?(ctx: MethodContext<C>): Promise<EvalResult>;
  demos?: readonly Demo[];
}

/** Identity with type inference for the configuration type. */
export function defineMethod<C>(method: Method<C>): Method<C> {
  return method;
}

/** A method with its configuration type erased, as the registry holds it. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds methods of every configuration type
export type AnyMethod = Method<any>;
