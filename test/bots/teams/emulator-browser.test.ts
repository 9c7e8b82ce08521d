/// <reference lib="dom" />
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeAction } from '../../../bots/core';
import { VERB } from '../../../bots/teams/cards/verbs';
import { openPage } from '../../console/browser';
import { ADMIN, executeAction, message, personalChat } from './activities';
import { startTeamsHarness, type TeamsHarness } from './harness';

/**
 * Issue 19 point 4: in Bot Framework Emulator mode (no TEAMS_APP_ID) /api/messages trusts "this
 * machine". A page the developer opens on another origin must not reach it, whatever it sends, and
 * neither may a DNS-rebinding name: the key the forged click confirms stays active.
 */
let h: TeamsHarness;
let browser: Browser;
let evil: Server;
let evilUrl: string;

beforeAll(async () => {
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>some page</title><p>nothing to see</p>');
  });
  await new Promise<void>((done) => evil.listen(0, '127.0.0.1', done));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
  [h, browser] = await Promise.all([startTeamsHarness(), launchBrowser()]);
});

/**
 * The console tests' Chromium (test/console/browser.ts), but with web security on, as in a developer's
 * own browser: @sparticuz/chromium's defaults turn CORS off, which would make the page stronger than any
 * real one (it could read the answers) and hide what a real page can and cannot send.
 */
async function launchBrowser(): Promise<Browser> {
  const args = chromium.args.filter((arg) => arg !== '--disable-web-security');
  return puppeteer.launch({ executablePath: await chromium.executablePath(), args, headless: true });
}

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await new Promise((done) => evil?.close(done));
});

/** The forged click: the registered admin confirms revoking `keyId`, answered to the loopback stand-in. */
function forgedRevoke(keyId: string) {
  const action = encodeAction({ v: 1, op: 'revoke', keyId, origin: 'confirm', iat: Math.floor(Date.now() / 1000) });
  return executeAction({ serviceUrl: h.connector.url, from: ADMIN, verb: VERB.confirm, data: { verb: VERB.confirm, action } });
}

async function target(name: string): Promise<string> {
  return (await h.stack.json('/v1/keys', { key: h.stack.adminKey, body: { name } })).body.id as string;
}

const statusOf = async (id: string) => (await h.stack.json(`/v1/keys/${id}`, { key: h.stack.adminKey })).body.status as string;

it('a page on another origin posting text/plain (XHR), a no-cors fetch and a text/plain form revokes nothing', async () => {
  const ids = [await target('browser target 1'), await target('browser target 2'), await target('browser target 3')];
  const page = await openPage(browser);
  // What the server answered each of the page's requests, as the browser's network layer saw it (CORS hides it from the page).
  const answers: number[] = [];
  page.on('response', (response) => {
    if (response.url().endsWith('/api/messages')) answers.push(response.status());
  });
  try {
    await page.goto(evilUrl);
    const sent = await page.evaluate(
      async (endpoint: string, bodies: string[]) => {
        const outcomes: string[] = [];
        // A CORS "simple" request: text/plain, no preflight; the browser sends it and hides the answer.
        outcomes.push(
          await new Promise<string>((done) => {
            const xhr = new XMLHttpRequest();
            xhr.open('POST', endpoint);
            xhr.setRequestHeader('content-type', 'text/plain');
            xhr.onloadend = () => done(`xhr ${xhr.status}`);
            xhr.send(bodies[0]);
          }),
        );
        // no-cors: the browser drops the JSON content type it may not send, and sends the rest.
        const opaque = await fetch(endpoint, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'application/json' }, body: bodies[1] });
        outcomes.push(`no-cors ${opaque.type}`);
        return outcomes;
      },
      `${h.stack.url}/api/messages`,
      ids.slice(0, 2).map((id) => JSON.stringify(forgedRevoke(id))),
    );
    expect(sent).toEqual(['xhr 0', 'no-cors opaque']);
    // The classic: an HTML form with enctype text/plain, its one field's name and value spelling JSON
    // (`{…,"pad":"` + `=` + `"}`), submitted as a top-level navigation.
    const navigated = page.waitForNavigation();
    await page.evaluate(
      (endpoint: string, json: string) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = endpoint;
        form.enctype = 'text/plain';
        const field = document.createElement('input');
        field.name = `${json.slice(0, -1)},"pad":"`;
        field.value = '"}';
        form.append(field);
        document.body.append(form);
        form.submit();
      },
      `${h.stack.url}/api/messages`,
      JSON.stringify(forgedRevoke(ids[2]!)),
    );
    expect((await navigated)?.status()).toBe(403);
  } finally {
    await page.close();
  }
  // Every answer the browser got was the refusal (the XHR and the fetch were answered before the page saw them end).
  expect(answers.length).toBeGreaterThan(0);
  expect(new Set(answers)).toEqual(new Set([403]));
  await h.stack.idle();
  for (const id of ids) expect(await statusOf(id)).toBe('active');
  expect(h.connector.calls).toEqual([]);
});

/** A raw request to /api/messages with exactly these headers (fetch would set Host itself). */
function rawPost(headers: Record<string, string>, body: string): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(h.stack.url);
  return new Promise((done, fail) => {
    const req = request({ host: hostname, port, method: 'POST', path: '/api/messages', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.once('error', fail);
    req.end(body);
  });
}

it('a DNS-rebinding Host, an Origin or Sec-Fetch-Site, or a body not sent as JSON is refused 4xx in the documented shape, nothing processed', async () => {
  const id = await target('rebinding target');
  const body = JSON.stringify(forgedRevoke(id));
  const port = new URL(h.stack.url).port;
  const refused = [
    await rawPost({ host: `rebind.evil.example:${port}`, 'content-type': 'application/json' }, body),
    await rawPost({ host: 'rebind.evil.example', 'content-type': 'application/json' }, body),
    await rawPost({ host: `127.0.0.1.evil.example:${port}`, 'content-type': 'application/json' }, body),
    await rawPost({ host: `127.0.0.1:${port}`, 'content-type': 'application/json', origin: 'http://127.0.0.1:1' }, body),
    await rawPost({ host: `127.0.0.1:${port}`, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' }, body),
    await rawPost({ host: `127.0.0.1:${port}`, 'content-type': 'text/plain' }, body),
    await rawPost({ host: `127.0.0.1:${port}` }, body),
  ];
  for (const answer of refused) {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(Object.keys(answer.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  }
  expect(refused.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 400, 400]);
  await h.stack.idle();
  expect(await statusOf(id)).toBe('active');
  expect(h.connector.calls).toEqual([]);

  // The Bot Framework Emulator's own shape, by every loopback name, still acts (the guard lets it through).
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `127.0.0.2:${port}`]) {
    const whoami = message({ serviceUrl: h.connector.url, from: ADMIN, conversation: personalChat(ADMIN), text: 'whoami' });
    const answer = await rawPost({ host, 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(whoami));
    expect(answer.status).toBe(200);
  }
  await h.connector.waitFor(() => h.connector.in(personalChat(ADMIN).id).length >= 3);
  expect((await rawPost({ host: `127.0.0.1:${port}`, 'content-type': 'application/json' }, body)).status).toBe(200);
  expect(await statusOf(id)).toBe('revoked');
});
