/** Credits are kept to 10⁻⁶: every price, sum and difference is rounded there. */
export function roundCredits(credits: number): number {
  return Math.round(credits * 1e6) / 1e6;
}
