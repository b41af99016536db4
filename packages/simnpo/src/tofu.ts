/**
 * The TOFU sets this package trains and evaluates on, read from the folder of the TOFU files:
 *   forget        forget10 (400 QA rows about 20 fictitious authors)
 *   holdout       holdout10 (400 rows about 20 other authors, never trained on)
 *   retainTrain   the retain90 rows that TOFU evaluates (the 400 questions of retain_perturbed)
 *   forgetEval / retainEval   forget10_perturbed / retain_perturbed: paraphrased and perturbed answers
 *   realAuthors / worldFacts  the two general-knowledge sets, each with perturbed answers
 * Only the retain rows that TOFU evaluates are trained on, so a model small enough for two CPU cores
 * still holds every fact that the retain metrics ask about.
 */
import { type QaRow, type Tokenizer, type TokenizedExample, tokenizeExample } from '@lab/data';
import { loadTofuQa } from '@lab/data/node';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UnlearningConfigError } from './errors.js';

export interface TofuSets {
  forget: QaRow[];
  holdout: QaRow[];
  retainTrain: QaRow[];
  forgetEval: QaRow[];
  retainEval: QaRow[];
  realAuthors: QaRow[];
  worldFacts: QaRow[];
  files: { name: string; file: string; rows: number }[];
}

function pick(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) if (existsSync(join(dir, candidate))) return join(dir, candidate);
  throw new UnlearningConfigError('data.tofuDir', dir, `holds no ${name} (plain or .gz); point it at the TOFU folder, e.g. data/tofu`);
}

export async function loadTofuSets(dir: string): Promise<TofuSets> {
  const files: TofuSets['files'] = [];
  const load = async (name: string) => {
    const result = await loadTofuQa(pick(dir, name));
    files.push({ name, file: result.file, rows: result.rows.length });
    return [...result.rows];
  };
  const retain90 = await load('retain90.json');
  const retainEval = await load('retain_perturbed.json');
  const byQuestion = new Map(retain90.map((r) => [r.question, r]));
  const retainTrain = retainEval.map((r) => byQuestion.get(r.question)).filter((r): r is QaRow => r !== undefined);
  return {
    forget: await load('forget10.json'),
    holdout: await load('holdout10.json'),
    retainTrain,
    forgetEval: await load('forget10_perturbed.json'),
    retainEval,
    realAuthors: await load('real_authors_perturbed.json'),
    worldFacts: await load('world_facts_perturbed.json'),
    files,
  };
}

/** Builds the prompt of a question; the answer and EOS follow it. It is kept short because byte tokens are costly. */
export function promptOf(question: string): string {
  return `${question}\n`;
}

export function encodeQa(tokenizer: Tokenizer, question: string, answer: string): TokenizedExample {
  return tokenizeExample(tokenizer, { prompt: promptOf(question), completion: answer });
}

/**
 * Drops rows whose prompt leaves fewer than `minAnswer` answer tokens within maxLength; the rest are
 * truncated at the end of the answer by the collator.
 */
export function fitting<R>(rows: readonly R[], encoded: readonly TokenizedExample[], maxLength: number, minAnswer = 16): R[] {
  return rows.filter((_, i) => encoded[i].prompt.length + minAnswer <= maxLength);
}
