// Monaco for transform scripts. Loaded only on the script page. Monaco's AMD build is
// served from /ui/static/monaco/vs; its web workers are started from their own
// same-origin URLs (the page lists them), because Monaco's default blob: workers would
// need worker-src blob:, which the CSP does not allow.
'use strict'
/* global document, window, self, Element, Worker, fetch, console */

const config = JSON.parse(document.getElementById('monaco-config').textContent)
const textarea = document.getElementById('code')
const host = document.getElementById('editor')

function workerFor(label) {
  if (label === 'typescript' || label === 'javascript') return config.workers.typescript
  if (label === 'json') return config.workers.json
  return config.workers.editor
}

function start() {
  window.require.config({ paths: { vs: config.base } })
  window.require(['vs/editor/editor.main'], async () => {
    const monaco = window.monaco
    // editor.main installs blob: workers; replace them before the first worker starts.
    self.MonacoEnvironment = { getWorker: (_id, label) => new Worker(workerFor(label), { name: label }) }
    const ts = monaco.languages.typescript && monaco.languages.typescript.javascriptDefaults ? monaco.languages.typescript : monaco.typescript
    try {
      const contract = await (await fetch(config.contract)).text()
      ts.javascriptDefaults.addExtraLib(contract, 'file:///transform-contract.d.ts')
      ts.javascriptDefaults.setCompilerOptions({ checkJs: true, allowNonTsExtensions: true, target: 99, lib: ['es2022'] })
    } catch (err) {
      console.warn('transform type hints unavailable', err)
    }
    const editor = monaco.editor.create(host, {
      value: textarea.value,
      language: 'javascript',
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 14,
      scrollBeyondLastLine: false,
      tabSize: 2,
    })
    // The form posts the textarea; keep it in step with the editor.
    editor.onDidChangeModelContent(() => { textarea.value = editor.getValue() })
    window.relayEditor = editor
    // Jump to an error line reported by a test run.
    document.addEventListener('click', (evt) => {
      const link = evt.target instanceof Element ? evt.target.closest('[data-line]') : null
      if (!link) return
      evt.preventDefault()
      const line = Number(link.getAttribute('data-line'))
      const column = Number(link.getAttribute('data-column') || 1)
      editor.revealLineInCenter(line)
      editor.setPosition({ lineNumber: line, column })
      editor.focus()
    })
    host.classList.add('ready')
    textarea.hidden = true
    host.hidden = false
  })
}

const loader = document.createElement('script')
loader.src = `${config.base}/loader.js`
loader.onload = start
document.head.appendChild(loader)
