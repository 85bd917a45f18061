/**
 * @module
 * An application's ID-JAG exchange rules (this server as an enterprise IdP, RFC 8693 token
 * exchange, src/oauth/id-jag/policies.ts): the section of its page that lists them, and the form
 * that adds one. Superusers only (src/accounts/rights.ts enterpriseRefusal).
 */
import type { Application, User } from '../../db/schema.ts'
import type { ListedPolicy } from '../../oauth/id-jag/policies.ts'
import { type FieldErrorMap, FormActions, FormErrors, TextField } from '../kit/forms.tsx'
import { applicationPath, ConsolePage } from './shell.tsx'

/** The rule form's fields as typed. */
export type RuleFormValues = { audience: string; resource: string; audienceClientId: string; scope: string }

export const NEW_RULE: RuleFormValues = { audience: '', resource: '', audienceClientId: '', scope: '' }

export const rulePath = (application: Pick<Application, 'id'>, id: number) =>
  `${applicationPath(application.id)}id-jag-rules/${id}/`

export function IdJagRules(props: { application: Application; rules: ListedPolicy[] }) {
  const { application, rules } = props
  const path = applicationPath(application.id)
  return (
    <section aria-labelledby="id-jag-rules">
      <h2 id="id-jag-rules">ID-JAG exchange rules</h2>
      <p class="muted">
        With a rule, this client may exchange a user’s id_token here for an ID-JAG to another authorization server (RFC
        8693), for the resource the rule names. No rule: no ID-JAG.
      </p>
      {rules.length > 0 ? (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Authorization server</th>
              <th scope="col">Resource</th>
              <th scope="col">client_id there</th>
              <th scope="col">Scope</th>
              <th scope="col">
                <span class="muted">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((rule) => (
              <tr id={`rule-${rule.id}`}>
                <td data-label="Authorization server" class="long">
                  <code>{rule.audience}</code>
                </td>
                <td data-label="Resource" class="long">
                  <code>{rule.resource}</code>
                </td>
                <td data-label="client_id there" class="long">
                  <code>{rule.audienceClientId}</code>
                </td>
                <td data-label="Scope">{rule.scope ?? <span class="muted">as the client asks</span>}</td>
                <td>
                  <a class="button danger small" href={`${rulePath(application, rule.id)}remove/`}>
                    Remove
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>None.</p>
      )}
      {application.clientType === 'confidential' ? (
        <p>
          <a class="button secondary" href={`${path}id-jag-rules/add/`}>
            Add a rule
          </a>
        </p>
      ) : (
        <p>Only confidential clients may exchange id_tokens for ID-JAGs.</p>
      )}
    </section>
  )
}

export function IdJagRuleFormPage(props: {
  staff: User
  application: Application
  values: RuleFormValues
  errors: FieldErrorMap
}) {
  const { application, values, errors } = props
  const path = applicationPath(application.id)
  return (
    <ConsolePage title={`Add an ID-JAG exchange rule for ${application.name}`} staff={props.staff}>
      <p>
        This client will be able to exchange the id_tokens this server issues for ID-JAGs to the authorization server
        and resource below (draft-ietf-oauth-identity-assertion-authz-grant). A rule for the same authorization server
        and resource is replaced.
      </p>
      <form method="post" action={`${path}id-jag-rules/add/`}>
        <FormErrors errors={errors} />
        <TextField
          field="audience"
          label="Authorization server (issuer)"
          value={values.audience}
          help="Its issuer identifier, exactly as its metadata says it: the ID-JAG’s aud."
          required
          errors={errors}
        />
        <TextField
          field="resource"
          label="Resource"
          value={values.resource}
          help="The resource (RFC 8707) the ID-JAG is for, e.g. https://mcp.example.com/mcp."
          required
          errors={errors}
        />
        <TextField
          field="audience_client_id"
          label="client_id there"
          value={values.audienceClientId}
          help={`The client’s client_id at that server; empty: the same as here (${application.clientId}).`}
          errors={errors}
        />
        <TextField
          field="scope"
          label="At most scope"
          value={values.scope}
          help="Space-separated; empty: the scope the client asks for."
          errors={errors}
        />
        <FormActions submit="Save rule" cancel={path} />
      </form>
    </ConsolePage>
  )
}
