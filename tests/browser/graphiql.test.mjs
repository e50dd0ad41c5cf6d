// GraphiQL as minibank serves it, in Debian's Chromium driven by
// puppeteer-core, with every request outside 127.0.0.1 blocked twice over:
// the browser resolves no other host, and any request for one is aborted and
// recorded (the test fails if there was any). GraphiQL must load from the
// server alone, run a query with a token from its Headers tab, keep those
// headers in a new tab, and show a live subscription event.
//
// MINIBANK_BIN: the server binary (default ../../target/debug/minibank);
// CHROMIUM_BIN: the browser (default /usr/bin/chromium).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

import puppeteer from "puppeteer-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(HERE, process.env.MINIBANK_BIN ?? "../../target/debug/minibank");
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const TIMEOUT_MS = 15_000;

let server; // { child, dir, url }
let browser;
let page;
const outside = []; // requests for anything but 127.0.0.1
const problems = []; // console errors and uncaught exceptions in the page
const websockets = [];
let token;
let accountId;

async function startServer() {
  const dir = await mkdtemp(path.join(tmpdir(), "minibank-browser-"));
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0"], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${path.join(dir, "browser.db")}?mode=rwc`,
      JWT_SECRET: randomBytes(32).toString("hex"),
      RUST_LOG: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.on("exit", () => child.kill("SIGKILL"));
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not print its address")), TIMEOUT_MS);
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
    // Keep draining stdout, or the server blocks on logging.
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      const found = /GraphiQL at http:\/\/(\S+?)\/graphql/.exec(line.replace(/\x1b\[[0-9;]*m/g, ""));
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
  });
  return { child, dir, url: `http://${addr}` };
}

async function graphql(query, variables, bearer) {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body));
  return body.data;
}

/** The text of the one CodeMirror editor `selector` names. */
function editorValue(selector) {
  return page.evaluate((selector) => {
    const editors = [...document.querySelectorAll(selector)];
    return editors.length === 1 ? editors[0].CodeMirror.getValue() : null;
  }, selector);
}

function setEditor(selector, value) {
  return page.evaluate(
    (selector, value) => {
      const editors = [...document.querySelectorAll(selector)];
      if (editors.length !== 1) throw new Error(`${editors.length} editors match ${selector}`);
      editors[0].CodeMirror.setValue(value);
    },
    selector,
    value,
  );
}

const QUERY_EDITOR = ".graphiql-query-editor .CodeMirror";
// Variables and Headers share a section; the one not shown has `hidden`.
const TOOL_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";
const RESPONSE = ".graphiql-response .CodeMirror";

/** Puts `text` in the query editor and waits until GraphiQL has parsed it:
 * it chooses between HTTP and the websocket by the parsed operation's type. */
async function setQuery(text) {
  await setEditor(QUERY_EDITOR, text);
  await page.waitForFunction(
    (selector, type) => document.querySelector(selector).CodeMirror.documentAST?.definitions?.[0]?.operation === type,
    { timeout: TIMEOUT_MS },
    QUERY_EDITOR,
    text.split(" ")[0],
  );
}

async function showHeaders() {
  const [button] = await page.$$("xpath/.//button[normalize-space(.)='Headers']");
  assert.ok(button, "the Headers tab");
  await button.click();
  await page.waitForFunction(
    () => document.querySelector(".graphiql-editor-tools button.active")?.textContent.trim() === "Headers",
    { timeout: TIMEOUT_MS },
  );
}

async function run() {
  await page.click(".graphiql-execute-button");
}

/** Waits until the response pane holds `text`; returns what it holds. */
async function responseContaining(text, timeout = TIMEOUT_MS) {
  await page.waitForFunction(
    (selector, text) => {
      const editor = document.querySelector(selector);
      return editor?.CodeMirror.getValue().includes(text);
    },
    { timeout },
    RESPONSE,
    text,
  );
  return editorValue(RESPONSE);
}

