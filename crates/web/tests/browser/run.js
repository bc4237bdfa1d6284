// Severn's browser tests: playwright-core driving Debian's chromium against a running Severn, axe-core
// (WCAG 2.2 AA) on every page visited, a screenshot of every step. Started by crates/web/tests/browser.rs,
// which builds the database, serves the application and passes everything through the environment:
//
//   SEVERN_URL                     the application, e.g. http://127.0.0.1:40123
//   SEVERN_PASSWORD                every fixture person's password
//   SEVERN_INVESTIGATOR[_TOTP]     an investigator in the force and their authenticator secret (base32)
//   SEVERN_KEYBOARD[_TOTP]         a second investigator, who only uses the keyboard
//   SEVERN_PCC[_TOTP]              someone in the PCC's office, who must not reach personal data
//   SEVERN_SUPERVISOR[_TOTP]       a supervisor in the force, who shares and restricts a case
//   SEVERN_ADMIN[_TOTP]            the force's administrator, who manages staff
//   SEVERN_OUTSIDER                an investigator in another force, whom a case is shared with
//   SEVERN_SAFEGUARDING[_TOTP]     a safeguarding officer in the force, who safeguards a child on a case
//   SEVERN_SUPPORT_SERVICE         the name of a service in the directory of support services
//   SEVERN_LINKED                  two references about one suspect (they share an e-mail address)
//   SEVERN_LINKED_EMAIL            the address they share
//   SEVERN_MERGE                   two references in different subjects (sharing a screen name), to be merged
//   SEVERN_SCREENSHOTS             where the screenshots go (emptied first)
//   SEVERN_CHROMIUM                the browser (default /usr/bin/chromium)
//
// Exits 0 when every check passed; otherwise prints each failure and exits 1.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const BLOCKING_IMPACTS = new Set(['serious', 'critical']);
const OVERALL_LIMIT_MS = 100_000;

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests through crates/web/tests/browser.rs`);
  }
  return value;
}

const BASE = env('SEVERN_URL');
const PASSWORD = env('SEVERN_PASSWORD');
const SHOTS = env('SEVERN_SCREENSHOTS');
const CHROMIUM = process.env.SEVERN_CHROMIUM || '/usr/bin/chromium';

// --- RFC 6238 -------------------------------------------------------------------------------------------

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// The six-digit code for the 30-second step `offset` steps from now (HMAC-SHA1, RFC 4226 truncation).
function totp(secret, offset = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

// A code that is wrong now: none of the steps the server accepts (now and one either side).
function wrongCode(secret) {
  const accepted = new Set([-1, 0, 1].map((offset) => totp(secret, offset)));
  for (let n = 0; ; n += 1) {
    const candidate = String(n * 111_111 % 1_000_000).padStart(6, '0');
    if (!accepted.has(candidate)) return candidate;
  }
}

// --- checks ---------------------------------------------------------------------------------------------

const failures = [];
const warnings = [];
let shotNumber = 0;
let lastStep = Date.now();

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

// A browser context for one person, recording what the page's CSP refused and any script error.
async function newPerson(browser, who) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  context.setDefaultTimeout(10_000);
  await context.addInitScript(() => {
    window.__severnCsp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__severnCsp.push(`${e.violatedDirective} refused ${e.blockedURI || 'inline'}`);
    });
  });
  // axe-core goes into every document as an init script: like the test's own code, it runs outside the page's
  // Content-Security-Policy, which stays as strict as it is for people.
  await context.addInitScript({ content: AXE_SOURCE });
  const page = await context.newPage();
  page.severnProblems = [];
  page.on('pageerror', (error) => page.severnProblems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text())) {
      page.severnProblems.push(`CSP: ${message.text()}`);
    }
  });
  page.severnWho = who;
  return { context, page };
}

// What every page visited must pass: no CSP refusal or script error, no serious or critical axe violation.
// Keeps a full-page screenshot of the step.
async function inspect(page, step) {
  await page.waitForLoadState('load');
  shotNumber += 1;
  const name = `${String(shotNumber).padStart(2, '0')}-${page.severnWho}-${step.replace(/[^a-z0-9-]+/gi, '-')}.png`;
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });

  const csp = await page.evaluate(() => window.__severnCsp || []);
  const problems = [...page.severnProblems, ...csp.map((v) => `CSP: ${v}`)];
  page.severnProblems.length = 0;
  check(problems.length === 0, `${step} (${page.url()}):\n    ${problems.join('\n    ')}`);

  const violations = await page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  }, WCAG_TAGS);
  const describe = (v) => `[${v.impact}] ${v.id} — ${v.help}\n      ${v.nodes.join('\n      ')}`;
  for (const v of violations.filter((v) => !BLOCKING_IMPACTS.has(v.impact))) {
    warnings.push(`${step} (${page.url()}): ${describe(v)}`);
  }
  const blocking = violations.filter((v) => BLOCKING_IMPACTS.has(v.impact));
  check(
    blocking.length === 0,
    `axe on ${step} (${page.url()}):\n    ${blocking.map(describe).join('\n    ')}`,
  );
  const took = ((Date.now() - lastStep) / 1000).toFixed(1);
  lastStep = Date.now();
  console.log(`  ok  ${name} (${took} s; axe: ${violations.length} minor or moderate)`);
}

async function visit(page, route, step, expectedStatus = 200) {
  const response = await page.goto(BASE + route);
  check(
    response.status() === expectedStatus,
    `${route}: status ${response.status()}, expected ${expectedStatus}`,
  );
  await inspect(page, step);
  return response;
}

// Clicks a button that posts a form and waits for the page that answers, even when its address is the same.
async function submit(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
}

async function heading(page) {
  return (await page.locator('h1').innerText()).trim();
}

// The last time step whose code each account signed in with: the server refuses a code used before, so a second
// sign-in within the same 30 seconds takes the next step's code (the server accepts one step either side), and
// one more waits for the step after.
const stepsUsed = new Map();

async function freshCode(secret) {
  for (;;) {
    const now = Math.floor(Date.now() / 1000 / 30);
    const offset = Math.max(0, (stepsUsed.get(secret) ?? now - 1) + 1 - now);
    if (offset <= 1) {
      stepsUsed.set(secret, now + offset);
      return totp(secret, offset);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function signIn(page, username, secret) {
  await visit(page, '/sign-in', 'sign-in');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${BASE}/sign-in/code`);
  await inspect(page, 'code');
  await page.getByLabel('Six-digit code').fill(await freshCode(secret));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${BASE}/`);
  await inspect(page, 'home');
}

// The subject number a referral belongs to, read from the referral page's link.
async function subjectOf(page, reference) {
  await visit(page, `/referrals/${reference}`, `referral-${reference}`);
  const href = await page.locator('dl a[href^="/subjects/"]').first().getAttribute('href');
  return href.split('/').pop();
}

// The focused element, described.
async function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    const style = getComputedStyle(e);
    return {
      tag: e.tagName.toLowerCase(),
      id: e.id,
      name: e.getAttribute('name'),
      text: (e.innerText || e.value || '').trim(),
      href: e.getAttribute('href'),
      outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    };
  });
}

// Presses Tab until `wanted` holds for the focused element (at most 40 times); the element must show focus.
async function tabTo(page, wanted, what) {
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (wanted(now)) {
      check(now.outline, `${what} is focused but shows no focus outline`);
      return now;
    }
  }
  throw new CheckFailed(`${what} cannot be reached with Tab`);
}

// --- scenarios ------------------------------------------------------------------------------------------

async function investigatorWorksACase(browser) {
  const { context, page } = await newPerson(browser, 'investigator');
  const secret = env('SEVERN_INVESTIGATOR_TOTP');
  const [linkedA, linkedB] = env('SEVERN_LINKED').split(' ');
  const sharedEmail = env('SEVERN_LINKED_EMAIL');
  const [mergeA, mergeB] = env('SEVERN_MERGE').split(' ');

  // Not signed in: the queue sends the person to sign in.
  await page.goto(`${BASE}/queue`);
  check(page.url().startsWith(`${BASE}/sign-in`), `/queue without signing in went to ${page.url()}`);

  // A wrong code is refused with a plain explanation, then the right one signs in.
  await visit(page, '/sign-in', 'sign-in');
  await page.getByLabel('User name').fill(env('SEVERN_INVESTIGATOR'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${BASE}/sign-in/code`);
  await inspect(page, 'code');
  await page.getByLabel('Six-digit code').fill(wrongCode(secret));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  check(await page.getByRole('alert').isVisible(), 'a wrong code shows no error summary');
  await inspect(page, 'wrong-code');
  await page.getByLabel('Six-digit code').fill(await freshCode(secret));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${BASE}/`);
  await inspect(page, 'home');

  // The queue: every open subject, in deadline order, each with its band.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Queue' }).click();
  await page.waitForURL(`${BASE}/queue`);
  await inspect(page, 'queue');
  check((await heading(page)) === 'Queue', 'the queue page has no Queue heading');
  const rows = page.locator('table tbody tr');
  check((await rows.count()) === 3, `the queue shows ${await rows.count()} subjects, expected 3`);
  check((await page.locator('table tbody .band').count()) === 3, 'a queue row has no band');

  // A subject from the queue, then its referral: identifiers and the links between referrals.
  await rows.first().getByRole('link').click();
  await page.waitForURL(/\/subjects\/\d+$/);
  await inspect(page, 'subject-from-queue');
  await visit(page, `/referrals/${linkedA}`, `referral-${linkedA}`);
  check((await heading(page)) === `Referral ${linkedA}`, `referral ${linkedA} has the heading "${await heading(page)}"`);
  const identifiers = await page.locator('table').first().innerText();
  check(identifiers.includes(sharedEmail), `referral ${linkedA} does not list ${sharedEmail}`);
  const links = page.locator('h2:has-text("Why these referrals are one subject") + p + table');
  check(
    (await links.getByRole('link', { name: linkedB }).count()) === 1,
    `referral ${linkedA} does not explain its link to ${linkedB}`,
  );

  // Search by identifier: the shared e-mail address finds both referrals.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click();
  await page.waitForURL(`${BASE}/search`);
  await inspect(page, 'search');
  await page.getByLabel('Kind of identifier').selectOption({ label: 'e-mail address' });
  await page.getByLabel('Identifier', { exact: true }).fill(sharedEmail);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/search\?/);
  await inspect(page, 'search-results');
  const hits = page.locator('main table tbody');
  for (const reference of [linkedA, linkedB]) {
    check(
      (await hits.getByRole('link', { name: reference, exact: true }).count()) === 1,
      `searching for ${sharedEmail} does not find ${reference}`,
    );
  }

  // A risk assessment: answer every question with its highest-scoring option and see the band move.
  const assessed = await subjectOf(page, linkedA);
  await visit(page, `/subjects/${assessed}`, `subject-${assessed}`);
  const bandBefore = (await page.locator('dl .band').first().innerText()).trim();
  await page.getByRole('link', { name: 'Assess with the risk tool' }).click();
  await page.waitForURL(`${BASE}/subjects/${assessed}/assess`);
  await inspect(page, 'assess');
  const questions = page.locator('main form fieldset');
  check((await questions.count()) > 0, 'the assessment asks no questions');
  const choices = await questions.evaluateAll((fieldsets) =>
    fieldsets.map((fieldset) => {
      let best = null;
      for (const input of fieldset.querySelectorAll('input[type=radio]')) {
        const match = input.closest('label').innerText.match(/\((\d+) points?\)/);
        if (match && (best === null || Number(match[1]) > best.points)) {
          best = { name: input.name, value: input.value, points: Number(match[1]) };
        }
      }
      return { question: fieldset.querySelector('legend').innerText, best };
    }),
  );
  // The band panel redraws as soon as an answer changes, before anything is saved.
  const panel = page.locator('#band-preview');
  const panelBefore = (await panel.innerText()).trim();
  check(panelBefore.startsWith('Band now:'), `the band panel starts as "${panelBefore}"`);
  for (const [index, { question, best }] of choices.entries()) {
    check(best !== null, `"${question}" offers no scored answer`);
    await page.locator(`input[type=radio][name="${best.name}"][value="${best.value}"]`).check();
    if (index === 0) {
      await page.waitForFunction(
        () => document.querySelector('#band-preview').innerText.includes('With these answers the band would be'),
      );
      const preview = (await panel.innerText()).replace(/\s+/g, ' ');
      check(preview.includes(question.trim()), `the preview does not show what moved it: "${preview}"`);
      check(page.url() === `${BASE}/subjects/${assessed}/assess`, 'answering a question left the page');
      await inspect(page, 'assess-preview');
    }
  }
  await page.waitForFunction(() => /up from/.test(document.querySelector('#band-preview').innerText));
  await page.getByRole('button', { name: 'Save the assessment' }).click();
  await page.waitForURL(`${BASE}/subjects/${assessed}/assess`);
  await inspect(page, 'assessed');
  check((await heading(page)) === `Assessment saved: subject ${assessed}`, `after saving: "${await heading(page)}"`);
  const outcome = (await page.locator('main .lead').innerText()).replace(/\s+/g, ' ');
  const bands = await page.locator('main .lead .band').allInnerTexts();
  check(
    bands.length === 2 && bands[0].trim() === bandBefore && outcome.includes('(up)'),
    `the assessment did not move the band up from ${bandBefore}: "${outcome}"`,
  );
  await page.getByRole('link', { name: `Back to subject ${assessed}` }).click();
  await page.waitForURL(`${BASE}/subjects/${assessed}`);
  await inspect(page, 'subject-after-assessment');
  const bandAfter = (await page.locator('dl .band').first().innerText()).trim();
  check(bandAfter === bands[1].trim(), `the subject shows ${bandAfter}, the assessment gave ${bands[1]}`);

  // Merge two subjects after comparing them: the subject page lists the other as a possible match (they share
  // a screen name, too weak to link on its own), the comparison marks what they share and reflows to 320 px,
  // the merge is refused without the confirmation (the form kept), and the result says what moved.
  const subjectA = await subjectOf(page, mergeA);
  const subjectB = await subjectOf(page, mergeB);
  check(subjectA !== subjectB, `${mergeA} and ${mergeB} are already one subject`);
  await visit(page, `/subjects/${subjectA}`, `subject-${subjectA}`);
  await page.setViewportSize({ width: 320, height: 800 });
  await inspect(page, `subject-${subjectA}-320px`);
  const subjectOverflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  check(subjectOverflow <= 0, `the subject page scrolls sideways by ${subjectOverflow} px at 320 px wide`);
  await page.setViewportSize({ width: 1280, height: 800 });
  const compareLink = page.getByRole('link', { name: `Compare subject ${subjectA} with subject ${subjectB}` });
  check((await compareLink.count()) === 1, `subject ${subjectA} does not list subject ${subjectB} as a possible match`);
  await Promise.all([page.waitForURL(`${BASE}/subjects/${subjectA}/compare/${subjectB}`), compareLink.click()]);
  await inspect(page, 'compare');
  check(
    (await page.locator('.compare .tag', { hasText: 'Shared' }).count()) === 2,
    'the comparison does not mark the shared screen name on both sides',
  );
  await page.setViewportSize({ width: 320, height: 800 });
  await inspect(page, 'compare-320px');
  const compareOverflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  check(compareOverflow <= 0, `the comparison scrolls sideways by ${compareOverflow} px at 320 px wide`);
  await page.setViewportSize({ width: 1280, height: 800 });
  const rationale = 'Same person: the screen names tide_walker and walker_tide were registered from one device.';
  const mergeButton = () => page.getByRole('button', { name: `Merge subject ${subjectB} into subject ${subjectA}` });
  await page.getByLabel('Why they are the same person').fill(rationale);
  await submit(page, mergeButton());
  await inspect(page, 'merge-unconfirmed');
  check((await page.locator('#confirm-error').count()) === 1, 'a merge without the confirmation was not refused beside the box');
  check(
    (await page.getByLabel('Why they are the same person').inputValue()) === rationale,
    'the refused merge did not keep the rationale',
  );
  await page.getByLabel('I have compared them and they are the same person').check();
  await submit(page, mergeButton());
  await inspect(page, 'merged');
  const result = (await page.locator('main p[role="status"]').innerText()).trim();
  check(
    result === `Subject ${subjectB} merged into subject ${subjectA}: 1 referral moved.`,
    `after the merge: "${result}"`,
  );
  await Promise.all([
    page.waitForURL(`${BASE}/subjects/${subjectA}`),
    page.getByRole('link', { name: `Open subject ${subjectA}` }).click(),
  ]);
  await inspect(page, 'subject-after-merge');
  const referrals = await page.locator('h2:has-text("Referrals") + p + ul').innerText();
  check(
    referrals.includes(mergeA) && referrals.includes(mergeB),
    `after the merge the subject lists ${referrals.replace(/\s+/g, ' ')}`,
  );
  await visit(page, `/referrals/${mergeB}`, `referral-${mergeB}-after-merge`);
  check(
    (await page.locator('main').innerText()).includes(rationale),
    'the referral does not show the merge and its rationale',
  );

  // The merged-away subject says where it went, and offers nothing to do.
  await visit(page, `/subjects/${subjectB}`, `merged-away-${subjectB}`);
  check(
    (await page.locator('main').innerText()).includes(`This subject was merged into subject ${subjectA}`),
    'the merged-away subject does not say where it went',
  );
  check((await page.locator('main form').count()) === 0, 'the merged-away subject offers forms');

  await visit(page, '/queue', 'queue-after-merge');
  check((await rows.count()) === 2, `after the merge the queue shows ${await rows.count()} subjects, expected 2`);
  await context.close();
}

async function pccOfficeIsRefusedPersonalData(browser) {
  const { context, page } = await newPerson(browser, 'pcc');
  await signIn(page, env('SEVERN_PCC'), env('SEVERN_PCC_TOTP'));
  const nav = page.getByRole('navigation', { name: 'Main' });
  check((await nav.getByRole('link', { name: 'Queue' }).count()) === 0, 'the PCC office is offered the queue');
  check((await nav.getByRole('link', { name: 'Cases' }).count()) === 0, 'the PCC office is offered the case lists');

  const [reference] = env('SEVERN_LINKED').split(' ');
  const email = env('SEVERN_LINKED_EMAIL');

  // Figures, counts only: the force's open work, and nothing that names anyone.
  await nav.getByRole('link', { name: 'Figures' }).click();
  await page.waitForURL(`${BASE}/figures`);
  await inspect(page, 'figures');
  const figures = await page.locator('main').innerText();
  check(figures.includes('Severnshire Constabulary'), 'the figures do not show the force');
  check(/\b[1-9]\d* open\b/.test(figures), `the figures count no open work in the force:\n${figures}`);
  for (const secret of [email, reference, 'Subject ']) {
    check(!figures.includes(secret), `the figures show "${secret}"`);
  }
  check(!(await page.locator('main a[href^="/subjects/"], main a[href^="/referrals/"]').count()), 'the figures link to cases');

  for (const [route, step] of [
    ['/queue', 'queue-refused'],
    ['/cases', 'cases-refused'],
    [`/referrals/${reference}`, 'referral-refused'],
    ['/subjects/1', 'subject-refused'],
  ]) {
    await visit(page, route, step, 403);
    check((await heading(page)) === 'You cannot see this', `${route}: heading "${await heading(page)}"`);
    const text = await page.locator('main').innerText();
    for (const secret of [email, 'Example Social', 'Identifiers', 'Band']) {
      check(!text.includes(secret), `${route}: the refusal shows "${secret}"`);
    }
    check(!(await page.locator('main table, main form').count()), `${route}: the refusal shows a table or form`);
  }
  await context.close();
}

async function supervisorSharesAndRestrictsACase(browser) {
  const { context, page } = await newPerson(browser, 'supervisor');
  await signIn(page, env('SEVERN_SUPERVISOR'), env('SEVERN_SUPERVISOR_TOTP'));
  // The audits (a period typed wrongly among them) reflow to 320 px wide.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audits' }).click();
  await page.waitForURL(`${BASE}/audits/allocation`);
  await page.setViewportSize({ width: 320, height: 800 });
  for (const [route, step, status] of [
    ['/audits/allocation', 'audit-allocation-320px', 200],
    ['/audits/warrants', 'audit-warrants-320px', 200],
    ['/audits/stages', 'audit-stages-320px', 200],
    ['/audits/warrants?from=2026-02-30', 'audit-bad-date-320px', 400],
  ]) {
    await visit(page, route, step, status);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    check(overflow <= 0, `${route} scrolls sideways by ${overflow} px at 320 px wide`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  const outsider = env('SEVERN_OUTSIDER');
  const [reference] = env('SEVERN_LINKED').split(' ');
  const subject = await subjectOf(page, reference);
  await visit(page, `/subjects/${subject}`, `subject-${subject}`);
  check(
    (await page.locator('main').innerText()).includes('Not shared with anyone outside the force.'),
    'a new case says it is shared with no one',
  );

  // Share with a named person in another force, with a reason.
  await page.getByLabel('User name of the person to share with').fill(outsider);
  await page.getByLabel('Why they need it').fill('Joint operation Kestrel with Wrekin Police');
  await submit(page, page.getByRole('button', { name: 'Share', exact: true }));
  await inspect(page, 'shared');
  const shares = page.getByRole('table', { name: 'Shared with people outside the force' });
  const shareText = await shares.innerText();
  check(shareText.includes(outsider) && shareText.includes('Joint operation Kestrel'), `shares: "${shareText}"`);

  // Restrict it to themselves: opening it now asks why.
  await page.getByLabel('User names of the people who may open it').fill(env('SEVERN_SUPERVISOR'));
  await page.getByLabel('Why it is restricted').fill('The suspect may be a member of staff');
  await submit(page, page.getByRole('button', { name: 'Restrict', exact: true }));
  await inspect(page, 'restricted-asks-why');
  check((await heading(page)) === 'Say why you need this', `after restricting: "${await heading(page)}"`);
  await page.getByLabel('Reason').fill('Reviewing the restriction');
  await submit(page, page.getByRole('button', { name: 'Continue' }));
  await inspect(page, 'restricted');
  const restricted = await page.locator('main').innerText();
  check(restricted.includes('Restricted.') && restricted.includes(env('SEVERN_SUPERVISOR')), 'the restriction is not shown');

  // Lift it again, with a reason.
  await page.getByLabel('Why the restriction is no longer needed').fill('Not a member of staff after all');
  await submit(page, page.getByRole('button', { name: 'Lift the restriction' }));
  await inspect(page, 'restriction-lifted');
  check(
    (await page.locator('main').innerText()).includes('Not restricted'),
    'the restriction was not lifted',
  );
  await context.close();
}

async function administratorManagesStaff(browser) {
  const { context, page } = await newPerson(browser, 'admin');
  await signIn(page, env('SEVERN_ADMIN'), env('SEVERN_ADMIN_TOTP'));
  // Training coverage reflows to 320 px wide.
  await page.setViewportSize({ width: 320, height: 800 });
  await visit(page, '/training', 'training-320px');
  const trainingOverflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  check(trainingOverflow <= 0, `/training scrolls sideways by ${trainingOverflow} px at 320 px wide`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await visit(page, '/', 'home-again');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' }).click();
  await page.waitForURL(`${BASE}/staff`);
  await inspect(page, 'staff');
  check((await heading(page)) === 'Staff', `staff page: "${await heading(page)}"`);

  // A case role waits for a second administrator: nothing is added yet, and the request is listed.
  await page.getByLabel('A person').check();
  await page.getByLabel('User name', { exact: true }).fill('dc.mair.jones');
  await page.getByLabel('Name as shown').fill('DC Mair Jones');
  await page.getByLabel('Investigator').check();
  await submit(page, page.getByRole('button', { name: 'Add', exact: true }));
  await inspect(page, 'staff-requested');
  check(
    (await heading(page)) === 'Waiting for a second administrator',
    `after asking: "${await heading(page)}"`,
  );
  await submit(page, page.getByRole('link', { name: 'Back to the staff list' }));
  check(
    (await page.locator('main').innerText()).includes('add dc.mair.jones with roles investigator'),
    'the request is not listed',
  );

  // A person who sees figures only: the password and authenticator key are shown once.
  await page.getByLabel('A person').check();
  await page.getByLabel('User name', { exact: true }).fill('dc.rhys.evans');
  await page.getByLabel('Name as shown').fill('DC Rhys Evans');
  await page.getByLabel("PCC's office").check();
  await submit(page, page.getByRole('button', { name: 'Add', exact: true }));
  await inspect(page, 'staff-added');
  const added = await page.locator('main').innerText();
  check(
    added.includes('dc.rhys.evans added') && added.includes('These are shown once.') && added.includes('Password'),
    `after adding: "${added}"`,
  );

  // A service account gets an API token instead.
  await submit(page, page.getByRole('link', { name: 'Back to the staff list' }));
  await page.getByLabel('A service account').check();
  await page.getByLabel('User name', { exact: true }).fill('partner-feed');
  await page.getByLabel('Name as shown').fill('Partner agency feed');
  await submit(page, page.getByRole('button', { name: 'Add', exact: true }));
  await inspect(page, 'service-added');
  check((await page.locator('main').innerText()).includes('API token'), 'no API token shown');

  // Reset the new person's password and authenticator, then deactivate them.
  await submit(page, page.getByRole('link', { name: 'Back to the staff list' }));
  await inspect(page, 'staff-list');
  await submit(page, page.getByRole('button', { name: 'Reset password and authenticator of dc.rhys.evans' }));
  await inspect(page, 'staff-reset');
  check(
    (await heading(page)) === 'New password and authenticator for dc.rhys.evans',
    `after the reset: "${await heading(page)}"`,
  );
  await submit(page, page.getByRole('link', { name: 'Back to the staff list' }));
  await submit(page, page.getByRole('button', { name: 'Deactivate dc.rhys.evans' }));
  await inspect(page, 'staff-deactivated');
  const row = page.getByRole('row').filter({ hasText: 'dc.rhys.evans' });
  check((await row.innerText()).includes('Deactivated'), `the row says "${await row.innerText()}"`);
  await context.close();
}

async function keyboardOnly(browser) {
  const { context, page } = await newPerson(browser, 'keyboard');
  await page.goto(`${BASE}/sign-in`);

  // The first Tab shows the skip link; Enter on it moves focus to the main content.
  let now = await tabTo(page, (f) => f.href === '#main', 'the skip link');
  check(now.text === 'Skip to main content', `the first link is "${now.text}"`);
  const box = await page.locator('.skip-link').boundingBox();
  check(box && box.x >= 0 && box.y >= 0 && box.width > 10 && box.height > 10, 'the focused skip link is not visible');
  await inspect(page, 'skip-link');
  await page.keyboard.press('Enter');
  check((await focused(page)).id === 'main', 'Enter on the skip link does not move focus to the main content');

  // The sign-in form with Tab, typing and Enter only.
  await tabTo(page, (f) => f.id === 'username', 'the user name field');
  await page.keyboard.type(env('SEVERN_KEYBOARD'));
  await page.keyboard.press('Tab');
  check((await focused(page)).id === 'password', 'Tab from the user name does not reach the password');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${BASE}/sign-in/code`);
  await inspect(page, 'code');
  await tabTo(page, (f) => f.id === 'code', 'the code field');
  await page.keyboard.type(await freshCode(env('SEVERN_KEYBOARD_TOTP')));
  await page.keyboard.press('Enter');
  await page.waitForURL(`${BASE}/`);
  await inspect(page, 'home');

  // The queue and its filter, by keyboard.
  await tabTo(page, (f) => f.href === '/queue', 'the queue link');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${BASE}/queue`);
  await inspect(page, 'queue');
  await tabTo(page, (f) => f.id === 'overdue', 'the overdue filter');
  await page.keyboard.press('Space');
  check(await page.locator('#overdue').isChecked(), 'Space does not tick the overdue filter');
  await tabTo(page, (f) => f.tag === 'button' && f.text === 'Show', 'the Show button');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/queue\?.*overdue=yes/);
  await inspect(page, 'queue-filtered');

  // Open the first subject with Enter.
  await page.goto(`${BASE}/queue`);
  await tabTo(page, (f) => /^\/subjects\/\d+$/.test(f.href || ''), 'a subject in the queue');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/subjects\/\d+$/);
  await inspect(page, 'subject');

  // The assessment's band panel answers the keyboard too: an arrow key changes an answer and redraws it, and
  // the focus stays on the question.
  await tabTo(page, (f) => f.text === 'Assess with the risk tool', 'the assessment link');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/subjects\/\d+\/assess$/);
  await inspect(page, 'assess');
  const question = await tabTo(
    page,
    (f) => f.tag === 'input' && (f.name || '').startsWith('answer.'),
    'the first question',
  );
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(
    () => document.querySelector('#band-preview').innerText.includes('With these answers the band would be'),
  );
  check((await focused(page)).name === question.name, 'answering moved the focus away from the question');
  await inspect(page, 'assess-preview');
  await context.close();
}

// Records one entry from the case page: opens the entry's folded form, fills it with `fill`, and submits it.
async function recordEntry(page, summary, fill) {
  const form = page.locator('details.entry-form', { has: page.locator('summary', { hasText: new RegExp(`^${summary}$`) }) });
  await form.locator('summary').click();
  await fill(form);
  await submit(page, form.getByRole('button', { name: `Record: ${summary}` }));
  const refused = page.getByRole('alert');
  check(!(await refused.count()), `"${summary}" was refused: ${(await refused.allInnerTexts()).join(' ')}`);
  check(/\/cases\/\d+$/.test(new URL(page.url()).pathname), `recording "${summary}" ended at ${page.url()}`);
}

async function investigatorRunsACaseToItsFirstEnforcement(browser) {
  const { context, page } = await newPerson(browser, 'case');
  await signIn(page, env('SEVERN_INVESTIGATOR'), env('SEVERN_INVESTIGATOR_TOTP'));
  const [reference] = env('SEVERN_MERGE').split(' ');

  // Open a case from the subject: the subject page then links to it.
  const subject = await subjectOf(page, reference);
  await visit(page, `/subjects/${subject}`, `subject-${subject}`);
  await submit(page, page.getByRole('button', { name: 'Open a case' }));
  check(/\/cases\/\d+$/.test(page.url()), `opening a case went to ${page.url()}`);
  await inspect(page, 'case-opened');
  const casePath = new URL(page.url()).pathname;
  const caseNumber = casePath.split('/').pop();
  check((await heading(page)) === `Case ${caseNumber}`, `the case page has the heading "${await heading(page)}"`);
  const summary = () => page.locator('main dl').first().innerText();
  check((await summary()).includes('Running: due'), `a new case's clock is not running:\n${await summary()}`);
  // The desk: the suspect from the referrals, the children named and why the band, each a section.
  for (const name of ['The suspect', 'Children named', 'Why this band', 'Referrals']) {
    check(await page.getByRole('heading', { name, exact: true }).isVisible(), `the case page has no "${name}" section`);
  }
  check(await page.getByRole('navigation', { name: 'On this page' }).isVisible(), 'the case page has no contents');

  // A warrant from application to grant to execution, then an arrest.
  await recordEntry(page, 'Warrant applied for', async (form) => {
    await form.getByLabel('Type of warrant').selectOption({ index: 0 });
    await form.getByLabel('Court').fill("Severnshire Magistrates' Court");
    await form.getByLabel('Heard remotely').check();
  });
  await inspect(page, 'warrant-applied');
  await recordEntry(page, 'Warrant granted', async (form) => {
    await form.getByLabel('Which warrant').selectOption({ index: 0 });
  });
  await recordEntry(page, 'Warrant executed', async () => {});
  await recordEntry(page, 'Arrest', async () => {});
  await inspect(page, 'case-after-arrest');
  const clock = await summary();
  check(
    clock.toLowerCase().includes('stopped by warrant executed (in time)'),
    `the clock did not stop at the warrant's execution:\n${clock}`,
  );
  const warrants = await page.locator('h2:has-text("Warrants") + table').innerText();
  check(/Granted/.test(warrants) && /heard remotely/.test(warrants), `the warrants table shows:\n${warrants}`);
  const timeline = await page.locator('ol.timeline').innerText();
  for (const entry of ['Warrant applied for', 'Warrant granted', 'Warrant executed', 'Arrest']) {
    check(timeline.includes(entry), `the timeline has no "${entry}"`);
  }

  // The worklist lists the case; the subject links to it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cases' }).click();
  await page.waitForURL(`${BASE}/cases`);
  await inspect(page, 'worklist-mine');
  await page.getByRole('navigation', { name: 'Case lists' }).getByRole('link', { name: 'All open cases' }).click();
  await page.waitForURL(`${BASE}/cases?list=open`);
  await inspect(page, 'worklist-open');
  check(
    (await page.locator(`main table a[href="${casePath}"]`).count()) === 1,
    `the open cases do not list case ${caseNumber}`,
  );
  await visit(page, `/subjects/${subject}`, `subject-${subject}-with-case`);
  check((await page.locator(`main a[href="${casePath}"]`).count()) === 1, 'the subject does not link to its case');

  // On a phone-sized screen the case page reflows: nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await visit(page, casePath, 'case-390px');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `the case page scrolls sideways by ${overflow} px at 390 px wide`);
  await visit(page, '/cases?list=open', 'worklist-390px');
  const listOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(listOverflow <= 0, `the worklist scrolls sideways by ${listOverflow} px at 390 px wide`);
  await context.close();
}

