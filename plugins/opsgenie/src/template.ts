/** Opsgenie's templates: the core's template kit (see @webhook-relay/core/template). */
import { createTemplates, templateContext, type TemplateContext } from '@webhook-relay/core/template'

const templates = createTemplates()
export const render = (name: string, source: string, context: TemplateContext): string => templates.render(name, source, context)
export { templateContext, type TemplateContext }
