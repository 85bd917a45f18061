/**
 * @module
 * The links between the pages of a list (`?page=N`, from 1), none when everything fits on one.
 */
export function Pagination(props: { path: string; page: number; hasNext: boolean }) {
  if (props.page === 1 && !props.hasNext) return null
  return (
    <nav class="pagination" aria-label="Pages">
      {props.page > 1 ? <a href={`${props.path}?page=${props.page - 1}`}>← Previous</a> : <span />}
      <span class="muted">Page {props.page}</span>
      {props.hasNext ? <a href={`${props.path}?page=${props.page + 1}`}>Next →</a> : <span />}
    </nav>
  )
}