// A supervisor allocates the case the investigator opened to someone who lacks the skills the policy asks for:
// refused without a rationale, allocated with one, and the case shows its officer in charge.
async function supervisorAllocatesWithAnOverride(browser) {
  const { context, page } = await newPerson(browser, 'allocate');
  await signIn(page, env('SEVERN_SUPERVISOR'), env('SEVERN_SUPERVISOR_TOTP'));
  await visit(page, '/cases?list=unallocated', 'worklist-unallocated');
  const first = page.locator('main table a[href^="/cases/"]').first();
  check(await first.count(), 'no unallocated case to allocate');
  const casePath = await first.getAttribute('href');
  await visit(page, casePath, 'case-to-allocate');
  await page.getByRole('link', { name: 'Allocate this case' }).click();
  await page.waitForURL(`${BASE}${casePath}/allocate`);
  await inspect(page, 'allocate');
  check((await page.locator('main').innerText()).includes('needs an override'), 'no candidate is shown as needing an override');
  const officer = page.locator('input[name="officer"]').first();
  const officerName = (await page.locator('ol.candidates li strong').first().innerText()).trim();
  await officer.check();
  await submit(page, page.getByRole('button', { name: 'Allocate' }));
  const refused = await page.getByRole('alert').innerText();
  check(/override/.test(refused), `allocating without a rationale was not refused for it:\n${refused}`);
  check(await page.locator('input[name="officer"]').first().isChecked(), 'the chosen officer was not kept');
  await inspect(page, 'allocate-refused');
  await page.getByLabel('Override rationale').fill('The only officer on duty; the specialist reviews the case daily');
  await submit(page, page.getByRole('button', { name: 'Allocate' }));
  await page.waitForURL(`${BASE}${casePath}`);
  const summary = await page.locator('main dl').first().innerText();
  check(summary.includes(officerName), `the case does not show ${officerName} in charge:\n${summary}`);
  const timeline = await page.locator('ol.timeline').innerText();
  check(/against the policy/.test(timeline), `the timeline does not record the override:\n${timeline}`);
  await page.setViewportSize({ width: 390, height: 844 });
  await visit(page, `${casePath}/allocate`, 'allocate-390px');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `the allocation page scrolls sideways by ${overflow} px at 390 px wide`);
  await supervisorFiltersTheWorklist(page);
  await context.close();
}

