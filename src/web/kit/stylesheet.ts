/**
 * @module
 * The one stylesheet of every server-rendered page (login, consent, errors, the user pages,
 * the operator console), served by the Worker at STYLESHEET_PATH. The path carries a hash of
 * the content, so the file may be cached for a year: a changed stylesheet has a new URL.
 * Pages link it (no inline style), so their CSP allows styles from 'self' only.
 *
 * Class names the pages use:
 * - layout: `.site-header`, `.site-nav`, `main` (`main.wide` for tables), `.site-footer`;
 * - buttons (a <button> or an <a>): `.button` + `.primary` (the action asked for: Approve,
 *   Save), `.secondary` (the way out: Deny, Cancel), `.danger` (delete, revoke);
 *   `.actions` lines them up; `.inline` is a form inside a line (a button in a table row);
 * - forms: `.field` (label, input, `.help`, `.field-error`), `.form-errors`; `form.filters`
 *   (a list's filters, several fields to a line; `a.sort` a sortable column's header);
 * - content: `.notice` (information), `.warning`, `.error`, `.secret` (a value shown once),
 *   `.host` (the consent page's redirect host), `.muted`, `table.list` (`td.long`: a cell that may
 *   hold a long unbroken string), `.pagination`, `.tag`.
 */

const STYLESHEET = `
:root {
  --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --panel: #fff;
  --primary: #0b5fcc; --primary-dark: #084a9f; --danger: #c4221f; --danger-dark: #9b1a18;
  --ok-bg: #e7f3ff; --warn-bg: #fff8c5; --warn-line: #d4a72c; --error-bg: #ffebe9;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text); line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
a { color: var(--primary); }
a:hover { color: var(--primary-dark); }
code, .secret, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }

.site-header { background: #1f2937; color: #fff; }
.site-header .bar {
  max-width: 60rem; margin: 0 auto; padding: .6rem 1rem;
  display: flex; flex-wrap: wrap; align-items: center; gap: .4rem 1.5rem;
}
.site-name { color: #fff; font-weight: 700; font-size: 1.1rem; text-decoration: none; }
.site-name:hover { color: #fff; text-decoration: underline; }
.site-nav { display: flex; flex-wrap: wrap; align-items: center; gap: .2rem 1rem; margin-left: auto; }
.site-nav a, .site-nav .link-button { color: #dbe4ef; text-decoration: none; font-size: .95rem; }
.site-nav a:hover, .site-nav .link-button:hover { color: #fff; text-decoration: underline; }
.site-nav form { margin: 0; display: inline; }
.site-nav .who { color: #9fb0c3; font-size: .9rem; }
.link-button { background: none; border: 0; padding: 0; font: inherit; cursor: pointer; }

main {
  max-width: 34rem; margin: 2rem auto; padding: 1.5rem 1.5rem 2rem; background: var(--panel);
  border: 1px solid var(--line); border-radius: 8px;
}
main.wide { max-width: 60rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
p { margin: .6rem 0; }
.muted { color: var(--muted); }
.site-footer { text-align: center; color: var(--muted); font-size: .85rem; margin: 0 1rem 2rem; }

.field { margin: 0 0 1.1rem; }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: 0 1rem; align-items: start; margin-top: 1.25rem; }
form.filters .form-errors, form.filters .actions { grid-column: 1 / -1; margin-top: 0; }
a.sort { color: inherit; }
/* A section's own navigation under the title (the console's): apart from the page below it. */
h1 + nav.actions { margin: 0 0 1.25rem; }
.field > label, .field > .label { display: block; font-weight: 600; margin-bottom: .3rem; }
input[type=text], input[type=email], input[type=password], input[type=url], input[type=search], select, textarea {
  width: 100%; padding: .55rem .65rem; font: inherit; color: inherit; background: #fff;
  border: 1px solid #8c959f; border-radius: 6px;
}
textarea { min-height: 5.5rem; resize: vertical; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
input:focus, select:focus, textarea:focus, button:focus-visible, a:focus-visible {
  outline: 3px solid #80b3ff; outline-offset: 1px;
}
fieldset { border: 0; margin: 0 0 1.1rem; padding: 0; min-width: 0; }
legend { padding: 0; }
.field > .choice, .choice { display: flex; align-items: flex-start; gap: .5rem; margin: .25rem 0; font-weight: 400; }
.choice input { margin-top: .3rem; }
.help { color: var(--muted); font-size: .88rem; margin: .3rem 0 0; }
.field-error { color: var(--danger); font-size: .9rem; font-weight: 600; margin: .3rem 0 0; }
.field.invalid input, .field.invalid textarea, .field.invalid select { border-color: var(--danger); background: #fffafa; }

.actions { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin-top: 1.5rem; }
.actions form { margin: 0; }
.button {
  display: inline-block; padding: .55rem 1.2rem; border-radius: 6px; border: 1px solid transparent;
  font: inherit; font-weight: 600; line-height: 1.3; text-decoration: none; cursor: pointer; text-align: center;
}
.button.primary { background: var(--primary); border-color: var(--primary); color: #fff; }
.button.primary:hover { background: var(--primary-dark); color: #fff; }
.button.secondary { background: #fff; border-color: #8c959f; color: var(--text); }
.button.secondary:hover { background: #eef1f4; color: var(--text); }
.button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
.button.danger:hover { background: var(--danger-dark); color: #fff; }
.button.small { padding: .3rem .7rem; font-size: .88rem; white-space: nowrap; }
form.inline { display: inline; margin: 0; }

.notice, .warning, .error, .form-errors {
  padding: .75rem 1rem; border-radius: 6px; border: 1px solid; margin: 1rem 0;
}
.notice { background: var(--ok-bg); border-color: #9cc7f7; }
.warning { background: var(--warn-bg); border-color: var(--warn-line); }
.error, .form-errors { background: var(--error-bg); border-color: #f2a7a4; color: #82071e; }
.error strong { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.secret {
  display: block; padding: .6rem .75rem; margin: .4rem 0; background: #fff; border: 1px dashed var(--warn-line);
  border-radius: 6px; overflow-wrap: anywhere; user-select: all;
}
.host {
  display: block; margin: .4rem 0 1rem; padding: .6rem .8rem; font-size: 1.15rem; font-weight: 700;
  background: var(--bg); border: 1px solid var(--line); border-radius: 6px; overflow-wrap: anywhere;
}
.scopes { padding-left: 1.2rem; }
.scopes li { margin: .35rem 0; }

dl.details { display: grid; grid-template-columns: minmax(8rem, max-content) 1fr; gap: .5rem 1rem; margin: 1rem 0; }
dl.details dt { font-weight: 600; color: var(--muted); }
dl.details dd { margin: 0; overflow-wrap: anywhere; }
dl.details ul { margin: 0; padding-left: 1.1rem; }

table.list { width: 100%; border-collapse: collapse; margin: 1rem 0; }
table.list th, table.list td { text-align: left; padding: .55rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
table.list th { font-size: .85rem; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .02em; }
/* break-word, not anywhere: a column is never narrower than its longest word ("admi n"). A cell
   that may hold a long unbroken string (a client_id, a URL: td.long) breaks anywhere, so the table
   still fits its column. On a phone each cell is a full-width line. */
table.list td { overflow-wrap: break-word; }
table.list td.long { overflow-wrap: anywhere; }
table.list time { white-space: nowrap; }
.tag { display: inline-block; padding: 0 .45rem; margin: 0 .25rem .2rem 0; border-radius: 999px; background: #eef1f4; border: 1px solid var(--line); font-size: .82rem; }
.pagination { display: flex; gap: 1rem; align-items: center; justify-content: space-between; margin-top: 1rem; }

.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 1rem; margin: 1.25rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
.card h2 { margin-top: 0; font-size: 1.05rem; }

@media (max-width: 40rem) {
  main, main.wide { margin: 0; border-radius: 0; border-left: 0; border-right: 0; padding: 1.25rem 1rem 1.5rem; }
  .site-nav { margin-left: 0; }
  dl.details { grid-template-columns: 1fr; gap: .1rem; }
  dl.details dd { margin-bottom: .5rem; }
  .actions .button { flex: 1 1 auto; }
  table.list thead { display: none; }
  table.list tr { display: block; border-bottom: 1px solid var(--line); padding: .5rem 0; }
  table.list td { display: block; border: 0; padding: .15rem 0; overflow-wrap: anywhere; }
  table.list td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; color: var(--muted); }
}
`

/** FNV-1a (32 bits): a short name for this version of the content, not a security check. */
function contentHash(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(16).padStart(8, '0')
}

export const STYLESHEET_CSS = STYLESHEET.trim()

/** Where pages link the stylesheet; the hash changes with the content. */
export const STYLESHEET_PATH = `/static/site-${contentHash(STYLESHEET_CSS)}.css`
