/**
 * @module
 * An application's public keys from the console (private_key_jwt, RFC 7523 §2.2): set or replace
 * them (a JWK Set or a jwks_uri, checked by the rules of dynamic registration,
 * src/oauth/client-keys.ts), or remove them behind a confirmation. Who may is the rule of a secret
 * rotation, and the change is audited (src/oauth/application-changes.ts setApplicationKeysAs);
 * a public client has no keys (a 400 page); removing the keys of a client holding no secret
 * says first that it is then left unable to authenticate.
 */
import type { Context } from 'hono'
import type { Application } from '../../db/schema.ts'
import { formParams } from '../../lib/forms.ts'
import { config, db } from '../../lib/request-context.ts'
import { isRefused, PUBLIC_CLIENTS_HAVE_NO_KEYS, setApplicationKeysAs } from '../../oauth/application-changes.ts'
import { clientAuthentication } from '../../oauth/applications.ts'
import { checkKeySet, jwksUriProblem } from '../../oauth/client-keys.ts'
import type { FieldErrorMap } from '../kit/forms.tsx'
import { badRequest, forbidden, malformedForm, notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import type { PageEnv } from '../kit/session.ts'
import { ClientKeysPage } from './client-keys.views.tsx'
import { checkKeyFields, type KeyFieldValues, NO_KEYS, readKeyFields } from './key-fields.tsx'
import { guardedApplication } from './request.ts'
import { applicationPath, ConsoleConfirmPage } from './shell.tsx'

type ConsoleContext = Context<PageEnv>

/** The application the path names when the staff user may rotate its credentials and it is confidential. */
async function keyedApplication(c: ConsoleContext): Promise<Application | Response> {
  const application = await guardedApplication(c, 'rotate')
  if (application instanceof Response) return application
  return application.clientType === 'confidential' ? application : badRequest(c, PUBLIC_CLIENTS_HAVE_NO_KEYS)
}

function keysForm(
  c: ConsoleContext,
  application: Application,
  values: KeyFieldValues,
  errors: FieldErrorMap,
  status: 200 | 400,
) {
  return renderPrivatePage(
    c,
    <ClientKeysPage staff={c.var.user} application={application} values={values} errors={errors} />,
    status,
  )
}

export async function keysPage(c: ConsoleContext) {
  const application = await keyedApplication(c)
  if (application instanceof Response) return application
  return keysForm(c, application, NO_KEYS, {}, 200)
}

/** This server's own hosts, where a jwks_uri may never point. */
function ownHosts(c: ConsoleContext): string[] {
  const { issuer } = config(c)
  return [new URL(c.req.url).host, ...(issuer === null ? [] : [new URL(issuer).host])]
}

export async function setKeys(c: ConsoleContext) {
  const application = await keyedApplication(c)
  if (application instanceof Response) return application
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const values = readKeyFields(form)
  const hosts = ownHosts(c)
  const checked = checkKeyFields(values, (jwks, jwksUri) => {
    if (jwksUri !== undefined) return jwksUriProblem(jwksUri, hosts) ?? { jwksUri }
    const set = checkKeySet(jwks)
    return typeof set === 'string' ? set : { jwks: set }
  })
  if ('errors' in checked) return keysForm(c, application, values, checked.errors, 400)
  const outcome = await setApplicationKeysAs(db(c), c.var.user, application, checked.keys)
  if (outcome === undefined) return notFound(c)
  if (isRefused(outcome)) return forbidden(c, outcome.refused)
  if (outcome !== true) return badRequest(c, outcome.problem)
  return seeOther(c, applicationPath(application.id), 'keys_set')
}

export async function removeKeysPage(c: ConsoleContext) {
  const application = await keyedApplication(c)
  if (application instanceof Response) return application
  if (application.jwks === null && application.jwksUri === null) return notFound(c)
  const path = applicationPath(application.id)
  return renderPrivatePage(
    c,
    <ConsoleConfirmPage
      staff={c.var.user}
      title={`Remove the keys of ${application.name}?`}
      action={`${path}keys/remove/`}
      cancel={path}
      button="Remove keys"
    >
      {clientAuthentication(application) === 'private_key_jwt' ? (
        <p class="warning">
          This client holds no secret: without its keys it cannot authenticate at all, until it gets new keys or a
          secret (Rotate secret then gives it one). To change its keys, replace them instead.
        </p>
      ) : (
        <p>The client can no longer authenticate with private_key_jwt; its client secret still works.</p>
      )}
      <p>Tokens already issued stay valid.</p>
    </ConsoleConfirmPage>,
  )
}

export async function removeKeys(c: ConsoleContext) {
  const application = await keyedApplication(c)
  if (application instanceof Response) return application
  if (application.jwks === null && application.jwksUri === null) return notFound(c)
  const outcome = await setApplicationKeysAs(db(c), c.var.user, application, null)
  if (outcome === undefined) return notFound(c)
  if (isRefused(outcome)) return forbidden(c, outcome.refused)
  if (outcome !== true) return badRequest(c, outcome.problem)
  return seeOther(c, applicationPath(application.id), 'keys_removed')
}
