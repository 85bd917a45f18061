/**
 * @module
 * A secret shown this once (a client secret, an API key): only its digest is kept, so the page
 * that shows it is the only chance to copy it.
 */
export function SecretOnce(props: { label: string; value: string; id?: string }) {
  return (
    <div class="warning" role="status">
      <p>
        <strong>{props.label}</strong> — copy it now: it is shown this once and never again. Only a digest is kept.
      </p>
      <code class="secret" id={props.id}>
        {props.value}
      </code>
    </div>
  )
}
