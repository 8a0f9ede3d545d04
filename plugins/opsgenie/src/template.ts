/** Opsgenie's templates: the SDK's template kit (see @webhook-relay/plugin-sdk/template). */
import { createTemplates, templateContext, type TemplateContext } from '@webhook-relay/plugin-sdk/template'

const templates = createTemplates()
export const render = (name: string, source: string, context: TemplateContext): string => templates.render(name, source, context)
export { templateContext, type TemplateContext }
