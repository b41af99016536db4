// Runs in every test file: the file must end with no live tensors, so leaks fail where they happen.
import { memory } from '@lab/tensor';
import { afterAll, expect } from 'vitest';

afterAll(() => {
  expect(memory().tensors, 'tensors still alive at the end of this test file').toBe(0);
});
