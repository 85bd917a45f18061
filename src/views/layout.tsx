/**
 * @module
 * The HTML shell of every server-rendered page: no scripts, one inline stylesheet.
 */
import type { Child } from 'hono/jsx'

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; }
label { display: block; margin: .8rem 0 .2rem; }
input[type=text], input[type=password] { width: 100%; padding: .4rem; box-sizing: border-box; }
button { margin: 1rem .5rem 0 0; padding: .4rem 1.2rem; }
.error { color: #a00; }
li { margin: .3rem 0; }
`

export function Layout(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <h1>{props.title}</h1>
        {props.children}
      </body>
    </html>
  )
}
