import { ShapeError } from '../errors.js';
import { sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { zeros } from './creation.js';
import { gather, indexAdd, indexSelect, permute, reshape, scatterAdd, slice, split } from './movement.js';
import { sum } from './reduce.js';
import type { RuleTable } from './rule.js';
import { apply } from '../runtime.js';

type MovementOp =
  | 'reshape'
  | 'permute'
  | 'expand'
  | 'slice'
  | 'contiguous'
  | 'unslice'
  | 'concat'
  | 'pad'
  | 'gather'
  | 'indexSelect'
  | 'indexAdd'
  | 'scatterAdd'
  | 'oneHot'
  | 'triangle';

function zerosFor(x: Tensor): Tensor {
  return zeros(x.shape, { dtype: x.dtype, backend: x.backend.name });
}

/** Sums a gradient of the broadcast shape back down to the shape of the expanded input. */
function reduceToShape(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.rank - shape.length;
  const leading = Array.from({ length: lead }, (_, i) => i);
  let out = lead > 0 ? sum(g, leading) : g;
  const ones = shape.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  if (ones.length > 0) out = sum(out, ones, true);
  return out;
}

function checkIndexShapes(op: string, x: Tensor, index: Tensor, axis: number): void {
  const ok = index.rank === x.rank && index.shape.every((d, i) => i === axis || d <= x.shape[i]);
  if (!ok) throw new ShapeError(op, [x.shape, index.shape], `index must have the input's rank and no larger size off axis ${axis}`);
}

export const MOVEMENT_RULES: RuleTable<MovementOp> = {
  reshape: {
    infer: (inputs, attrs) => {
      if (sizeOf(attrs.shape) !== inputs[0].size) {
        throw new ShapeError('reshape', [inputs[0].shape], `cannot reshape ${inputs[0].size} elements to [${attrs.shape.join(', ')}]`);
      }
      return { shape: [...attrs.shape], dtype: inputs[0].dtype };
    },
    vjp: ({ inputs, g }) => [reshape(g, inputs[0].shape)],
  },
  permute: {
    infer: (inputs, attrs) => ({ shape: attrs.axes.map((a) => inputs[0].shape[a]), dtype: inputs[0].dtype }),
    vjp: ({ attrs, g }) => [permute(g, attrs.axes.map((_, i) => attrs.axes.indexOf(i)))],
  },
  expand: {
    infer: (inputs, attrs) => ({ shape: [...attrs.shape], dtype: inputs[0].dtype }),
    vjp: ({ inputs, g }) => [reduceToShape(g, inputs[0].shape)],
  },
  slice: {
    infer: (inputs, attrs) => ({
      shape: attrs.starts.map((s, i) => Math.max(0, Math.ceil((attrs.ends[i] - s) / attrs.steps[i]))),
      dtype: inputs[0].dtype,
    }),
    vjp: ({ inputs, attrs, g }) => [apply('unslice', [g], { shape: [...inputs[0].shape], starts: attrs.starts, steps: attrs.steps })],
  },
  contiguous: { infer: (inputs) => ({ shape: [...inputs[0].shape], dtype: inputs[0].dtype }), vjp: ({ g }) => [g] },
  unslice: {
    infer: (inputs, attrs) => ({ shape: [...attrs.shape], dtype: inputs[0].dtype }),
    vjp: ({ inputs, attrs, g }) => {
      const ends = attrs.starts.map((s, i) => s + (inputs[0].shape[i] - 1) * attrs.steps[i] + 1);
      return [slice(g, attrs.starts, ends, attrs.steps)];
    },
  },
  concat: {
    infer: (inputs, attrs) => {
      const first = inputs[0];
      for (const t of inputs) {
        const ok = t.rank === first.rank && t.shape.every((d, i) => i === attrs.axis || d === first.shape[i]);
        if (!ok) throw new ShapeError('concat', inputs.map((i) => i.shape), `shapes differ off axis ${attrs.axis}`);
      }
      const shape = [...first.shape];
      shape[attrs.axis] = inputs.reduce((total, t) => total + t.shape[attrs.axis], 0);
      return { shape, dtype: first.dtype };
    },
    vjp: ({ inputs, attrs, g }) => split(g, inputs.map((t) => t.shape[attrs.axis]), attrs.axis),
  },
  pad: {
    infer: (inputs, attrs) => ({
      shape: inputs[0].shape.map((d, i) => d + attrs.pads[i][0] + attrs.pads[i][1]),
      dtype: inputs[0].dtype,
    }),
    vjp: ({ inputs, attrs, g }) => [slice(g, attrs.pads.map((p) => p[0]), attrs.pads.map((p, i) => p[0] + inputs[0].shape[i]))],
  },
  gather: {
    infer: (inputs, attrs) => {
      checkIndexShapes('gather', inputs[0], inputs[1], attrs.axis);
      return { shape: [...inputs[1].shape], dtype: inputs[0].dtype };
    },
    vjp: ({ inputs, attrs, g }) => [scatterAdd(zerosFor(inputs[0]), attrs.axis, inputs[1], g), null],
  },
  indexSelect: {
    infer: (inputs, attrs) => {
      if (inputs[1].rank !== 1) throw new ShapeError('indexSelect', [inputs[0].shape, inputs[1].shape], 'indices must be 1-D');
      const shape = [...inputs[0].shape];
      shape[attrs.axis] = inputs[1].shape[0];
      return { shape, dtype: inputs[0].dtype };
    },
    vjp: ({ inputs, attrs, g }) => [indexAdd(zerosFor(inputs[0]), attrs.axis, inputs[1], g), null],
  },
  indexAdd: {
    infer: (inputs, attrs) => {
      const [x, index, source] = inputs;
      const expected = x.shape.map((d, i) => (i === attrs.axis ? index.size : d));
      if (index.rank !== 1 || source.rank !== x.rank || source.shape.some((d, i) => d !== expected[i])) {
        throw new ShapeError('indexAdd', [x.shape, index.shape, source.shape], `source must have shape [${expected.join(', ')}]`);
      }
      return { shape: [...x.shape], dtype: x.dtype };
    },
    vjp: ({ inputs, attrs, g }) => [g, null, indexSelect(g, attrs.axis, inputs[1])],
  },
  scatterAdd: {
    infer: (inputs, attrs) => {
      const [x, index, source] = inputs;
      checkIndexShapes('scatterAdd', x, index, attrs.axis);
      if (source.rank !== index.rank || source.shape.some((d, i) => d < index.shape[i])) {
        throw new ShapeError('scatterAdd', [x.shape, index.shape, source.shape], 'source must be at least as large as index on every axis');
      }
      return { shape: [...x.shape], dtype: x.dtype };
    },
    vjp: ({ inputs, attrs, g }) => [g, null, gatherToShape(g, attrs.axis, inputs[1], inputs[2].shape)],
  },
  oneHot: { infer: (inputs, attrs) => ({ shape: [...inputs[0].shape, attrs.numClasses], dtype: attrs.dtype }), vjp: null },
  triangle: {
    infer: (inputs) => {
      if (inputs[0].rank < 2) throw new ShapeError('triangle', [inputs[0].shape], 'tril and triu need at least two axes');
      return { shape: [...inputs[0].shape], dtype: inputs[0].dtype };
    },
    vjp: ({ attrs, g }) => [apply('triangle', [g], attrs)],
  },
};

/** Gradient for a scatter source larger than its index: entries outside the index get zero. */
function gatherToShape(g: Tensor, axis: number, index: Tensor, shape: readonly number[]): Tensor {
  const picked = gather(g, axis, index);
  if (picked.shape.every((d, i) => d === shape[i])) return picked;
  return apply('pad', [picked], { pads: shape.map((d, i) => [0, d - picked.shape[i]] as [number, number]), value: 0 });
}