// The supervisor's worklist, in the session that allocated (a second sign-in within the code's 30 seconds would
// replay it): a note on a case marks it "New" on the next visit; the list is sorted and filtered from its form,
// the filters saved, shown as a link and deleted; axe-checked, and reflowing at 320 px.
async function supervisorFiltersTheWorklist(page) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await visit(page, '/cases?list=open', 'worklist-visited');
  const first = page.locator('main table a[href^="/cases/"]').first();
  check(await first.count(), 'no open case on the worklist');
  const casePath = await first.getAttribute('href');
  // Times are kept to the second: the note comes after the visit.
  await page.waitForTimeout(1100);
  await visit(page, casePath, 'case-to-note');
  await recordEntry(page, 'Note', async (form) => {
    await form.getByLabel('Note', { exact: true }).fill('Checked the referral against the force\'s records');
  });
  await visit(page, '/cases?list=open', 'worklist-new');
  const status = await page.getByRole('status').innerText();
  check(/[1-9]\d* new since your last visit/.test(status), `the worklist does not count the new case: ${status}`);
  const row = page.locator('main table tr', { has: page.locator(`a[href="${casePath}"]`) });
  check((await row.locator('.tag', { hasText: 'New' }).count()) === 1, `case ${casePath} is not marked New`);

  // Sort and filter from the form, then save the filters under a name.
  await page.getByLabel('Sort by').selectOption('case');
  await page.getByLabel('Order').selectOption('desc');
  await page.getByLabel('Deadline').selectOption('on_track');
  await submit(page, page.getByRole('button', { name: 'Show' }));
  check(/sort=case&order=desc/.test(page.url()) && /clock=on_track/.test(page.url()), `the form went to ${page.url()}`);
  await inspect(page, 'worklist-filtered');
  await page.getByLabel('Name for these filters').fill('On track, newest first');
  await submit(page, page.getByRole('button', { name: 'Save filters' }));
  await inspect(page, 'worklist-saved');
  const saved = page.getByRole('link', { name: 'On track, newest first' });
  check((await saved.count()) === 1, 'the saved filter is not shown as a link');
  await page.setViewportSize({ width: 320, height: 800 });
  await visit(page, '/cases?list=open&clock=on_track&sort=case&order=desc', 'worklist-320px');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `the worklist scrolls sideways by ${overflow} px at 320 px wide`);
  await submit(page, page.getByRole('button', { name: 'Delete the saved filter On track, newest first' }));
  await inspect(page, 'worklist-filter-deleted');
  check(!(await page.getByRole('link', { name: 'On track, newest first' }).count()), 'the deleted filter is still shown');
}

