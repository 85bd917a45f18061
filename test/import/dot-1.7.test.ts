/** The real dot-1.7 dump (test/fixtures/django/dot-1.7) imported, then used over HTTP. */
import dump from '../fixtures/django/dot-1.7/dump.json'
import secrets from '../fixtures/django/dot-1.7/secrets.json'
import { describeImportedDump } from './dumps.ts'

describeImportedDump('dot-1.7', dump, secrets)