before(async () => {
  server = await startServer();
  const registered = await graphql(
    `mutation($input: RegisterClientInput!) { registerClient(input: $input) { token } }`,
    { input: { username: "browser", email: "browser@example.com", password: "correct horse battery", firstName: "Bro", lastName: "Wser" } },
  );
  token = registered.registerClient.token;
  const opened = await graphql(`mutation { openAccount(input: {}) { account { id } } }`, {}, token);
  accountId = opened.openAccount.account.id;

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      // No host but 127.0.0.1 resolves: nothing outside can load, websockets included.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "--no-sandbox", // CI runs as root
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
    ],
  });
  page = await browser.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol === "data:" || url.hostname === "127.0.0.1") {
      request.continue();
    } else {
      outside.push(request.url());
      request.abort("blockedbyclient");
    }
  });
  const cdp = await page.createCDPSession();
  await cdp.send("Network.enable");
  cdp.on("Network.webSocketCreated", ({ url }) => websockets.push(url));
});

after(async () => {
  await browser?.close();
  if (server) {
    server.child.kill("SIGTERM");
    await new Promise((resolve) => server.child.once("exit", resolve));
    await rm(server.dir, { recursive: true, force: true });
  }
});

test("GraphiQL loads from the server alone", async () => {
  const response = await page.goto(`${server.url}/graphql`, { waitUntil: "networkidle0", timeout: TIMEOUT_MS });
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"], /default-src 'none'/);
  await page.waitForSelector(QUERY_EDITOR, { timeout: TIMEOUT_MS });
  // The schema arrived by introspection: the documentation explorer knows the root types.
  await page.waitForFunction(() => !document.querySelector(".graphiql-spinner"), { timeout: TIMEOUT_MS });
  const html = await page.content();
  assert.doesNotMatch(html, /unpkg|jsdelivr|cdnjs|googleapis/);
  const assets = await page.evaluate(() => [...document.scripts].map((s) => s.src).filter(Boolean));
  assert.equal(assets.length, 4, assets.join(", "));
  for (const asset of assets) {
    const fetched = await fetch(asset);
    assert.equal(fetched.status, 200, asset);
    assert.equal(fetched.headers.get("cache-control"), "public, max-age=31536000, immutable", asset);
  }
  assert.deepEqual(outside, []);
  assert.deepEqual(problems, []);
});

test("a query runs with the token from the Headers tab, and a new tab keeps the headers", async () => {
  await showHeaders();
  const headers = JSON.stringify({ Authorization: `Bearer ${token}` });
  await setEditor(TOOL_EDITOR, headers);
  await setQuery("query Me { me { username } }");
  await run();
  const answer = await responseContaining('"username": "browser"');
  assert.doesNotMatch(answer, /errors/);

  await page.click(".graphiql-tab-add");
  await page.waitForFunction(() => document.querySelectorAll(".graphiql-tab").length === 2, { timeout: TIMEOUT_MS });
  await showHeaders();
  assert.equal(await editorValue(TOOL_EDITOR), headers);
  assert.deepEqual(problems, []);
});

test("a subscription shows a live event", async () => {
  await setQuery(`subscription Watch { accountUpdated(id: "${accountId}") { balance version } }`);
  await run();
  // Nothing tells when the server has started the subscription: deposit
  // (elsewhere, over HTTP) until one shows up in the response pane.
  const deadline = Date.now() + TIMEOUT_MS;
  let shown = null;
  let amount = 0;
  while (Date.now() < deadline && shown === null) {
    amount += 1;
    await graphql(
      `mutation($input: MoneyInput!) { deposit(input: $input) { account { balance } } }`,
      { input: { accountId, amount: `${amount}.00` } },
      token,
    );
    try {
      shown = await responseContaining('"balance"', 1_000);
    } catch {
      // Not subscribed yet when that deposit committed: deposit again.
    }
  }
  assert.ok(shown, `a live event in the response pane; it shows ${await editorValue(RESPONSE)}; problems: ${problems}; websockets: ${websockets}`);
  assert.match(shown, /"balance": "\d+\.\d{2}"/);
  assert.ok(
    websockets.some((url) => url === `${server.url.replace("http", "ws")}/graphql`),
    `a websocket to the server: ${websockets.join(", ")}`,
  );
  assert.deepEqual(outside, []);
  assert.deepEqual(problems, []);
});
