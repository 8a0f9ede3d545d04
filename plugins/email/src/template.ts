/** Email's templates: the SDK's template kit; HTML bodies use the auto-escaping 'html' kind. */
import { createTemplates, templateContext, type TemplateContext, type TemplateKind } from '@webhook-relay/plugin-sdk/template'

const templates = createTemplates()
export const render = (name: string, source: string, context: TemplateContext, kind: TemplateKind = 'text'): string => templates.render(name, source, context, kind)
export { templateContext, type TemplateContext, type TemplateKind }
