/**
 * How much the stress scenarios do. `npm run stress` sets SIDEKICK_STRESS=long; inside
 * `npm test` (no variable) they run short, a few iterations each, so that the suite keeps
 * every scenario's checks without the long form's minutes.
 */
export type StressMode = 'short' | 'long';

export function stressMode(env: NodeJS.ProcessEnv = process.env): StressMode {
  const value = env.SIDEKICK_STRESS ?? 'short';
  if (value !== 'short' && value !== 'long') throw new Error(`SIDEKICK_STRESS must be "short" or "long", not ${JSON.stringify(value)}`);
  return value;
}

export const MODE: StressMode = stressMode();

/** The short figure inside `npm test`, the long one in `npm run stress`. */
export function bySize<T>(short: T, long: T): T {
  return MODE === 'long' ? long : short;
}
