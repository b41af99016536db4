/**
 * Ready loaders for text: WikiText articles, Tiny Shakespeare speeches and the UCI sentiment
 * sentences. Each keeps the line its row starts on.
 */
import { DataError } from '../errors.js';
import type { DataSource } from '../formats.js';
import {
  emptyResult,
  FieldIssue,
  finish,
  type LoadOptions,
  type LoadResult,
  parseMapped,
  rejecter,
} from '../load.js';
import { LabelledExample, type TextRow } from '../schema.js';
import { asRecord } from './fields.js';
import { withSkip } from './preference.js';

/** A text split into blocks; `line` is where each block starts (1-based). */
interface Block {
  line: number;
  lines: string[];
}

/**
 * WikiText: one row per article. An article starts at a top-level heading line ` = Title = `
 * (second-level headings read ` = = Title = = `); the row's id is the title.
 */
export function parseWikiText(
  source: DataSource,
  options: Pick<LoadOptions, 'onInvalid'> = {},
): LoadResult<TextRow> {
  const result = emptyResult<TextRow>(source.name, 'text');
  const heading = /^ = ([^=].*) = $/;
  const articles: Block[] = [];
  source.text.split('\n').forEach((line, i) => {
    if (heading.test(line)) articles.push({ line: i + 1, lines: [] });
    articles[articles.length - 1]?.lines.push(line);
  });
  const reject = rejecter(result, withSkip(options));
  for (const article of articles) {
    const title = heading.exec(article.lines[0])![1].trim();
    const text = article.lines.join('\n').trim();
    if (article.lines.slice(1).every((l) => l.trim() === '')) {
      reject(
        new DataError(source.name, article.line, 'text', `article "${title}" has a heading and no body`),
      );
      continue;
    }
    result.rows.push({ text, id: title });
    result.lines.push(article.line);
  }
  return finish(result);
}

/**
 * Tiny Shakespeare: one row per speech, the blocks between blank lines. The first line names the
 * speaker (`KING RICHARD III:`), which becomes the row's client tag; the text is what follows.
 */
export function parseTinyShakespeare(
  source: DataSource,
  options: Pick<LoadOptions, 'onInvalid'> = {},
): LoadResult<TextRow> {
  const result = emptyResult<TextRow>(source.name, 'text');
  const reject = rejecter(result, withSkip(options));
  for (const block of blocks(source.text)) {
    const speaker = block.lines[0];
    if (!speaker.endsWith(':')) {
      reject(
        new DataError(
          source.name,
          block.line,
          'speaker',
          `expected a "NAME:" line to open the speech, got ${JSON.stringify(speaker)}`,
        ),
      );
      continue;
    }
    const text = block.lines.slice(1).join('\n');
    if (text.trim() === '') {
      reject(new DataError(source.name, block.line, 'text', `speech of ${speaker.slice(0, -1)} is empty`));
      continue;
    }
    result.rows.push({ text, client: speaker.slice(0, -1) });
    result.lines.push(block.line);
  }
  return finish(result);
}

function blocks(text: string): Block[] {
  const out: Block[] = [];
  let current: Block | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      current = undefined;
    } else if (current === undefined) {
      current = { line: i + 1, lines: [line] };
      out.push(current);
    } else {
      current.lines.push(line);
    }
  });
  return out;
}

/**
 * UCI sentiment-labelled sentences: `sentence<TAB>label` with label 0 or 1 and no header. `client`
 * tags each row with its domain (imdb, amazon, yelp), taken from the file name when not given.
 */
export function parseSentimentSentences(
  source: DataSource,
  options: LoadOptions & { client?: string } = {},
): LoadResult<LabelledExample> {
  const client = options.client ?? /(imdb|amazon|yelp)/.exec(source.name)?.[1];
  return parseMapped(
    source,
    LabelledExample,
    (value) => {
      const row = asRecord(value);
      if (row.label !== 0 && row.label !== 1)
        throw new FieldIssue('label', `expected 0 or 1, got ${JSON.stringify(row.label)}`);
      return { text: row.text, label: row.label, task: 'sentiment', ...(client ? { client } : {}) };
    },
    withSkip({ format: 'tsv', header: false, columns: ['text', 'label'], numeric: ['label'], ...options }),
  );
}
