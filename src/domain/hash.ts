/**
 * A stable pseudo-random fraction in [0, 1) for a key: a 32-bit FNV-1a hash with MurmurHash3's
 * finalizer, so keys differing in one character land far apart. The same key gives the same
 * fraction in every process and release (cadence days and campaign samples depend on it).
 */
export function stableFraction(key: string): number {
  let hash = 0x811c9dc5;
  for (const char of key) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}
