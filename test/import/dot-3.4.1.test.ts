/** The real dot-3.4.1 dump (test/fixtures/django/dot-3.4.1) imported, then used over HTTP. */
import dump from '../fixtures/django/dot-3.4.1/dump.json'
import secrets from '../fixtures/django/dot-3.4.1/secrets.json'
import { describeImportedDump } from './dumps.ts'

describeImportedDump('dot-3.4.1', dump, secrets)
