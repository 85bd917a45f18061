import { describe, expect, it } from 'vitest'
import { applicationRefusal, endsSilentConsent, enterpriseRefusal, mayManageUser, OPERATOR } from './rights.ts'

const person = (id: number, role: 'superuser' | 'staff' | 'user') => ({
  id,
  username: `${role}${id}`,
  isStaff: role !== 'user',
  isSuperuser: role === 'superuser',
})

const root = person(1, 'superuser')
const staff = person(2, 'staff')
const colleague = person(3, 'staff')
const user = person(4, 'user')

const app = (
  settings: Partial<{ userId: number | null; skipAuthorization: boolean; canIntrospect: boolean }> = {},
) => ({
  userId: null,
  skipAuthorization: false,
  canIntrospect: false,
  redirectUris: ['https://a.example/cb'],
  clientType: 'confidential' as const,
  ...settings,
})

describe('mayManageUser', () => {
  it('superusers manage anyone; staff ordinary users only; ordinary users nobody', () => {
    expect([root, staff, user].map((target) => mayManageUser(root, target))).toEqual([true, true, true])
    expect([root, colleague, staff, user].map((target) => mayManageUser(staff, target))).toEqual([
      false,
      false,
      false,
      true,
    ])
    expect(mayManageUser(user, person(5, 'user'))).toBe(false)
  })
})

describe('applicationRefusal', () => {
  it('superusers and the operator: never refused', () => {
    for (const actor of [root, OPERATOR]) {
      expect(applicationRefusal(actor, root, { action: 'create', skipAuthorization: true })).toBeNull()
      const silent = app({ userId: 9, skipAuthorization: true, canIntrospect: true })
      expect(applicationRefusal(actor, colleague, { action: 'rotate', application: silent })).toBeNull()
    }
  })

  it('staff: nothing a superuser or another staff user owns, for every action', () => {
    for (const owner of [root, colleague]) {
      expect(applicationRefusal(staff, owner, { action: 'create', skipAuthorization: false })).toMatch(/owns/)
      for (const action of ['view-change', 'rotate', 'delete', 'revoke-tokens'] as const) {
        expect(applicationRefusal(staff, owner, { action, application: app({ userId: owner.id }) }), action).toMatch(
          /owns/,
        )
      }
    }
  })

  it('skip_authorization: turned on by superusers only; someone else’s skip app is not staff’s to edit', () => {
    expect(applicationRefusal(user, user, { action: 'create', skipAuthorization: true })).toMatch(/turn on/)
    const plain = app({ userId: staff.id })
    const turnOn = { action: 'change' as const, application: plain, changes: { skipAuthorization: true } }
    expect(applicationRefusal(staff, staff, turnOn)).toMatch(/turn on/)
    const silent = app({ userId: user.id, skipAuthorization: true })
    expect(applicationRefusal(staff, user, { action: 'rotate', application: silent })).toMatch(/not yours/)
    expect(
      applicationRefusal(staff, null, { action: 'view-change', application: { ...silent, userId: null } }),
    ).toMatch(/not yours/)
    // Deleting it or revoking its tokens hands nobody anything.
    expect(applicationRefusal(staff, user, { action: 'delete', application: silent })).toBeNull()
    // Their own (a superuser approved it): theirs; keeping it on is not turning it on.
    const own = app({ userId: staff.id, skipAuthorization: true })
    expect(
      applicationRefusal(staff, staff, { action: 'change', application: own, changes: { skipAuthorization: true } }),
    ).toBeNull()
  })

  it('the jwt-bearer grant (tokens for whoever a trusted IdP names, no consent page) is allowed by superusers only', () => {
    const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
    for (const actor of [staff, user]) {
      const create = { action: 'create' as const, skipAuthorization: false, grantTypes: ['client-credentials', grant] }
      expect(applicationRefusal(actor, actor, create)).toMatch(/jwt-bearer/)
      const plain = { ...app({ userId: actor.id }), grantTypes: ['client-credentials'] }
      const turnOn = { action: 'change' as const, application: plain, changes: { grantTypes: [grant] } }
      expect(applicationRefusal(actor, actor, turnOn)).toMatch(/jwt-bearer/)
      // Keeping it, or taking it away, is not allowing it.
      const allowed = { ...plain, grantTypes: [grant] }
      const keep = { action: 'change' as const, application: allowed, changes: { grantTypes: [grant, 'password'] } }
      expect(applicationRefusal(actor, actor, keep)).toBeNull()
      expect(applicationRefusal(actor, actor, { ...keep, changes: { grantTypes: ['password'] } })).toBeNull()
    }
    for (const actor of [root, OPERATOR]) {
      expect(
        applicationRefusal(actor, null, { action: 'create', skipAuthorization: false, grantTypes: [grant] }),
      ).toBeNull()
    }
  })

  it('can_introspect: someone else’s is rotated or retargeted by superusers only; a rename is fine', () => {
    const server = app({ canIntrospect: true })
    const change = (changes: object) =>
      applicationRefusal(staff, null, { action: 'change', application: server, changes })
    expect(applicationRefusal(staff, null, { action: 'rotate', application: server })).toMatch(/can_introspect/)
    expect(change({ redirectUris: ['https://b.example/cb'] })).toMatch(/can_introspect/)
    expect(change({ clientType: 'public' })).toMatch(/can_introspect/)
    expect(change({ redirectUris: ['https://a.example/cb', 'https://a.example/cb'] })).toBeNull()
    expect(change({ name: 'Renamed' })).toBeNull()
    const own = { ...server, userId: user.id }
    expect(applicationRefusal(user, user, { action: 'rotate', application: own })).toBeNull()
  })
})

describe('endsSilentConsent', () => {
  it('moving the redirect URIs of a skip app ends it, unless a superuser moves them', () => {
    const silent = app({ userId: user.id, skipAuthorization: true })
    const moved = { redirectUris: ['https://b.example/cb'] }
    expect(endsSilentConsent(user, silent, moved)).toBe(true)
    expect(endsSilentConsent(root, silent, moved)).toBe(false)
    expect(endsSilentConsent(user, silent, { redirectUris: ['https://a.example/cb'] })).toBe(false)
    expect(endsSilentConsent(user, app({ userId: user.id }), moved)).toBe(false)
  })
})

describe('enterpriseRefusal', () => {
  it('trusted identity providers and ID-JAG exchange rules are superusers’ (and the operator’s) only', () => {
    expect(enterpriseRefusal(root)).toBeNull()
    expect(enterpriseRefusal(OPERATOR)).toBeNull()
    expect(enterpriseRefusal(staff)).toContain('Only superusers')
    expect(enterpriseRefusal(user)).toContain('Only superusers')
  })
})
