/**
 * @module
 * What a client asks for, as the consent page and the device page show it before the user
 * decides: each scope with its description, and the RFC 8707 resources when the client named them.
 */
export type ScopeDescription = { name: string; description: string }

export function AccessRequested(props: { scopes: ScopeDescription[]; resources: string[] }) {
  return (
    <>
      <ul class="scopes">
        {props.scopes.map((scope) => (
          <li>
            <strong>{scope.name}</strong>: {scope.description}
          </li>
        ))}
      </ul>
      {props.resources.length > 0 ? (
        <>
          <p>for use at:</p>
          <ul class="resources">
            {props.resources.map((resource) => (
              <li>
                <code>{resource}</code>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  )
}
