/**
 * @module
 * The trusted identity providers from the console (enterprise-managed authorization,
 * src/oauth/id-jag/trusted-idps.ts): list them, trust one (issuer, JWK Set or jwks_uri, the
 * claim naming the user and what it is matched to), change what is kept for one, stop trusting
 * one behind a confirmation. Superusers only (src/accounts/rights.ts enterpriseRefusal); the
 * checks are the domain's (issuerProblem, idpKeysFrom, userClaimProblem), each message under its
 * field; every change audited by the domain functions.
 */
import type { Context } from 'hono'
import type { TrustedIdentityProvider } from '../../db/schema.ts'
import { formParams, parsePk, single } from '../../lib/forms.ts'
import { db } from '../../lib/request-context.ts'
import {
  distrustIdentityProvider,
  findTrustedIdp,
  findTrustedIdpById,
  idpKeysFrom,
  issuerProblem,
  listTrustedIdps,
  trustIdentityProvider,
  USER_FIELDS,
  userClaimProblem,
} from '../../oauth/id-jag/trusted-idps.ts'
import { knownIssuer } from '../../resource/issuer.ts'
import type { FieldErrorMap } from '../kit/forms.tsx'
import { malformedForm, notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import type { PageEnv } from '../kit/session.ts'
import {
  IDP_NOTICES,
  IdentityProviderFormPage,
  IdentityProviderListPage,
  type IdpFormValues,
  idpValues,
  NEW_IDP,
} from './identity-providers.views.tsx'
import { checkKeyFields, readKeyFields } from './key-fields.tsx'
import { enterpriseForbidden, queryText } from './request.ts'
import { ConsoleConfirmPage, IDENTITY_PROVIDERS, identityProviderPath } from './shell.tsx'

type ConsoleContext = Context<PageEnv>

export async function identityProviderList(c: ConsoleContext) {
  const refused = enterpriseForbidden(c)
  if (refused) return refused
  const providers = await listTrustedIdps(db(c))
  const notice = IDP_NOTICES[queryText(c, 'notice')]
  return renderPrivatePage(c, <IdentityProviderListPage staff={c.var.user} notice={notice} providers={providers} />)
}

function idpForm(
  c: ConsoleContext,
  provider: TrustedIdentityProvider | undefined,
  values: IdpFormValues,
  errors: FieldErrorMap,
  status: 200 | 400,
) {
  const notice = provider ? IDP_NOTICES[queryText(c, 'notice')] : undefined
  return renderPrivatePage(
    c,
    <IdentityProviderFormPage staff={c.var.user} provider={provider} values={values} errors={errors} notice={notice} />,
    status,
  )
}

/** The provider the path names, for a superuser; else the 403 or 404 page. */
async function pathProvider(c: ConsoleContext): Promise<TrustedIdentityProvider | Response> {
  const refused = enterpriseForbidden(c)
  if (refused) return refused
  const id = parsePk(c.req.param('id') ?? '')
  const provider = id === null ? undefined : await findTrustedIdpById(db(c), id)
  return provider ?? notFound(c)
}

export function addIdentityProviderPage(c: ConsoleContext) {
  return enterpriseForbidden(c) ?? idpForm(c, undefined, NEW_IDP, {}, 200)
}

type ReadIdpForm =
  | { values: IdpFormValues; errors: FieldErrorMap }
  | { values: IdpFormValues; settings: Parameters<typeof trustIdentityProvider>[2] }

/** The posted form, and its settings checked by the domain's rules, or its field errors (null: unreadable). */
async function readIdpForm(c: ConsoleContext, issuer: string | null): Promise<ReadIdpForm | null> {
  const form = await formParams(c)
  if (!form) return null
  const text = (name: string) => (single(form, name) ?? '').trim()
  const values: IdpFormValues = {
    ...readKeyFields(form),
    issuer: issuer ?? text('issuer'),
    userClaim: text('user_claim'),
    match: text('match'),
  }
  const checked = checkKeyFields(values, idpKeysFrom)
  const errors: FieldErrorMap = 'errors' in checked ? { ...checked.errors } : {}
  if (issuer === null) {
    const problem = values.issuer === '' ? 'This field may not be blank.' : issuerProblem(values.issuer, knownIssuer(c))
    if (problem) errors.issuer = [problem]
    else if (await findTrustedIdp(db(c), values.issuer)) {
      errors.issuer = ['This identity provider is already trusted: change it from the list.']
    }
  }
  const claimProblem = userClaimProblem(values.userClaim)
  if (claimProblem) errors.user_claim = [claimProblem]
  const userField = USER_FIELDS.find((field) => field === values.match)
  if (!userField) errors.match = ['Select a valid choice.']
  if (!('keys' in checked) || !userField || Object.keys(errors).length > 0) return { values, errors }
  return { values, settings: { issuer: values.issuer, keys: checked.keys, userClaim: values.userClaim, userField } }
}

export async function addIdentityProvider(c: ConsoleContext) {
  const refused = enterpriseForbidden(c)
  if (refused) return refused
  const read = await readIdpForm(c, null)
  if (!read) return malformedForm(c)
  if (!('settings' in read)) return idpForm(c, undefined, read.values, read.errors, 400)
  const { provider } = await trustIdentityProvider(db(c), c.var.user, read.settings)
  return seeOther(c, identityProviderPath(provider.id), 'trusted')
}

export async function identityProviderPage(c: ConsoleContext) {
  const provider = await pathProvider(c)
  if (provider instanceof Response) return provider
  return idpForm(c, provider, idpValues(provider), {}, 200)
}

export async function changeIdentityProvider(c: ConsoleContext) {
  const provider = await pathProvider(c)
  if (provider instanceof Response) return provider
  const read = await readIdpForm(c, provider.issuer)
  if (!read) return malformedForm(c)
  if (!('settings' in read)) return idpForm(c, provider, read.values, read.errors, 400)
  await trustIdentityProvider(db(c), c.var.user, read.settings)
  return seeOther(c, identityProviderPath(provider.id), 'changed')
}

export async function removeIdentityProviderPage(c: ConsoleContext) {
  const provider = await pathProvider(c)
  if (provider instanceof Response) return provider
  return renderPrivatePage(
    c,
    <ConsoleConfirmPage
      staff={c.var.user}
      title={`Stop trusting ${provider.issuer}?`}
      action={`${identityProviderPath(provider.id)}remove/`}
      cancel={identityProviderPath(provider.id)}
      button="Stop trusting"
    >
      <p>
        Its ID-JAGs are refused from now on; a grant in flight when this is saved gets no token. Tokens already issued
        for its ID-JAGs stay valid until they expire or are revoked.
      </p>
    </ConsoleConfirmPage>,
  )
}

export async function removeIdentityProvider(c: ConsoleContext) {
  const provider = await pathProvider(c)
  if (provider instanceof Response) return provider
  if (!(await distrustIdentityProvider(db(c), c.var.user, provider.issuer))) return notFound(c)
  return seeOther(c, IDENTITY_PROVIDERS, 'removed')
}
