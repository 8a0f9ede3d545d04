/**
 * Adapts a TypeBox schema to Standard Schema so slonik's `sql.type()` validates rows
 * with the schema that also gives them their TypeScript type: declared once per table.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Static, TSchema } from 'typebox'
import Compile from 'typebox/compile'

export function row<S extends TSchema>(schema: S): StandardSchemaV1<Static<S>, Static<S>> {
  const validator = Compile(schema)
  return {
    '~standard': {
      version: 1,
      vendor: 'typebox',
      validate(value) {
        if (validator.Check(value)) return { value: value as Static<S> }
        return {
          issues: validator.Errors(value).map((e) => ({
            message: e.message,
            path: e.instancePath.split('/').filter(Boolean),
          })),
        }
      },
    },
  }
}
