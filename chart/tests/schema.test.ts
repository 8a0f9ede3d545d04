// Every rendered manifest, in every ci/*-values.yaml scenario, is validated
// offline against the Kubernetes and CRD schemas shipped by kubernetes-models
// (generated from the Kubernetes 1.27 OpenAPI spec and the prometheus-operator
// and KEDA CRDs):
//  1. the models' validate() checks types, required fields, enums and formats;
//  2. those validators ignore unknown fields, so the same manifests are also
//     type-checked as object literals against the models' TypeScript
//     interfaces, where any unknown field is an excess-property error. This is
//     what `kubectl apply --validate=strict` would reject on a live cluster.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { render, scenarios, type Manifest } from './render.ts'

// API group -> npm package holding its models; anything else fails the test.
const PACKAGES: Record<string, string> = {
  '': 'kubernetes-models',
  apps: 'kubernetes-models',
  batch: 'kubernetes-models',
  autoscaling: 'kubernetes-models',
  policy: 'kubernetes-models',
  'networking.k8s.io': 'kubernetes-models',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
}
const GENERATED_DIR = fileURLToPath(new URL('.generated/', import.meta.url))

function modulePath (m: Manifest): string {
  const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0]! : ''
  const pkg = PACKAGES[group]
  if (pkg === undefined) throw new Error(`${m.kind} ${m.metadata.name}: no schema for API group "${group}"`)
  return `${pkg}/${m.apiVersion}/${m.kind}`
}

interface ModelClass { new (data: unknown): { validate(): void } }

const rendered = scenarios().map((scenario) => ({ scenario, manifests: render(scenario) }))

t.test('validate() against the Kubernetes and CRD schemas', async (t) => {
  for (const { scenario, manifests } of rendered) {
    t.ok(manifests.length > 0, `${scenario} renders manifests`)
    for (const m of manifests) {
      const module = await import(modulePath(m)) as Record<string, ModelClass>
      const Model = module[m.kind]
      t.ok(Model, `${scenario}: model for ${m.apiVersion} ${m.kind}`)
      t.doesNotThrow(() => new Model!(m).validate(), `${scenario}: ${m.kind} ${m.metadata.name} is valid`)
    }
  }
})

t.test('no unknown fields (excess-property check against the typed models)', async (t) => {
  const imports = new Map<string, string>()
  const lines: string[] = []
  const labels: string[] = []
  for (const { scenario, manifests } of rendered) {
    for (const m of manifests) {
      const path = modulePath(m)
      const alias = `I${imports.size}`
      if (!imports.has(path)) imports.set(path, alias)
      labels.push(`${scenario}: ${m.kind} ${m.metadata.name}`)
      lines.push(`export const m${lines.length}: ${imports.get(path)!} = ${JSON.stringify(m)}`)
    }
  }
  // Negative control: a Deployment with a misspelt field must be rejected,
  // or this whole check proves nothing.
  const control = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'control' },
    spec: { replicaz: 1, selector: {}, template: {} } }
  const controlPath = 'kubernetes-models/apps/v1/Deployment'
  if (!imports.has(controlPath)) imports.set(controlPath, `I${imports.size}`)
  const controlLine = lines.length
  labels.push('negative control')
  lines.push(`export const m${lines.length}: ${imports.get(controlPath)!} = ${JSON.stringify(control)}`)
  const header = [...imports].map(([path, alias]) => {
    const kind = path.split('/').at(-1)!
    return `import type { I${kind} as ${alias} } from '${path}'`
  })
  mkdirSync(GENERATED_DIR, { recursive: true })
  const file = `${GENERATED_DIR}manifests.ts`
  // One manifest per line, so a diagnostic's line number names the manifest.
  writeFileSync(file, [...header, ...lines].join('\n') + '\n')
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  })
  const lineOf = (d: ts.Diagnostic): number => d.file !== undefined && d.start !== undefined
    ? d.file.getLineAndCharacterOfPosition(d.start).line - header.length
    : -1
  const diagnostics = ts.getPreEmitDiagnostics(program)
  const [controlErrors, errors] = [diagnostics.filter((d) => lineOf(d) === controlLine), diagnostics.filter((d) => lineOf(d) !== controlLine)]
  t.match(controlErrors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'), /replicaz/,
    'the negative control\'s unknown field is reported')
  for (const d of errors) {
    t.fail(`${labels[lineOf(d)] ?? 'header'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
  }
  t.equal(errors.length, 0, `${lines.length - 1} rendered manifests type-check against their models`)
})
