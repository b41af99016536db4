export { gradcheck, type GradcheckMismatch, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
