/**
 * What every browser test (`npm run test:e2e`) starts the same way: `wrangler dev` on 127.0.0.1
 * over a throwaway local state (a fresh SECRET_KEY each run), and Debian's chromium with the flags
 * that keep it off the closed network (no background networking, updates or sync).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chromium } from 'playwright-core'
import { randomString } from '../../src/crypto/random.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true })
}

/** `wrangler dev` on `port` over the local state in `state`, once it answers /healthz. */
export async function startWorker(port: number, state: string): Promise<ChildProcess> {
  const server = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      state,
      '--var',
      `SECRET_KEY:${randomString(50)}`,
      '--show-interactive-dev-session=false',
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      detached: true,
    },
  )
  for (let attempt = 0; attempt < 120; attempt++) {
    if (server.exitCode !== null) throw new Error('wrangler dev exited early')
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return server
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error('wrangler dev did not start')
}
