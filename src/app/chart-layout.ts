// A chart's layout: where its stage labels sit (beside their rule, flipped to its left where the plot ends, on a
// second row where two would overlap), the range of its values and the ticks of a log axis. Pure: unit-tested.

export interface StageLabel {
  /** The label's anchor point, a few pixels off its rule. */
  x: number;
  anchor: 'start' | 'end';
  row: number;
}

/** Rows of labels a chart makes room for: a third would crowd the plot, so labels share the second. */
const MAX_ROWS = 2;
const GAP = 3;

/**
 * The width of a label at the chart's 10 px font. SVG text cannot be measured before it is drawn; this bounds the
 * lowercase names stages have (6 px a character is wider than any of them but m and w).
 */
export function labelWidth(text: string): number {
  return text.length * 6 + 2;
}

/** Place the label of each rule (pixel x, left to right); `right` is the plot's right edge. */
export function placeStageLabels(marks: readonly { x: number; text: string }[], right: number): StageLabel[] {
  const rowEnds: number[] = Array.from({ length: MAX_ROWS }, () => -Infinity);
  return marks.map(({ x, text }) => {
    const w = labelWidth(text);
    const fitsRight = x + GAP + w <= right;
    const from = fitsRight ? x + GAP : x - GAP - w;
    let row = rowEnds.findIndex((end) => end + GAP <= from);
    if (row < 0) row = rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = from + w;
    return { x: fitsRight ? x + GAP : x - GAP, anchor: fitsRight ? 'start' : 'end', row };
  });
}

/** The smallest and largest finite value of the series (Infinity and -Infinity when there is none). */
export function valueRange(series: readonly { ys: readonly number[] }[]): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (const v of s.ys)
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
  return { lo, hi };
}

/** A log axis ticks every multiple in each decade: keep 1, 2 and 5 of each, or only the powers of ten. */
export function thinLogTicks(all: readonly number[]): readonly number[] {
  if (all.length <= 7) return all;
  const digit = (t: number) => t.toExponential()[0];
  const few = all.filter((t) => '125'.includes(digit(t)));
  return few.length <= 7 ? few : all.filter((t) => digit(t) === '1');
}
