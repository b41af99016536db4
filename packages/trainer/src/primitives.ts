/**
 * Building blocks of recipes besides the training loop: language-model batches and their loss,
 * evaluation of a loss over a data set without gradients, and text generation.
 */
import { collateArrays, type TokenizedExample, type Tokenizer, type Truncation } from '@lab/data';
import { type CausalLM, generate as generateTokens, sequenceLogProbs, type StopReason } from '@lab/models';
import { div, fromArray, neg, noGrad, scopeAsync, sum, type Tensor } from '@lab/tensor';
import type { LossOutput } from './train.js';

/** A right-padded batch of tokenized rows; see @lab/data's collate for the shift convention. */
export interface LmBatch {
  rows: TokenizedExample[];
  ids: Tensor; // (B, T) i32
  completionMask: Tensor; // (B, T) f32
  /** Completion tokens the loss covers. */
  tokens: number;
  /** T, the padded length. */
  length: number;
}

export interface LmBatchOptions {
  maxLength?: number;
  truncation?: Truncation;
  backend?: string;
}

export function lmBatch(rows: readonly TokenizedExample[], options: LmBatchOptions = {}): LmBatch {
  const arrays = collateArrays(rows, { maxLength: options.maxLength, truncation: options.truncation });
  const [B, T] = [arrays.batchSize, arrays.length];
  let tokens = 0;
  for (let b = 0; b < B; b++) {
    // Position 0 is never a label, so it never counts.
    for (let t = 1; t < T; t++) tokens += arrays.completionMask[b * T + t];
  }
  return {
    rows: [...rows],
    ids: fromArray(arrays.ids, [B, T], { dtype: 'i32', backend: options.backend }),
    completionMask: fromArray(arrays.completionMask, [B, T], { dtype: 'f32', backend: options.backend }),
    tokens,
    length: T,
  };
}

/**
 * Next-token cross-entropy averaged over every completion token of the batch (the token-mean of
 * Hugging Face's `outputs.loss`): loss = -sum_{b,t} mask * log p(y_t | y_<t) / sum mask.
 */
export function lmLoss(model: CausalLM, batch: LmBatch): LossOutput {
  const lp = sequenceLogProbs(model, batch.ids, batch.completionMask); // tokenLogProbs (B, T-1)
  const loss = neg(div(sum(lp.tokenLogProbs), sum(lp.mask))); // scalar
  return { loss, tokens: batch.tokens };
}

export interface EvalLossResult {
  /** Token-weighted mean loss. */
  loss: number;
  tokens: number;
  batches: number;
}

/**
 * Mean of a loss over rows, batch by batch, without gradients; each batch is weighted by its
 * `tokens` (or by its row count when the loss reports no tokens).
 */
export async function evaluateLoss<Row, B>(rows: readonly Row[], batchSize: number, collate: (rows: Row[]) => B, loss: (batch: B) => LossOutput, maxBatches?: number): Promise<EvalLossResult> {
  let weighted = 0;
  let weight = 0;
  let batches = 0;
  for (let start = 0; start < rows.length; start += batchSize) {
    if (maxBatches !== undefined && batches >= maxBatches) break;
    const chunk = rows.slice(start, start + batchSize);
    const { value, w } = await scopeAsync(async () => {
      const out = noGrad(() => loss(collate(chunk)));
      return { value: await out.loss.item(), w: out.tokens ?? chunk.length };
    });
    weighted += value * w;
    weight += w;
    batches += 1;
  }
  return { loss: weight > 0 ? weighted / weight : Number.NaN, tokens: weight, batches };
}

export interface GenerateTextOptions {
  maxTokens: number;
  /** 0 is greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  onText?: (text: string) => void;
}

export interface GeneratedText {
  prompt: string;
  text: string;
  tokens: number[];
  stopReason: StopReason;
}

/** Generates a continuation of `prompt` (BOS first, as in training) and decodes it. */
export async function generateText(model: CausalLM, tokenizer: Tokenizer, prompt: string, options: GenerateTextOptions): Promise<GeneratedText> {
  const bos = tokenizer.special.bos;
  const ids = prompt === '' ? (bos !== undefined ? [bos] : []) : tokenizer.encode(prompt, { bos: bos !== undefined });
  const decoder = tokenizer.decoder();
  const result = await generateTokens(model, ids, {
    maxNewTokens: options.maxTokens,
    temperature: options.temperature ?? 1,
    topK: options.topK,
    topP: options.topP,
    seed: options.seed ?? 0,
    eosId: tokenizer.special.eos,
    onToken: options.onText ? (token) => options.onText!(decoder.push(token)) : undefined,
  });
  if (options.onText) options.onText(decoder.flush());
  return { prompt, text: tokenizer.decode(result.tokens), tokens: result.tokens, stopReason: result.stopReason };
}
