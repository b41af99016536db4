// @lab/data: tokenizers, dataset schemas and loaders, preflight checks and collation.
// File-system helpers (paths, .gz through node:zlib) live in `@lab/data/node`.
export { ByteTokenizer } from './tokenizer/bytes.js';
export { Gpt2Tokenizer } from './tokenizer/gpt2.js';
export { Llama2Tokenizer } from './tokenizer/llama2.js';
export {
  type DecodeOptions,
  type EncodeOptions,
  type SpecialIds,
  StreamingDecoder,
  type Tokenizer,
} from './tokenizer/tokenizer.js';
export { CollateError, DataError, FormatError, TokenizerError } from './errors.js';
export {
  type DataSource,
  detectFormat,
  type FormatName,
  type ParseOptions,
  parseSource,
  type RawRecord,
} from './formats.js';
export {
  FieldIssue,
  type LoadOptions,
  type LoadResult,
  parseDataset,
  parseMapped,
  parseRows,
} from './load.js';
export * from './schema.js';
export { derivePairs, type PairOptions } from './pairs.js';
export {
  parseAlpacaEvalJudgments,
  parseAlpacaEvalOutputs,
  parseHhRlhf,
  splitDialoguePair,
} from './datasets/preference.js';
export {
  defaultMqmWeights,
  MqmAnnotation,
  type MqmResult,
  type MqmWeights,
  parseMqm,
  penaltyOf,
} from './datasets/mqm.js';
export {
  type ForgetRetainSets,
  Gsm8kRow,
  parseGsm8k,
  parseTofuMultipleChoice,
  parseTofuQa,
} from './datasets/qa.js';
export { parseSentimentSentences, parseTinyShakespeare, parseWikiText } from './datasets/text.js';
export {
  type Batch,
  type CollateOptions,
  type CollatedArrays,
  collate,
  collateArrays,
  collatePreference,
  type PreferenceBatch,
  type TokenizedExample,
  type TokenizedPair,
  type Truncation,
  type TruncatedRow,
  tokenizeExample,
  truncateRow,
} from './collate.js';
export { type BatchOptions, batches, batchIndices, permutation, uniformAt } from './sampler.js';
export {
  type CheckOptions,
  checkSource,
  type DataReport,
  type FieldLengths,
  formatReport,
  type LengthStats,
  percentiles,
} from './preflight.js';
export { sourceFromBytes } from './bytes-source.js';
