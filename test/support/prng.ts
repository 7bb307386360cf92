/** Seeded randomness for the statistical tests: the same seed gives the same replies on every run. */

/** Mulberry32: a small 32-bit generator of uniform numbers in [0, 1), good enough for simulations. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How many of `n` replies have a trait each has with probability `p`. */
export function sampleHits(random: () => number, n: number, p: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (random() < p) hits++;
  return hits;
}

/** `n` NPS answers from a population with the given shares of promoters and detractors. */
export function sampleNps(
  random: () => number,
  n: number,
  shares: { promoters: number; detractors: number },
): { promoters: number; passives: number; detractors: number } {
  const counts = { promoters: 0, passives: 0, detractors: 0 };
  for (let i = 0; i < n; i++) {
    const u = random();
    if (u < shares.promoters) counts.promoters++;
    else if (u < shares.promoters + shares.detractors) counts.detractors++;
    else counts.passives++;
  }
  return counts;
}
