// @lab/dpo-ties/losses: the losses (DPO, DPO-RK, DPO-D, IPO) as pure functions on tensors of sequence
// log-probs, the tie models they share and the three-way win/loss/tie classifier. Needs only @lab/tensor.
export { PreferenceInputError, TieParameterError } from './errors.js';
export {
  type CompletionLengths,
  logRatioMargin,
  type MarginOptions,
  type PreferenceLogProbs,
  rewardMargin,
} from './margin.js';
export {
  bradleyTerryWinLogProb,
  davidsonTieLogProb,
  davidsonWinLogProb,
  raoKupperTieLogConstant,
  raoKupperTieLogProb,
  raoKupperWinLogProb,
} from './tie-models.js';
export {
  bradleyTerryLoss,
  DEFAULT_DAVIDSON_NU,
  DEFAULT_RAO_KUPPER_NU,
  type DavidsonOptions,
  davidsonLoss,
  type DpoDavidsonLossOptions,
  type DpoLossOptions,
  type DpoRaoKupperLossOptions,
  dpoDavidsonLoss,
  dpoLoss,
  dpoRaoKupperLoss,
  type IpoLossOptions,
  ipoLoss,
  type KindOptions,
  marginLoss,
  type PreferenceLossKind,
  type PreferenceLossOptions,
  preferenceLoss,
  type RaoKupperOptions,
  raoKupperLoss,
  type Reduction,
  type TieOptions,
} from './losses.js';
export {
  classifyMargins,
  OUTCOMES,
  outcomeLogProbs,
  type PairOutcome,
  type TieRule,
  type TieRuleOptions,
  tieBand,
} from './classify.js';
