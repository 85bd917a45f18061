import { describe, expect, it } from 'vitest'
import { parseStringList } from './string-list.ts'

describe('parseStringList', () => {
  it('reads a JSON array of strings whole, spaces inside values included', () => {
    expect(parseStringList('["https://a.example/cb?x=a b","password"]')).toEqual([
      'https://a.example/cb?x=a b',
      'password',
    ])
    expect(parseStringList('[]')).toEqual([])
  })

  it('reads the old empty default as the empty list', () => {
    expect(parseStringList('')).toEqual([])
  })

  it('fails closed: anything that is not a list of strings is the empty list (no grant, no redirect)', () => {
    for (const text of [
      'password authorization-code',
      'https://a.example/cb',
      '{"a":1}',
      '[1]',
      '["a",null]',
      '"a"',
      '[',
    ]) {
      expect(parseStringList(text), text).toEqual([])
    }
  })
})
