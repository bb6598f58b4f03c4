// Numbers as people read them: scores in their metric's own units and direction, POI amounts,
// accounts, blocks. Pure functions (no DOM, no chain), unit-tested in dashboard/test/.

/** The chain's currency has 12 decimals. */
export const POI_DECIMALS = 12;

/** A non-negative BigInt `value` with `decimals` decimal places, trailing zeros cut. */
export function decimal(value, decimals) {
  const scale = 10n ** BigInt(decimals);
  const whole = value / scale;
  const fraction = value % scale;
  if (fraction === 0n) return whole.toString();
  const digits = fraction.toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${whole}.${digits}`;
}

/** A score's value in the metric's units: scores are scaled by `10^scale` and negated when the
 * metric is minimised, so that larger is always better on chain. */
export function metricValue(score, metric) {
  const value = metric.direction === 'Minimize' ? -score : score;
  const sign = value < 0n ? '-' : '';
  return sign + decimal(value < 0n ? -value : value, metric.scale);
}

/** The same as a float, for charts (exact text comes from `metricValue`). */
export function metricNumber(score, metric) {
  return Number(metricValue(score, metric));
}

/** "lower is better" or "higher is better". */
export const better = (metric) => (metric.direction === 'Minimize' ? 'lower is better' : 'higher is better');

/** How much `best` improves on `baseline`, in percent of the baseline's magnitude (positive
 * when better, whatever the direction); `null` when the baseline is zero. */
export function improvementPercent(best, baseline) {
  if (baseline === 0n) return null;
  const magnitude = baseline < 0n ? -baseline : baseline;
  // Two decimals, exact: basis points of basis points.
  return Number(((best - baseline) * 1_000_000n) / magnitude) / 10_000;
}

/** A verdict's distance from its round's median in basis points of the median's magnitude
 * (positive: the verdict found the candidate better than the median). A zero median counts
 * a difference as 10 000 bps per unit, so it still shows. */
export function residualBps(score, median) {
  if (median === 0n) return Number(score) * 10_000;
  const magnitude = median < 0n ? -median : median;
  return Number(((score - median) * 10_000n) / magnitude);
}

/** A POI amount (planck, BigInt) as text. */
export const poi = (planck) => `${decimal(planck, POI_DECIMALS)} POI`;

/** A long SS58 address cut to its ends; a known dev account's name when it is one. */
export function shortAccount(address, names = {}) {
  if (names[address]) return names[address];
  return address.length > 14 ? `${address.slice(0, 6)}…${address.slice(-6)}` : address;
}

/** A percentage with a sign. */
export function signedPercent(percent) {
  if (percent === null || percent === undefined) return '–';
  const text = percent.toFixed(2);
  return `${percent > 0 ? '+' : ''}${text}%`;
}

/** Text safe to put in HTML. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}
