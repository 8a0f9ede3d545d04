/**
 * The code each sandbox context runs before the user's script. It defines the only
 * globals a script gets beyond plain JavaScript (`console`, `relay`) and returns the
 * function the sandbox calls per event.
 *
 * Everything here runs inside the isolate, so nothing in it is a host object: console
 * lines are collected in the isolate and copied out with the result. The built-ins the
 * wrapper relies on are captured before the user's script runs, so a script that
 * replaces JSON.stringify or WeakSet.prototype.has only changes what its own code sees.
 */
import { MAX_LOG_LINE_CHARS, MAX_LOG_LINES } from './types.ts'

/** The name errors and stack traces give the user's script. */
export const SCRIPT_FILENAME = 'transform.js'
export const PRELUDE_FILENAME = 'relay-prelude.js'

/**
 * The prelude evaluates to { run, partial }.
 *
 * run(token, eventsJson, maxChars, budgetMs) takes a JSON array of events for this script
 * and returns one JSON line per event it ran, joined by newlines (JSON.stringify never
 * emits a raw newline). It starts no new event once budgetMs have passed or the output
 * grew past maxChars; the caller sends the rest again. Each line is one of
 *   ['payload', body, isJson, optionsJson | null, logs, dropped]
 *   ['skip', logs, dropped]
 *   ['error', kind, message, stack, logs, dropped]
 * A string crosses the isolate boundary far faster than a structured copy.
 *
 * partial(token) returns the lines a call finished before the timeout cut it short.
 */
export const PRELUDE_SOURCE = `(function () {
  'use strict'
  const parse = JSON.parse
  const stringify = JSON.stringify
  const freeze = Object.freeze
  const defineProperty = Object.defineProperty
  const MAX_LINES = ${MAX_LOG_LINES}
  const MAX_CHARS = ${MAX_LOG_LINE_CHARS}
  const branded = new WeakSet()
  const brand = WeakSet.prototype.add.bind(branded)
  const isBranded = WeakSet.prototype.has.bind(branded)
  let logs = []
  let dropped = 0

  function show(value) {
    if (typeof value === 'string') return value
    try {
      if (value instanceof Error) return String(value.name) + ': ' + String(value.message)
      const json = stringify(value)
      return json === undefined ? String(value) : json
    } catch (e) {
      try { return String(value) } catch (e2) { return '[unprintable]' }
    }
  }

  function writer(level) {
    return function () {
      if (logs.length >= MAX_LINES) { dropped++; return }
      let line = ''
      for (let i = 0; i < arguments.length && line.length <= MAX_CHARS; i++) {
        line += (i === 0 ? '' : ' ') + show(arguments[i])
      }
      if (line.length > MAX_CHARS) line = line.slice(0, MAX_CHARS) + '…'
      logs[logs.length] = [level, line]
    }
  }

  defineProperty(globalThis, 'console', {
    value: freeze({ log: writer('log'), info: writer('info'), debug: writer('debug'), warn: writer('warn'), error: writer('error') }),
    writable: true, configurable: true, enumerable: false,
  })

  // relay.payload(body, options) is the only way to attach headers, a URL or a content
  // type: a plain returned object is always the body, whatever fields it has.
  defineProperty(globalThis, 'relay', {
    value: freeze({
      payload: function payload(body, options) {
        const out = freeze({ body: body, options: options === undefined ? null : options })
        brand(out)
        return out
      },
    }),
    writable: true, configurable: true, enumerable: false,
  })

  function describe(error) {
    if (error !== null && typeof error === 'object') {
      try {
        const name = error.name === undefined ? 'Error' : String(error.name)
        const message = error.message === undefined ? '' : String(error.message)
        return [message === '' ? name : name + ': ' + message, typeof error.stack === 'string' ? error.stack : '']
      } catch (e) { /* fall through to the generic text */ }
    }
    return ['uncaught ' + show(error), '']
  }

  function fail(kind, message, stack) {
    return ['error', kind, message, stack, logs, dropped]
  }

  const now = Date.now
  // Progress of each call by its token: several calls are queued on an isolate, so the
  // one asking for a timed-out call's progress may run after others started.
  const progress = Object.create(null)

  function run(token, eventsJson, maxChars, budgetMs) {
    const events = parse(eventsJson)
    const started = now()
    let done = ''
    progress[token] = done
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && (now() - started >= budgetMs || done.length > maxChars)) break
      done += (i === 0 ? '' : '\\n') + stringify(settle(events[i], maxChars))
      progress[token] = done
    }
    delete progress[token]
    return done
  }

  function partial(token) {
    const done = progress[token]
    delete progress[token]
    return done === undefined ? '' : done
  }

  return freeze({ run: run, partial: partial })

  function settle(event, maxChars) {
    logs = []
    dropped = 0
    let out
    try {
      if (typeof transform !== 'function') return fail('compile', 'the script must define function transform(event)', '')
      out = transform(event)
    } catch (error) {
      const d = describe(error)
      return fail('runtime', d[0], d[1])
    }
    try {
      if (out === null) return ['skip', logs, dropped]
      if (out === undefined) {
        return fail('runtime', 'transform returned undefined: return the payload, or null to skip this delivery', '')
      }
      let body = out
      let options = null
      if (typeof out === 'object' && isBranded(out)) {
        body = out.body
        options = out.options === null ? null : stringify(out.options)
      } else if ((typeof out === 'object' || typeof out === 'function') && typeof out.then === 'function') {
        return fail('runtime', 'transform returned a Promise: transforms are synchronous (no async functions)', '')
      }
      if (body === null || body === undefined) {
        return fail('output', 'relay.payload(body, options) needs a body (return null to skip the delivery)', '')
      }
      let text = body
      let json = false
      if (typeof body !== 'string') {
        text = stringify(body)
        json = true
        if (typeof text !== 'string') return fail('output', 'the payload cannot be encoded as JSON (' + typeof body + ')', '')
      }
      if (text.length > maxChars) {
        return fail('output', 'the payload is ' + text.length + ' characters long, over the ' + maxChars + '-byte limit', '')
      }
      return ['payload', text, json, options, logs, dropped]
    } catch (error) {
      const d = describe(error)
      return fail('output', 'the payload cannot be encoded as JSON: ' + d[0], d[1])
    }
  }
})()
`
