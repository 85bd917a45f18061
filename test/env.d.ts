import type { D1Migration } from 'cloudflare:test'

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[]
      TEST_RSA_PKCS1_PEM: string
      TEST_RSA_PKCS8_PEM: string
    }
  }
}
