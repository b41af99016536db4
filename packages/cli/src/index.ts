// @lab/cli: the `lab` command, and the same operations for programs (Promise and Effect APIs).
export { type BackendInfo, type DataCheckOptions, dataCheck, demo, evalRun, findTokenizer, formatInfo, type GenerateOptions, generate, type InfoResult, type Io, info, processIo, report, type TrainOptions, train } from './actions.js';
export { ActionFailed, buildCommand } from './commands.js';
export { nodeEnvironment } from './environment.js';
export { errorLine, labEffect, runCli } from './main.js';
