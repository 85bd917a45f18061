/**
 * @module
 * The Workers Rate Limiting bindings of the tests, with windows no test can straddle.
 *
 * Miniflare's binding counts in windows aligned to the wall clock (as Cloudflare's): a test that
 * crossed a minute boundary would see its count reset, so the tests used to sleep until a fresh
 * window. test/setup.ts instead gives every file `WindowLimiter`s in their place: the same
 * contract (`limit({ key })` → `{ success }`, at most `limit` successes per key in a window),
 * wrangler.toml's limits and periods (vitest.config.ts reads them), and one window for the whole
 * file, so counts start at zero in each file and never reset under a test.
 * test/accounts/rate-limit.test.ts checks miniflare's own bindings against the same contract.
 */

/** A `[[ratelimits]]` binding of wrangler.toml: its name and `simple` settings. */
export type RateLimitSettings = { name: string; limit: number; period: number }

export class WindowLimiter implements RateLimit {
  readonly settings: RateLimitSettings
  readonly #counts = new Map<string, number>()

  constructor(settings: RateLimitSettings) {
    this.settings = settings
  }

  async limit({ key }: RateLimitOptions): Promise<RateLimitOutcome> {
    const count = this.#counts.get(key) ?? 0
    if (count >= this.settings.limit) return { success: false }
    this.#counts.set(key, count + 1)
    return { success: true }
  }
}

// Miniflare's bindings, kept when the first file's setup replaces them.
const originals = new Map<string, RateLimit>()

/** Puts a fresh `WindowLimiter` in `env` for each binding of `settings` (what test/setup.ts does per file). */
export function installWindowLimiters(env: object, settings: RateLimitSettings[]): void {
  const bindings = env as Record<string, RateLimit>
  for (const setting of settings) {
    const current = bindings[setting.name]
    if (!(current instanceof WindowLimiter)) originals.set(setting.name, current)
    bindings[setting.name] = new WindowLimiter(setting)
  }
}

/** Miniflare's binding `name`, as wrangler.toml configures it (its windows follow the wall clock). */
export function miniflareLimiter(name: string): RateLimit {
  const binding = originals.get(name)
  if (!binding) throw new Error(`no rate limiting binding ${name}`)
  return binding
}
