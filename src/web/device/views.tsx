/**
 * @module
 * The device verification pages (RFC 8628 §3.3): enter the code the device shows, check which
 * application asks for what, approve or deny. Plain semantic HTML; the Layout styles it.
 */
import { AccessRequested, type ScopeDescription } from '../kit/access.tsx'
import { Alert, DecisionButtons, LogoutForm } from '../kit/forms.tsx'
import { Layout } from '../kit/layout.tsx'

function SignedInAs(props: { username: string }) {
  return (
    <>
      <p>Signed in as {props.username}. Not you?</p>
      <LogoutForm />
    </>
  )
}

/** Step 1: the code, prefilled from verification_uri_complete, or a refusal to retry. */
export function DeviceCodePage(props: { action: string; username: string; userCode: string; error?: string }) {
  return (
    <Layout title="Connect a device">
      <Alert text={props.error} />
      <form method="post" action={props.action}>
        <div class="field">
          <label for="user_code">Enter the code shown on your device</label>
          <input
            type="text"
            id="user_code"
            name="user_code"
            value={props.userCode}
            placeholder="XXXX-XXXX"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            maxlength={32}
            required
          />
        </div>
        <div class="actions">
          <button type="submit" class="button primary">
            Continue
          </button>
        </div>
      </form>
      <SignedInAs username={props.username} />
    </Layout>
  )
}

/** Step 2: what approving gives, to whom; the explicit approve or deny (§5.4: remote phishing). */
export function DeviceConfirmPage(props: {
  action: string
  username: string
  userCode: string
  applicationName: string
  scopes: ScopeDescription[]
  resources: string[]
}) {
  return (
    <Layout title={`Connect ${props.applicationName}?`}>
      <p>
        A device using <strong>{props.applicationName}</strong> asks for access to your account ({props.username}) with
        the code <strong>{props.userCode}</strong>:
      </p>
      <AccessRequested scopes={props.scopes} resources={props.resources} />
      <p>Approve only if you started this on a device you have in front of you and it shows this code.</p>
      <form method="post" action={props.action}>
        <input type="hidden" name="user_code" value={props.userCode} />
        <DecisionButtons name="decision" approve="approve" deny="deny" />
      </form>
      <SignedInAs username={props.username} />
    </Layout>
  )
}

/** Step 3: the answer was recorded; the device picks it up on its next poll. */
export function DeviceDonePage(props: { approved: boolean; applicationName: string }) {
  return (
    <Layout title={props.approved ? 'Device connected' : 'Request denied'}>
      <p>
        {props.approved
          ? `${props.applicationName} can now access your account. You can return to your device.`
          : `${props.applicationName} was not given access. You can close this page.`}
      </p>
    </Layout>
  )
}
