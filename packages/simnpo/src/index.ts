// @lab/simnpo: LLM unlearning losses (GA, GradDiff, NPO, SimNPO), also at `@lab/simnpo/losses`
// (needs only @lab/tensor and @lab/models), and the `simnpo` Method with its TOFU demo.
export * from './errors.js';
export * from './losses.js';
export { ALGORITHMS, type Algorithm, type SimNpoConfig, simNpoConfig } from './config.js';
export * from './evaluate.js';
export { type HistoryPoint, method, objectiveOf, RESULTS_FILE, type TofuResults } from './method.js';
export { finalPoints, readResults, resultPlots } from './report.js';
export * from './tofu.js';
