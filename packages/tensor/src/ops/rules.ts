import type { OpName } from './defs.js';
import type { RuleTable } from './rule.js';
import { ELEMENTWISE_RULES } from './rules-elementwise.js';
import { FUSED_RULES, SCAN_RULES } from './rules-fused.js';
import { MOVEMENT_RULES } from './rules-movement.js';
import { REDUCE_RULES } from './rules-reduce.js';

/** Shape inference and gradient rule of every primitive; a missing entry is a compile error. */
export const RULES: RuleTable<OpName> = {
  ...ELEMENTWISE_RULES,
  ...REDUCE_RULES,
  ...MOVEMENT_RULES,
  ...FUSED_RULES,
  ...SCAN_RULES,
};
