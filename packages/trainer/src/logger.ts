/**
 * One logger with levels. Every line goes to the run's log file (when one is attached) and, at or
 * above the console level, to stderr. Fields are appended as key=value so log lines stay greppable.
 */
import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface LoggerOptions {
  /** Lowest level printed to stderr (default 'info'). */
  consoleLevel?: LogLevel;
  /** Lowest level written to the file (default 'debug'). */
  fileLevel?: LogLevel;
  /** Log file path; lines are appended. */
  file?: string;
  /** Replaces stderr, for tests. */
  write?: (line: string) => void;
}

function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : v}`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

export class Logger {
  consoleLevel: LogLevel;
  fileLevel: LogLevel;
  file: string | null;
  private readonly write: (line: string) => void;
  /** Called before a console line is printed, so a progress line can clear itself. */
  beforeConsole: (() => void) | null = null;

  constructor(options: LoggerOptions = {}) {
    this.consoleLevel = options.consoleLevel ?? 'info';
    this.fileLevel = options.fileLevel ?? 'debug';
    this.file = options.file ?? null;
    this.write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Starts writing to a log file (for a logger created before the run directory existed). */
  attachFile(path: string): void {
    this.file = path;
  }

  log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void {
    const text = `${message}${formatFields(fields)}`;
    if (this.file && ORDER[level] >= ORDER[this.fileLevel]) {
      appendFileSync(this.file, `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}\n`);
    }
    if (ORDER[level] >= ORDER[this.consoleLevel]) {
      this.beforeConsole?.();
      this.write(level === 'info' ? text : `${level}: ${text}`);
    }
  }

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
}

export interface ProgressUpdate {
  stage: string;
  step: number;
  totalSteps: number;
  loss: number | null;
  tokensPerSecond: number | null;
  /** Seconds left at the current pace. */
  etaSeconds: number | null;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatProgress(u: ProgressUpdate): string {
  const loss = u.loss === null ? '' : ` loss ${u.loss.toFixed(4)}`;
  const speed = u.tokensPerSecond === null ? '' : ` ${Math.round(u.tokensPerSecond)} tok/s`;
  const eta = u.etaSeconds === null ? '' : ` eta ${formatDuration(u.etaSeconds)}`;
  return `[${u.stage}] step ${u.step}/${u.totalSteps}${loss}${speed}${eta}`;
}

/**
 * Progress of a training loop. On a terminal it redraws one status line on stderr; otherwise each
 * update becomes a plain info line of the logger.
 */
export class Progress {
  private readonly tty: boolean;
  private shown = false;

  constructor(
    private readonly logger: Logger,
    tty = process.stderr.isTTY === true,
  ) {
    this.tty = tty && logger.consoleLevel !== 'silent';
    if (this.tty) logger.beforeConsole = () => this.clear();
  }

  update(u: ProgressUpdate): void {
    const line = formatProgress(u);
    if (!this.tty) {
      this.logger.info(line);
      return;
    }
    if (this.logger.file) this.logger.log('debug', line);
    process.stderr.write(`\r\x1b[2K${line}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }

  done(): void {
    if (this.shown) process.stderr.write('\n');
    this.shown = false;
    if (this.logger.beforeConsole) this.logger.beforeConsole = null;
  }
}
