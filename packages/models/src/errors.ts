/**
 * Errors raised by @lab/models. Each carries a `_tag` and the fields a caller needs. The message states
 * what was wrong, with which value, and what to do.
 */

/** A checkpoint (llama2.c `.bin`, safetensors, config.json) does not match what the model needs. */
export class CheckpointError extends Error {
  readonly _tag = 'CheckpointError';
  constructor(
    /** File name or `<bytes>`. */
    readonly source: string,
    /** The header field, tensor name or config key that is wrong. */
    readonly field: string,
    detail: string,
  ) {
    super(`${source}: ${field}: ${detail}`);
    this.name = 'CheckpointError';
  }
}

/** A model configuration value is missing or out of range. */
export class ConfigError extends Error {
  readonly _tag = 'ConfigError';
  constructor(
    readonly model: string,
    readonly field: string,
    readonly value: unknown,
    detail: string,
  ) {
    super(`${model} config: ${field} = ${JSON.stringify(value)} ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Generation, sampling or speculative decoding received an invalid option or input. */
export class GenerationError extends Error {
  readonly _tag = 'GenerationError';
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = 'GenerationError';
  }
}

/** LoRA could not be attached, merged or switched as asked. */
export class AdapterError extends Error {
  readonly _tag = 'AdapterError';
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = 'AdapterError';
  }
}
