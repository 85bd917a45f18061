/**
 * A stand-in for a Workers Rate Limiting binding that counts in memory, with no window: a test
 * passes it in the env (fetchWorker) to check what a limit refuses without waiting for the real
 * binding's wall-clock window to start.
 */
export type FakeLimiter = RateLimit & {
  /** Every key counted, in order. */
  keys: string[]
}

/** Allows `limit` calls per key, then refuses every further one. */
export function fakeLimiter(limit: number): FakeLimiter {
  const counts = new Map<string, number>()
  const keys: string[] = []
  return {
    keys,
    async limit({ key }: RateLimitOptions): Promise<RateLimitOutcome> {
      keys.push(key)
      const count = (counts.get(key) ?? 0) + 1
      counts.set(key, count)
      return { success: count <= limit }
    },
  }
}
