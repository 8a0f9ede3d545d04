/**
 * Slack's templates: the SDK's template kit plus the `slack` filter, which escapes
 * Slack mrkdwn control characters so a payload cannot forge links or mentions.
 */
import { createTemplates, templateContext, type TemplateContext } from '@webhook-relay/plugin-sdk/template'

/** Slack mrkdwn control characters; anything from the payload goes through this so it cannot forge links or mentions. */
export function slackEscape(value: unknown): string {
  return String(value ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

const templates = createTemplates({ slack: slackEscape })
export const render = (name: string, source: string, context: TemplateContext): string => templates.render(name, source, context)
export { templateContext, type TemplateContext }
