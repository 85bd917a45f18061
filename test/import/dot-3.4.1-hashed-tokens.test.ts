/** The real dot-3.4.1-hashed-tokens dump (test/fixtures/django/dot-3.4.1-hashed-tokens) imported, then used over HTTP. */
import dump from '../fixtures/django/dot-3.4.1-hashed-tokens/dump.json'
import secrets from '../fixtures/django/dot-3.4.1-hashed-tokens/secrets.json'
import { describeImportedDump } from './dumps.ts'

describeImportedDump('dot-3.4.1-hashed-tokens', dump, secrets)