// The safeguarding officer on the case the investigator opened: identifies a child living in BS1 4DJ (so the
// case finds the local authority), refers them to children's social care without seeking consent, records the
// authority's decision, a strategy discussion with a joint plan and an action, and offers the child a service
// from the directory; the safeguarding audit counts each step. Axe-checked, and reflowing at 320 px.
async function safeguardingOfficerSafeguardsAChild(browser) {
  const { context, page } = await newPerson(browser, 'safeguarding');
  await signIn(page, env('SEVERN_SAFEGUARDING'), env('SEVERN_SAFEGUARDING_TOTP'));
  const service = env('SEVERN_SUPPORT_SERVICE');

  // The audit's figures for the last 30 days, by their words.
  const figures = async (step) => {
    await visit(page, '/audits/safeguarding', step);
    check((await heading(page)) === 'Audit: safeguarding', `the audit page has the heading "${await heading(page)}"`);
    const rows = await page.locator('main table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector('td').innerText.trim(), Number(tr.querySelectorAll('td')[1].innerText)]),
    );
    return new Map(rows);
  };
  const before = await figures('audit-before');
  for (const figure of ['Children identified', 'Referred to children\'s social care', 'Joint plans agreed']) {
    check(before.has(figure), `the audit has no "${figure}" figure`);
  }

  // The case the investigator opened, from its subject.
  const [reference] = env('SEVERN_MERGE').split(' ');
  const subject = await subjectOf(page, reference);
  await visit(page, `/subjects/${subject}`, `subject-${subject}`);
  const caseLink = page.locator('main a[href^="/cases/"]').first();
  check(await caseLink.count(), `subject ${subject} links to no case`);
  const casePath = await caseLink.getAttribute('href');
  await visit(page, casePath, 'case-to-safeguard');
  check(
    await page.getByRole('heading', { name: 'Safeguarding', exact: true }).isVisible(),
    'the case page has no Safeguarding section',
  );
  check(
    await page.getByRole('heading', { name: 'Record safeguarding' }).isVisible(),
    'the safeguarding officer is offered no safeguarding forms',
  );

  await recordEntry(page, 'Child identified', async (form) => {
    await form.getByLabel('Name, or a description if the name is not known').fill('Poppy Underhay');
    await form.getByLabel('Age', { exact: true }).fill('9');
    await form.getByLabel('Where the child lives').fill('BS1 4DJ');
    await form.getByLabel('Connection to the suspect').fill('Lives with the suspect');
  });
  const children = () => page.locator('h2#safeguarding ~ table').first().innerText();
  const identified = await children();
  check(/Poppy Underhay/.test(identified) && /Bristol/.test(identified), `the child is not shown with Bristol:\n${identified}`);
  await inspect(page, 'child-identified');

  await recordEntry(page, "Referred to children's social care", async (form) => {
    await form.getByLabel('Child', { exact: true }).selectOption({ index: 0 });
    await form.getByLabel('What was shared').fill('The concerns from the referral and the planned arrest');
    await form.getByLabel('Consent to share').selectOption({ label: 'Consent not sought' });
    await form.getByLabel('Why without consent').fill('Seeking consent would alert the suspect and prejudice the investigation');
  });
  await recordEntry(page, "Children's social care decided", async (form) => {
    await form.getByLabel('Child', { exact: true }).selectOption({ index: 0 });
    await form.getByLabel("The authority's decision").selectOption({ label: 'Strategy discussion and s.47 enquiry' });
  });
  const referred = await children();
  check(/Sent .* to Bristol/.test(referred), `the referral is not shown as sent to Bristol:\n${referred}`);
  check(/Strategy discussion and s\.47 enquiry/.test(referred), `the decision is not shown:\n${referred}`);

  const inDays = (days) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  await recordEntry(page, 'Strategy discussion and joint plan', async (form) => {
    await form.getByLabel('Children the plan is for').fill('1');
    await form.getByLabel('Agencies present').fill("Bristol children's social care, police, health");
    await form.getByLabel('Decisions').fill('Section 47 enquiries; a joint visit after the arrest');
    await form.getByLabel('Review by').fill(inDays(28));
  });
  await recordEntry(page, 'Joint plan action', async (form) => {
    await form.getByLabel('Plan', { exact: true }).selectOption({ index: 0 });
    await form.getByLabel('What is to be done').fill("Joint visit to the child's home");
    await form.getByLabel('Agency that owns it').fill("Police and children's social care");
    await form.getByLabel('Due by').fill(inDays(5));
  });
  const plan = await page.locator('h4:has-text("Joint plan 1") ~ table').first().innerText();
  check(/Joint visit to the child's home/.test(plan), `the joint plan does not show its action:\n${plan}`);

  await recordEntry(page, 'Support offered', async (form) => {
    await form.getByLabel('Child', { exact: true }).selectOption({ index: 0 });
    await form.getByLabel('Service', { exact: true }).selectOption({ label: service });
    await form.getByLabel('What the child or family needs').fill('Support after online sexual abuse');
  });
  const support = await page.locator('h3:has-text("Support") + table').innerText();
  check(support.includes(service) && /Offered to the family/.test(support), `the support referral is not shown:\n${support}`);
  await inspect(page, 'case-safeguarded');

  // The audit counts the child, the referral and the plan.
  const after = await figures('audit-after');
  for (const figure of ['Children identified', 'Referred to children\'s social care', 'Referrals sent', 'Consent not sought, with a reason', 'Joint plans agreed']) {
    check(
      after.get(figure) === before.get(figure) + 1,
      `"${figure}" went from ${before.get(figure)} to ${after.get(figure)}, expected one more`,
    );
  }

  // On a narrow phone both pages reflow: nothing scrolls sideways.
  await page.setViewportSize({ width: 320, height: 800 });
  for (const [route, step] of [[casePath, 'case-320px'], ['/audits/safeguarding', 'audit-320px']]) {
    await visit(page, route, step);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(overflow <= 0, `${route} scrolls sideways by ${overflow} px at 320 px wide`);
  }
  await context.close();
}

// --- main -----------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const args = ['--disable-dev-shm-usage', '--disable-gpu'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  console.log(`chromium ${browser.version()} against ${BASE}`);
  try {
    for (const scenario of [
      investigatorWorksACase,
      supervisorSharesAndRestrictsACase,
      administratorManagesStaff,
      pccOfficeIsRefusedPersonalData,
      keyboardOnly,
      // Last: opening a case takes its subject off the queue the scenarios above count.
      investigatorRunsACaseToItsFirstEnforcement,
      supervisorAllocatesWithAnOverride,
      safeguardingOfficerSafeguardsAChild,
    ]) {
      console.log(`${scenario.name}`);
      try {
        await scenario(browser);
      } catch (error) {
        failures.push(`${scenario.name}: ${error instanceof CheckFailed ? error.message : error.stack}`);
        console.log('  FAILED');
      }
    }
  } finally {
    await browser.close();
  }
  for (const warning of warnings) console.log(`axe (minor or moderate, not blocking): ${warning}`);
  console.log(`${shotNumber} pages checked in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
  if (failures.length) {
    console.log(`\n${failures.length} failed:\n${failures.map((f) => `- ${f}`).join('\n')}`);
    process.exit(1);
  }
}

setTimeout(() => {
  console.log(`stopped: the browser tests took longer than ${OVERALL_LIMIT_MS / 1000} s`);
  process.exit(1);
}, OVERALL_LIMIT_MS).unref();

main().catch((error) => {
  console.log(error.stack);
  process.exit(1);
});
