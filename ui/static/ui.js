// Behaviour for every page, loaded from 'self' (the CSP allows no inline script).
/* global document, navigator, Element, setTimeout */
'use strict'

// htmx requests carry the CSRF token from the page, like forms do with _csrf.
document.addEventListener('htmx:config:request', (evt) => {
  const meta = document.querySelector('meta[name="csrf-token"]')
  if (meta && evt.detail && evt.detail.ctx) evt.detail.ctx.request.headers['x-csrf-token'] = meta.content
})

// Copy buttons: data-copy holds the text.
document.addEventListener('click', async (evt) => {
  const btn = evt.target instanceof Element ? evt.target.closest('[data-copy]') : null
  if (!btn) return
  const text = btn.getAttribute('data-copy') || ''
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    // Clipboard API needs a secure context; plain http on a LAN falls back to a selection.
    const area = document.createElement('textarea')
    area.value = text
    document.body.appendChild(area)
    area.select()
    document.execCommand('copy')
    area.remove()
  }
  const label = btn.textContent
  btn.textContent = 'Copied'
  setTimeout(() => { btn.textContent = label }, 1500)
})

// Tabs (payload inspector): click or arrow keys switch panels.
function selectTab(tab) {
  const list = tab.closest('[role="tablist"]')
  for (const t of list.querySelectorAll('[role="tab"]')) {
    const on = t === tab
    t.setAttribute('aria-selected', String(on))
    t.tabIndex = on ? 0 : -1
    const panel = document.getElementById(t.getAttribute('aria-controls'))
    if (panel) panel.hidden = !on
  }
  tab.focus()
}
document.addEventListener('click', (evt) => {
  const tab = evt.target instanceof Element ? evt.target.closest('[role="tab"]') : null
  if (tab) selectTab(tab)
})
document.addEventListener('keydown', (evt) => {
  const tab = evt.target instanceof Element ? evt.target.closest('[role="tab"]') : null
  if (!tab || (evt.key !== 'ArrowRight' && evt.key !== 'ArrowLeft')) return
  const tabs = [...tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]')]
  const i = tabs.indexOf(tab) + (evt.key === 'ArrowRight' ? 1 : -1)
  selectTab(tabs[(i + tabs.length) % tabs.length])
})

// "Select all" checkboxes (dead-letter queue).
document.addEventListener('change', (evt) => {
  const all = evt.target instanceof Element ? evt.target.closest('[data-select-all]') : null
  if (!all) return
  for (const box of document.querySelectorAll(all.getAttribute('data-select-all'))) box.checked = all.checked
})
