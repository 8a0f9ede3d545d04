// A composition's extensions are refused at start when their prefix is malformed, the
// core's own, or another extension's (ConfigError: the CLI exits 78 with the message).
import t from 'tap'
import { checkExtensions, type RelayExtension } from '../../src/composition.ts'
import { ConfigError } from '../../src/config/config.ts'

const ext = (name: string, prefix: string): RelayExtension => ({ name, prefix, register: async () => {} })

t.test('accepted: distinct prefixes outside the core’s', async (t) => {
  t.doesNotThrow(() => checkExtensions([ext('Admin UI', '/ui'), ext('Status', '/status/page')]))
})

t.test('refused, with the extension and the reason', async (t) => {
  const cases: [RelayExtension[], RegExp][] = [
    [[ext('A', 'ui')], /extension "A": prefix "ui" must be a path like \/ui/],
    [[ext('A', '/ui/')], /no trailing slash/],
    [[ext('A', '/api/v2')], /extension "A": prefix "\/api\/v2" is the core's own \(\/api\)/],
    [[ext('A', '/metrics')], /is the core's own \(\/metrics\)/],
    [[ext('A', '/x'), ext('B', '/x')], /extensions "A" and "B" both ask for prefix "\/x"/],
  ]
  for (const [list, message] of cases) t.throws(() => checkExtensions(list), { name: 'ConfigError', message }, message.source)
  t.throws(() => checkExtensions([ext('A', '/in')]), ConfigError)
})
