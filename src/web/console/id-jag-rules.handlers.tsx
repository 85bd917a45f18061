/**
 * @module
 * An application's ID-JAG exchange rules from the console (this server as an enterprise IdP,
 * src/oauth/id-jag/policies.ts): add one (checked by `checkPolicy`, its message under the field
 * it is about), remove one behind a confirmation, and the audit log's link to a rule (its
 * application's page). Superusers only; every change audited by the domain functions.
 */
import type { Context } from 'hono'
import type { Application } from '../../db/schema.ts'
import { formParams, parsePk, single } from '../../lib/forms.ts'
import { db } from '../../lib/request-context.ts'
import {
  checkPolicy,
  findIdJagPolicyById,
  listIdJagPolicies,
  removeIdJagPolicy,
  setIdJagPolicy,
} from '../../oauth/id-jag/policies.ts'
import type { FieldErrorMap } from '../kit/forms.tsx'
import { badRequest, malformedForm, notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import type { PageEnv } from '../kit/session.ts'
import { IdJagRuleFormPage, NEW_RULE, type RuleFormValues, rulePath } from './id-jag-rules.views.tsx'
import { enterpriseForbidden, pathApplication } from './request.ts'
import { applicationPath, ConsoleConfirmPage } from './shell.tsx'

type ConsoleContext = Context<PageEnv>

const CONFIDENTIAL_ONLY = 'Only confidential clients may exchange id_tokens for ID-JAGs (the draft’s §8.1).'

/** The application the path names, for a superuser; else the 403, 404 or (a public client) 400 page. */
async function ruleApplication(c: ConsoleContext): Promise<Application | Response> {
  const refused = enterpriseForbidden(c)
  if (refused) return refused
  const application = await pathApplication(c)
  if (!application) return notFound(c)
  return application.clientType === 'confidential' ? application : badRequest(c, CONFIDENTIAL_ONLY)
}

function ruleForm(
  c: ConsoleContext,
  application: Application,
  values: RuleFormValues,
  errors: FieldErrorMap,
  status: 200 | 400,
) {
  return renderPrivatePage(
    c,
    <IdJagRuleFormPage staff={c.var.user} application={application} values={values} errors={errors} />,
    status,
  )
}

export async function addRulePage(c: ConsoleContext) {
  const application = await ruleApplication(c)
  if (application instanceof Response) return application
  return ruleForm(c, application, NEW_RULE, {}, 200)
}

// checkPolicy's messages begin with what they are about.
const FIELD_OF_MESSAGE: [prefix: string, field: string][] = [
  ['The audience', 'audience'],
  ['The resource', 'resource'],
  ['The client_id', 'audience_client_id'],
  ['The scope', 'scope'],
]

export async function addRule(c: ConsoleContext) {
  const application = await ruleApplication(c)
  if (application instanceof Response) return application
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const text = (name: string) => (single(form, name) ?? '').trim()
  const values: RuleFormValues = {
    audience: text('audience'),
    resource: text('resource'),
    audienceClientId: text('audience_client_id'),
    scope: text('scope'),
  }
  const errors: FieldErrorMap = {}
  if (values.audience === '') errors.audience = ['This field may not be blank.']
  if (values.resource === '') errors.resource = ['This field may not be blank.']
  if (Object.keys(errors).length > 0) return ruleForm(c, application, values, errors, 400)
  const rule = checkPolicy(application, {
    audience: values.audience,
    resource: values.resource,
    audienceClientId: values.audienceClientId === '' ? undefined : values.audienceClientId,
    scope: values.scope === '' ? undefined : values.scope,
  })
  if (typeof rule === 'string') {
    const field = FIELD_OF_MESSAGE.find(([prefix]) => rule.startsWith(prefix))?.[1] ?? 'audience'
    return ruleForm(c, application, values, { [field]: [rule] }, 400)
  }
  await setIdJagPolicy(db(c), c.var.user, application, rule)
  return seeOther(c, applicationPath(application.id), 'rule_set')
}

/** The rule the path's `:rule` names among the application's, or undefined (404). */
async function pathRule(c: ConsoleContext, application: Application) {
  const id = parsePk(c.req.param('rule') ?? '')
  if (id === null) return undefined
  return (await listIdJagPolicies(db(c), application.id)).find((rule) => rule.id === id)
}

export async function removeRulePage(c: ConsoleContext) {
  const application = await ruleApplication(c)
  if (application instanceof Response) return application
  const rule = await pathRule(c, application)
  if (!rule) return notFound(c)
  return renderPrivatePage(
    c,
    <ConsoleConfirmPage
      staff={c.var.user}
      title="Remove this ID-JAG exchange rule?"
      action={`${rulePath(application, rule.id)}remove/`}
      cancel={applicationPath(application.id)}
      button="Remove rule"
    >
      <p>
        {application.name} will no longer get ID-JAGs for <code>{rule.audience}</code>, resource{' '}
        <code>{rule.resource}</code>. ID-JAGs already issued stay valid until they expire.
      </p>
    </ConsoleConfirmPage>,
  )
}

export async function removeRule(c: ConsoleContext) {
  const application = await ruleApplication(c)
  if (application instanceof Response) return application
  const rule = await pathRule(c, application)
  if (!rule || !(await removeIdJagPolicy(db(c), c.var.user, rule.id))) return notFound(c)
  return seeOther(c, applicationPath(application.id), 'rule_removed')
}

/** The audit log's link to a rule: its application's page, at the rule. */
export async function showRule(c: ConsoleContext) {
  const refused = enterpriseForbidden(c)
  if (refused) return refused
  const id = parsePk(c.req.param('id') ?? '')
  const rule = id === null ? undefined : await findIdJagPolicyById(db(c), id)
  if (!rule) return notFound(c)
  return c.redirect(`${applicationPath(rule.applicationId)}#rule-${rule.id}`, 302)
}
