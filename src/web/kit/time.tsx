/**
 * @module
 * The one way every page writes a moment: "2026-12-07 19:18 UTC" (minutes, in UTC, as the
 * operator console always has), inside a <time> whose `datetime` is the exact instant.
 */

/** A Date, or Unix seconds (how token expiries are stored). */
type Moment = Date | number

const asDate = (moment: Moment) => (typeof moment === 'number' ? new Date(moment * 1000) : moment)

/** "2026-12-07 19:18 UTC". */
function formatTime(moment: Moment): string {
  return `${asDate(moment).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/** The moment as pages show it, machine-readable in `datetime` (to the second). */
export function Time(props: { value: Moment }) {
  const date = asDate(props.value)
  return <time datetime={date.toISOString().replace(/\.\d{3}Z$/, 'Z')}>{formatTime(date)}</time>
}
