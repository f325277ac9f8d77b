/** A least-squares line through a series: how fast it moves, how sure that is, and its level. */
export interface Trend {
  /** Units of y per unit of x. */
  slope: number;
  /** Half-width of the slope's two-sided 95 % confidence interval (Student's t on n − 2 degrees of freedom); Infinity under 3 points. */
  margin: number;
  /** Mean of y. */
  mean: number;
  points: number;
}

/** Two-sided 95 % quantiles of Student's t for 1 to 10 degrees of freedom. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** Student's t, two-sided 95 %, for `df` degrees of freedom (beyond 10, within 0.01 of the exact value). */
function t95(df: number): number {
  return T95[df - 1] ?? 1.96 + 2.4 / df + 2.8 / (df * df);
}

/**
 * The ordinary least-squares line of `ys` over `xs`, with the 95 % confidence margin of
 * its slope, so that a caller can tell growth from noise in a short series.
 * @example const { slope, margin } = fitLine([0, 30, 60], [50.1, 50.3, 50.2])
 */
export function fitLine(xs: readonly number[], ys: readonly number[]): Trend {
  const points = Math.min(xs.length, ys.length);
  const mean = (values: readonly number[]) => values.slice(0, points).reduce((sum, value) => sum + value, 0) / points;
  const meanX = mean(xs);
  const meanY = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < points; i++) {
    const dx = (xs[i] as number) - meanX;
    sxx += dx * dx;
    sxy += dx * ((ys[i] as number) - meanY);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  if (points < 3 || sxx === 0) return { slope, margin: Number.POSITIVE_INFINITY, mean: meanY, points };
  let residuals = 0;
  for (let i = 0; i < points; i++) {
    const residual = (ys[i] as number) - meanY - slope * ((xs[i] as number) - meanX);
    residuals += residual * residual;
  }
  const standardError = Math.sqrt(residuals / (points - 2) / sxx);
  return { slope, margin: t95(points - 2) * standardError, mean: meanY, points };
}
