// Templates run on the worker's event loop: every way a template can spend work (loops,
// nested loops, range, a string grown with set, filters that multiply a string, output)
// is stopped by the render's budget with a reason, and ordinary templates over a large
// payload are not.
import t, { type Test } from 'tap'
import { createTemplates, templateContext, TEMPLATE_BUDGET, TemplateBudgetExceeded } from '../src/template.ts'
import { MAX_JSON_DEPTH } from '../src/json-depth.ts'

const spin = (ms: number) => {
  const until = performance.now() + ms
  while (performance.now() < until);
}
const templates = createTemplates({
  shout: (v: unknown) => String(v).toUpperCase(),
  // A filter that is slow on its own, as a sort or a plugin's formatter over a large value can be.
  slow: (v: unknown) => (spin(5), v),
})

function context(body: string, contentType = 'application/json') {
  return templateContext({
    event: { id: 'e1', sourceId: 's1', sourceSlug: 'src', receivedAt: new Date('2026-01-01T00:00:00Z'), contentType, headers: {} },
    payload: { contentType, body: Buffer.from(body) },
    delivery: { id: 'd1', webhookId: 'w1', attempt: 1 },
  } as never)
}
const items = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] }))
const big = context(JSON.stringify({ items }))

function overBudget(t: Test, source: string, reason: RegExp, ctx = big) {
  const started = performance.now()
  let error: unknown
  try {
    templates.render('hostile', source, ctx)
  } catch (err) {
    error = err
  }
  const ms = Math.round(performance.now() - started)
  t.type(error, TemplateBudgetExceeded, source)
  t.match((error as Error | undefined)?.message, /^template hostile was stopped: /)
  t.match((error as Error | undefined)?.message, reason)
  // Stopped near the budget, not after the work was done (generous: CI machines are shared).
  t.ok(ms < TEMPLATE_BUDGET.millis * 10, `stopped within ${ms} ms`)
}

t.test('loops that do too much are stopped', async (t) => {
  overBudget(t, '{% for a in payload.items %}{% for b in payload.items %}{% endfor %}{% endfor %}', /steps of work|ran longer/)
  overBudget(t, '{% for a in payload.items %}{% for b in payload.items %}{{ a.id }}{{ b.id }}{% endfor %}{% endfor %}', /steps of work|ran longer|characters/)
  overBudget(t, '{% for a in payload.items %}{% for b in a.tags %}{% for c in payload.items %}{% endfor %}{% endfor %}{% endfor %}', /steps of work|ran longer/)
  overBudget(t, '{% for k, v in payload %}{% for x in range(100000) %}{% for y in range(100) %}{% endfor %}{% endfor %}{% endfor %}', /steps of work|ran longer/)
})

t.test('range cannot allocate a huge list', async (t) => {
  overBudget(t, '{% for i in range(1000000000) %}{% endfor %}', /range\(\) of 1,000,000,000 numbers/)
  overBudget(t, '{% for i in range(0, 1000000000000, 3) %}{% endfor %}', /range\(\)/)
  overBudget(t, '{% for i in range(10, -10000000000, -1) %}{% endfor %}', /range\(\)/)
  overBudget(t, '{{ range(200000) | length }} {{ range(200000) | length }}', /steps of work/)
  t.equal(templates.render('ok', '{{ range(3) | join(",") }}|{{ range(2, 5) | join(",") }}|{{ range(5, 0, -2) | join(",") }}', big), '0,1,2|2,3,4|5,3,1', 'range works as before')
  t.equal(templates.render('ok', '{{ range(1, 1) | length }}{{ range(3, 1) | length }}', big), '00')
})

t.test('strings cannot grow past the output limit', async (t) => {
  overBudget(t, '{% set s = "x" %}{% for i in range(40) %}{% set s = s + s %}{% endfor %}{{ s | length }}', /characters/)
  overBudget(t, '{{ "xxxxxxxxxx" | replace("x", "xxxxxxxxxx") | replace("x", "xxxxxxxxxx") | replace("x", "xxxxxxxxxx") | replace("x", "xxxxxxxxxx") | replace("x", "xxxxxxxxxx") | replace("x", "xxxxxxxxxx") | replace("x", "xxxxxxxxxx") | length }}', /characters|ran longer/)
  overBudget(t, '{% for i in range(1000) %}{{ payload | dump }}{% endfor %}', /characters/)
  overBudget(t, '{% for i in range(100000) %}{{ body }}{% endfor %}', /characters/)
  overBudget(t, '{% for i in range(2000) %}{{ body | shout }}{% endfor %}', /characters|ran longer/)
})

t.test('slow filters are caught by the clock', async (t) => {
  // Few steps, but each filter call takes 5 ms: the clock, read after every filter, stops it.
  overBudget(t, '{% for i in range(1000) %}{{ i | slow }}{% endfor %}', new RegExp(`ran longer than ${TEMPLATE_BUDGET.millis} ms`))
})

t.test('ordinary templates over a large payload render in full', async (t) => {
  const list = templates.render('list', '{% for i in payload.items %}{{ i.name | upper }}{% if not loop.last %}, {% endif %}{% endfor %}', big)
  t.equal(list.split(', ').length, 1000)
  t.equal(templates.render('sum', '{{ payload.items | length }} items, last {{ (payload.items | last).name }}', big), '1000 items, last item 999')
  t.ok(templates.render('dump', '{{ payload | dump }}', big).length > 30_000)
  // The budget is per render: one that overspends leaves the next one its whole budget.
  t.throws(() => templates.render('hostile', '{% for i in range(2000000) %}{% endfor %}', big), TemplateBudgetExceeded)
  t.equal(templates.render('after', '{{ event.id }} {{ delivery.attempt }}', big), 'e1 1')
})

t.test('other render errors keep their own message', async (t) => {
  t.throws(() => templates.render('bad', '{{ payload.x | nosuchfilter }}', big), /^template bad: .*filter not found: nosuchfilter/)
  t.throws(() => templates.render('syntax', '{% for %}', big), /^template syntax: /)
  t.throws(() => templates.render('recursion', '{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}', big), /^template recursion: .*Maximum call stack/)
})

t.test('a payload nested too deep to walk reaches a template as text only', async (t) => {
  for (const depth of [MAX_JSON_DEPTH + 1, 5000, 100_000]) {
    const body = '['.repeat(depth) + ']'.repeat(depth)
    const ctx = context(body)
    t.equal(ctx.payload, undefined, `${depth} levels: no parsed payload`)
    t.equal(templates.render('len', '{{ body | length }} {{ payload.x }}', ctx), `${depth * 2} `)
  }
  const ok = context('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))
  t.ok(Array.isArray(ok.payload), `${MAX_JSON_DEPTH} levels is still JSON`)
  t.match(templates.render('dump', '{{ payload | dump }}', ok), /^\[\[\[/)
})
