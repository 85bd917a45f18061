/**
 * @module
 * The consent flow at /o/authorize/ (HTML dialect; not part of the JSON API description): its
 * form is posted from this site only.
 */
import { answerOtherMethods } from '../../http/router.ts'
import { ENDPOINTS } from '../../oauth/metadata.ts'
import { createHtmlRouter, html } from '../kit/dialect.tsx'
import { fromThisSite } from '../kit/session.ts'
import { authorizeDecision, authorizePage } from './handlers.tsx'

export const authorizeRouter = createHtmlRouter([ENDPOINTS.authorization])

authorizeRouter.use(ENDPOINTS.authorization, fromThisSite())
authorizeRouter.get(ENDPOINTS.authorization, authorizePage)
authorizeRouter.post(ENDPOINTS.authorization, authorizeDecision)
answerOtherMethods(authorizeRouter, html)
