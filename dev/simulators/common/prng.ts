/** Seeded, deterministic randomness for the simulators (no Math.random anywhere in simulator data). */
import { mulberry32, type Rng } from '../../fixtures/nfe-builder.ts';

export { mulberry32, type Rng };

/** 32-bit FNV-1a of a string mixed with a seed: stable sub-seeds like seedFor(42, 'bling', 'acc-1', 'products'). */
export function seedFor(seed: number, ...parts: Array<string | number>): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (const part of parts) {
    const s = `${part}\u0000`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

export function rngFor(seed: number, ...parts: Array<string | number>): Rng {
  return mulberry32(seedFor(seed, ...parts));
}

export const randInt = (r: Rng, min: number, max: number): number => min + Math.floor(r() * (max - min + 1));
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const chance = (r: Rng, p: number): boolean => r() < p;

/** Hex string of `bytes` random bytes (token values). */
export function hex(r: Rng, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(r() * 256).toString(16).padStart(2, '0');
  return s;
}
