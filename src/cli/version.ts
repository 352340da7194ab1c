declare const SIDEKICK_VERSION: string;

/** The version esbuild bakes into the bundle; "dev" when run from source (tests). */
export function sidekickVersion(): string {
  return typeof SIDEKICK_VERSION === 'string' ? SIDEKICK_VERSION : 'dev';
}
