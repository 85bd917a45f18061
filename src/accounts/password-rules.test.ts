import { describe, expect, it } from 'vitest'
import { passwordProblems, quickRatio } from './password-rules.ts'

describe("Django's default password validators", () => {
  it('quickRatio is difflib.SequenceMatcher.quick_ratio', () => {
    // Values from CPython: SequenceMatcher(a=…, b=…).quick_ratio()
    expect(quickRatio('abcd', 'bcde')).toBe(0.75)
    expect(quickRatio('alice', 'alice2024')).toBeCloseTo(10 / 14)
    expect(quickRatio('', '')).toBe(1)
    expect(quickRatio('aab', 'ab')).toBe(0.8)
  })

  it('accepts a long, uncommon password unlike the user', () => {
    expect(passwordProblems('plaid kettle orbit 42', { username: 'alice', email: 'alice@example.com' })).toEqual([])
  })

  it('each rule with its Django message, in Django’s order', () => {
    const owner = { username: 'alice', email: 'alice.smith@example.com', firstName: 'Alice', lastName: 'Smith' }
    expect(passwordProblems('Alice2024', owner)).toEqual(['The password is too similar to the username.'])
    expect(passwordProblems('smith.example', { username: 'bob', email: 'smith@example.com' })).toEqual([
      'The password is too similar to the email address.',
    ])
    expect(passwordProblems('x7#Qp', owner)).toEqual([
      'This password is too short. It must contain at least 8 characters.',
    ])
    expect(passwordProblems('Password123', owner)).toEqual(['This password is too common.'])
    expect(passwordProblems('80417365902', owner)).toEqual(['This password is entirely numeric.'])
  })

  it('a much longer password is not "similar" to a short attribute (exceeds_maximum_length_ratio)', () => {
    expect(passwordProblems('al ready a long passphrase here', { username: 'al' })).toEqual([])
  })
})
