// @lab/eval: evaluation metrics on plain number arrays, statistical tests, and HTML reports.

export { EvaluationError, MetricInputError, MetricsParseError } from './errors.js';
export type { Numbers } from './internal/validate.js';

export {
  accuracy,
  type ExactMatchOptions,
  type ExactMatchResult,
  exactMatch,
  normalizeAnswer,
  type Outcome,
  outcomesFromScores,
  perplexity,
  type WinRateOptions,
  type WinRateResult,
  winRate,
} from './metrics/basic.js';
export { type KlEstimate, type KlEstimator, klEstimate } from './metrics/kl.js';
export {
  type ImplicitRewards,
  implicitRewards,
  type PairLabel,
  type PreferenceLogProbs,
  type PreferenceMetrics,
  preferenceAccuracy,
  preferenceMetrics,
  predictPairLabel,
  type ThreeWayResult,
  threeWayClassification,
} from './metrics/preference.js';
export {
  auc,
  balancedAccuracy,
  type RocCurve,
  type RocPoint,
  rocCurve,
  splitByLabel,
  type TprAtFprResult,
  tprAtFpr,
} from './metrics/roc.js';
export {
  type AcceptanceStats,
  acceptanceStats,
  expectedTokensPerCall,
  type SpeculativeStep,
} from './metrics/speculative.js';

export {
  type BootstrapOptions,
  type BootstrapResult,
  bootstrapCi,
  quantile,
  seededUniform,
} from './stats/bootstrap.js';
export {
  erf,
  erfc,
  erfcx,
  gaussianLogCdf,
  gaussianLogPdf,
  normalCdf,
  normalLogCdf,
} from './stats/gaussian.js';
export {
  KS_EXACT_MAX_SIZE,
  type KsMethod,
  type KsResult,
  kolmogorovSurvival,
  ksTwoSample,
} from './stats/ks.js';

export {
  aggregateSeeds,
  buildComparison,
  DEFAULT_TRADEOFFS,
  renderComparison,
  type SeedAggregate,
} from './report/comparison.js';
export { escapeHtml, formatNumber } from './report/format.js';
export {
  curvesFromRecords,
  type MetricRecord,
  parseMetricsJsonl,
  seriesFromRecords,
} from './report/metrics-log.js';
export { renderReport } from './report/render.js';
export type {
  AxisSpec,
  Cell,
  ComparisonOptions,
  LineChartSection,
  LineSeries,
  ReportSection,
  ReportSpec,
  RocSection,
  RocSeries,
  RunMetadata,
  RunSummary,
  SamplesSection,
  ScatterPoint,
  ScatterSection,
  TableSection,
  TextSection,
  TradeoffSpec,
} from './report/types.js';
