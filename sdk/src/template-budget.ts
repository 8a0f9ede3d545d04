/**
 * The budget of one template render. Templates run on the worker's event loop, so a
 * careless loop over a large payload (or a hostile one: `range(1e9)`, a string doubled
 * in a loop, nested loops over a big array) would stall every other delivery of the
 * process. Nunjucks compiles a template to JavaScript that calls back into its runtime
 * for every variable lookup, loop variable, `set`, call and output; counting those calls
 * measures the work done, whatever the template does, and lets a render stop in the
 * middle of the loop that overspends.
 *
 * A render may take TEMPLATE_BUDGET.steps runtime calls, TEMPLATE_BUDGET.millis of wall
 * clock (checked every CLOCK_EVERY steps, so a step that is slow on its own, such as a
 * filter over a large list, is still caught soon after), and produce at most
 * TEMPLATE_BUDGET.outputChars characters, also counting every string it builds with
 * `set` or a filter. Past any of these it throws TemplateBudgetExceeded, which the
 * plugins turn into a permanent failure: the delivery is dead-lettered with the reason
 * and the template can be fixed and the delivery replayed.
 *
 * Renders are synchronous (no async filters, no loaders), so one meter at a time is
 * enough: `metered` installs it for the duration of one call.
 */
import nunjucks from 'nunjucks'

export interface TemplateBudget {
  readonly steps: number
  readonly millis: number
  readonly outputChars: number
}

export const TEMPLATE_BUDGET: TemplateBudget = {
  /** Runtime calls, about 50 ms of work; the built-in presets take a few hundred, a loop over 1,000 items about 15,000. */
  steps: 250_000,
  /** Wall clock of one render. */
  millis: 100,
  /** Characters of output, and of any one string a render builds. */
  outputChars: 1024 * 1024,
}

const CLOCK_EVERY = 256

export class TemplateBudgetExceeded extends Error {
  override readonly name = 'TemplateBudgetExceeded'
}

class Meter {
  /** Set when the render overspent: nunjucks rewraps what its runtime throws, so the reason is kept here. */
  exceeded: TemplateBudgetExceeded | undefined
  private steps = 0
  private untilClock = CLOCK_EVERY
  private output = 0
  private readonly deadline: number
  private readonly budget: TemplateBudget
  constructor(budget: TemplateBudget) {
    this.budget = budget
    this.deadline = performance.now() + budget.millis
  }

  step(n = 1): void {
    this.steps += n
    if (this.steps > this.budget.steps) throw this.over(`it did more than ${this.budget.steps.toLocaleString('en')} steps of work`)
    this.untilClock -= n
    if (this.untilClock <= 0) {
      this.untilClock = CLOCK_EVERY
      this.clock()
    }
  }

  clock(): void {
    if (performance.now() > this.deadline) throw this.over(`it ran longer than ${this.budget.millis} ms`)
  }

  /** A string the render produced or stored; `emitted` strings count toward the output. */
  text(value: unknown, emitted: boolean): void {
    const length = typeof value === 'string' ? value.length : value instanceof String ? value.length : 0
    if (length > this.budget.outputChars) throw this.tooLong()
    if (emitted) {
      this.output += length
      if (this.output > this.budget.outputChars) throw this.tooLong()
    }
  }

  private tooLong(): TemplateBudgetExceeded {
    return this.over(`it produced more than ${this.budget.outputChars.toLocaleString('en')} characters`)
  }

  over(reason: string): TemplateBudgetExceeded {
    this.exceeded ??= new TemplateBudgetExceeded(reason)
    return this.exceeded
  }
}

let current: Meter | undefined

/** Runs one render under a fresh budget. */
export function metered<T>(render: () => T, budget: TemplateBudget = TEMPLATE_BUDGET): T {
  const outer = current
  const meter = new Meter(budget)
  current = meter
  try {
    const result = render()
    meter.clock()
    return result
  } catch (err) {
    throw meter.exceeded ?? err
  } finally {
    current = outer
  }
}

interface Runtime {
  memberLookup(obj: unknown, name: unknown): unknown
  contextOrFrameLookup(context: unknown, frame: unknown, name: unknown): unknown
  callWrap(fn: unknown, name: unknown, context: unknown, args: unknown[]): unknown
  suppressValue(value: unknown, autoescape: boolean): unknown
  fromIterator(value: unknown): unknown
  Frame: { prototype: { set(name: string, value: unknown, resolveUp?: boolean): void } }
}
const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime

// Fixed arities rather than (...args) and apply: these run for every lookup of every render.
const { memberLookup, contextOrFrameLookup, callWrap, fromIterator } = runtime
runtime.memberLookup = (obj, name) => {
  current?.step()
  return memberLookup(obj, name)
}
runtime.contextOrFrameLookup = (context, frame, name) => {
  current?.step()
  return contextOrFrameLookup(context, frame, name)
}
runtime.callWrap = (fn, name, context, args) => {
  current?.step()
  return callWrap(fn, name, context, args)
}
runtime.fromIterator = (value) => {
  current?.step()
  return fromIterator(value)
}

const suppressValue = runtime.suppressValue
runtime.suppressValue = (value, autoescape) => {
  const out = suppressValue(value, autoescape)
  if (current !== undefined) {
    current.step()
    current.text(out, true)
  }
  return out
}

// Every loop iteration sets its variable and loop.*; every {% set %} lands here too.
const frameSet = runtime.Frame.prototype.set
runtime.Frame.prototype.set = function (name, value, resolveUp) {
  if (current !== undefined) {
    current.step()
    // Loop counters and flags are most of these calls; only strings can grow.
    if (typeof value === 'string' || value instanceof String) current.text(value, false)
  }
  frameSet.call(this, name, value, resolveUp)
}

/** Wraps a filter so it costs a step and a huge result (a `replace` that multiplies a string) stops the render. */
export function meteredFilter<F extends (...args: never[]) => unknown>(fn: F): F {
  return function (this: unknown, ...args: Parameters<F>) {
    current?.step()
    const out = fn.apply(this, args)
    // One filter can be slow on its own (sort, dump, replace over a large value): look at the clock after each.
    current?.clock()
    current?.text(out, false)
    if (Array.isArray(out)) current?.step(out.length)
    return out
  } as F
}

/** nunjucks' `range`, but one that spends the budget for the list it builds instead of allocating a billion numbers first. */
export function meteredRange(start: number, stop?: number, step = 1): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop]
  if (!Number.isFinite(from) || !Number.isFinite(to) || !Number.isFinite(step) || step === 0) return []
  const length = Math.max(0, Math.ceil((to - from) / step))
  const tooLong = `range() of ${length.toLocaleString('en')} numbers is longer than a template may loop`
  if (length > TEMPLATE_BUDGET.steps) throw current?.over(tooLong) ?? new TemplateBudgetExceeded(tooLong)
  current?.step(length)
  const out: number[] = []
  for (let i = 0; i < length; i++) out.push(from + i * step)
  return out
}
