// End-to-end test of minibank with the real Apollo Client (npm), over HTTP
// (queries, mutations) and graphql-ws (subscriptions), the standard Apollo
// setup: SetContextLink + HttpLink for queries and mutations, GraphQLWsLink for
// subscriptions, chosen by `ApolloLink.split` on the operation type.
//
// The tests run in order against one server with a fresh database:
//   HTTP ...          register, open, deposit/withdraw, the error path, the cache
//   SUBSCRIPTION ...  what arrived on `events(after: "0")` and `accountUpdated(id)`
// and then, against a second server of their own (restarted in the last one):
//   APQ ...           automatic persisted queries through Apollo's PersistedQueryLink
// The subscriptions are started (without asserting anything) right before the
// money moves; only the SUBSCRIPTION tests look at what they received, so the
// HTTP tests pass or fail on their own.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  gql,
} from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { OperationTypeNode } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

// Node 20 has no global WebSocket. graphql-ws gets `ws` through
// `webSocketImpl` below, but @apollo/client 4's GraphQLWsLink reads the global
// `WebSocket.CLOSED` when graphql-ws reports any error that is neither an Error
// nor a close event (e.g. an `error` message with GraphQL errors), and that
// throws a ReferenceError on Node 20 (apollographql/apollo-client#11761, the
// workaround from #11063). Node 22+ has the global; this is a no-op there.
globalThis.WebSocket ??= WebSocket;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(HERE, process.env.MINIBANK_BIN ?? "../../target/debug/minibank");
const STARTUP_TIMEOUT_MS = 30_000;
const SUBSCRIPTION_TIMEOUT_MS = 10_000;
const GRACE_MS = 1_000;

// ---------------------------------------------------------------- operations

const REGISTER = gql`
  mutation Register($input: RegisterClientInput!) {
    registerClient(input: $input) {
      token
      expiresAt
      client { id username role version }
    }
  }
`;

const OPEN_ACCOUNT = gql`
  mutation OpenAccount {
    openAccount(input: {}) {
      account { id number currency balance status version }
      events { id type position version streamId }
      position
    }
  }
`;

const DEPOSIT = gql`
  mutation Deposit($input: MoneyInput!) {
    deposit(input: $input) {
      account { id balance version }
      events { id type position version streamId data }
      position
    }
  }
`;

const WITHDRAW = gql`
  mutation Withdraw($input: MoneyInput!) {
    withdraw(input: $input) {
      account { id balance version }
      events { id type position version streamId data }
      position
    }
  }
`;

const ACCOUNT = gql`
  query Account($id: ID!) {
    account(id: $id) { id number currency balance status version }
  }
`;

const EVENTS_QUERY = gql`
  query Events($after: Position) {
    events(after: $after, first: 50) {
      nodes { id position type streamId version data }
      totalCount
    }
  }
`;

const EVENTS_SUBSCRIPTION = gql`
  subscription Events($after: Position) {
    events(after: $after) { id position type streamId version data }
  }
`;

const ACCOUNT_UPDATED = gql`
  subscription AccountUpdated($id: ID!) {
    accountUpdated(id: $id) { id balance version }
  }
`;

// ------------------------------------------------------------------- server

/**
 * Starts the binary on a random port; resolves once it prints its address.
 * Given the `dir` and `jwtSecret` of a server stopped with `keepData`, it is
 * that server restarted: same database, tokens still valid.
 */
async function startServer({ dir: keptDir, jwtSecret = randomBytes(32).toString("hex") } = {}) {
  const dir = keptDir ?? (await mkdtemp(path.join(tmpdir(), "minibank-apollo-")));
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0"], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${path.join(dir, "e2e.db")}?mode=rwc`,
      JWT_SECRET: jwtSecret,
      RUST_LOG: "info",
      LOG_FORMAT: "text",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Never leave the server behind, even if the runner dies.
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);

  const log = [];
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise((_, reject) => child.once("error", reject));
  const addrPromise = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not print its address within ${STARTUP_TIMEOUT_MS} ms:\n${log.join("\n")}`)),
      STARTUP_TIMEOUT_MS,
    );
    // Keep draining both pipes for the whole run, or the server blocks on logging.
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on("line", (raw) => {
        const line = raw.replace(/\x1b\[[0-9;]*m/g, ""); // ANSI colours
        log.push(line);
        if (log.length > 500) log.shift();
        const m = /GraphiQL at http:\/\/(\S+?)\/graphql/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    }
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${code}, signal ${signal}) before printing its address:\n${log.join("\n")}`));
    });
    spawnError.catch((error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${BIN} (set MINIBANK_BIN): ${error.message}`));
    });
  });
  let addr;
  try {
    addr = await addrPromise;
  } catch (error) {
    process.off("exit", killOnExit);
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    addr,
    log,
    dir,
    jwtSecret,
    async stop({ keepData = false } = {}) {
      process.off("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const stopped = await Promise.race([exited, sleep(5_000).then(() => null)]);
        if (!stopped) {
          child.kill("SIGKILL");
          await exited;
        }
      }
      if (!keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------ subscriptions

/** Collects what one Apollo subscription delivers, without judging it. */
class Recorder {
  constructor(name) {
    this.name = name;
    this.items = [];
    this.errors = [];
    this.completed = false;
    this.listeners = new Set();
  }

  start(observable, pick) {
    this.subscription = observable.subscribe({
      // Apollo 4 delivers GraphQL and link errors as `next({ error })`.
      next: (result) => {
        if (result.error) this.errors.push(result.error);
        else if (result.data) this.items.push(pick(result.data));
        this.notify();
      },
      error: (error) => {
        this.errors.push(error);
        this.notify();
      },
      complete: () => {
        this.completed = true;
        this.notify();
      },
    });
  }

  notify() {
    for (const listener of this.listeners) listener();
  }

  get ended() {
    return this.errors.length > 0 || this.completed;
  }

  /** Resolves when `count` items arrived, the stream ended, or after `ms`. */
  async waitFor(count, ms) {
    if (this.items.length >= count || this.ended) return;
    await new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      const check = () => {
        if (this.items.length >= count || this.ended) done();
      };
      const timer = setTimeout(done, ms);
      this.listeners.add(check);
    });
  }

  /** Fails with a readable message if the subscription errored or ended. */
  assertAlive() {
    const describe = (e) =>
      CombinedGraphQLErrors.is(e)
        ? `GraphQL errors: ${JSON.stringify(e.errors)}`
        : `${e?.constructor?.name ?? typeof e}: ${e?.message ?? JSON.stringify(e)}`;
    assert.deepEqual(
      this.errors.map(describe),
      [],
      `${this.name}: the subscription failed (items so far: ${JSON.stringify(this.items)}; ws: ${wsDiagnostics.join("; ") || "-"})`,
    );
    assert.equal(this.completed, false, `${this.name}: the server completed the subscription`);
  }

  stop() {
    this.subscription?.unsubscribe();
  }
}

// -------------------------------------------------------------------- state

let server;
let client;
let wsClient;
let token = "";
const wsDiagnostics = [];
const me = {}; // filled as the tests go: clientId, accountId, events (from the query)
const eventsSub = new Recorder('events(after: "0")');
const accountSub = new Recorder("accountUpdated(id)");

const strip = ({ __typename, ...rest }) => rest;

before(async () => {
  server = await startServer();

  const authLink = new SetContextLink((prevContext) => ({
    headers: {
      ...prevContext.headers,
      authorization: token ? `Bearer ${token}` : "",
    },
  }));
  const httpLink = new HttpLink({ uri: `http://${server.addr}/graphql` });

  wsClient = createClient({
    url: `ws://${server.addr}/graphql`,
    connectionParams: () => ({ authToken: token }),
    webSocketImpl: WebSocket,
    // A reconnect would re-run `events(after: "0")` from the start and hide the
    // real failure behind duplicates: fail at once instead.
    retryAttempts: 0,
    on: {
      closed: (event) => wsDiagnostics.push(`closed ${event?.code} ${event?.reason ?? ""}`.trim()),
      error: (error) => wsDiagnostics.push(`error ${error?.message ?? error}`),
    },
  });
  const wsLink = new GraphQLWsLink(wsClient);

  client = new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.split(
      ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
      wsLink,
      ApolloLink.from([authLink, httpLink]),
    ),
  });
});

after(async () => {
  eventsSub.stop();
  accountSub.stop();
  await wsClient?.dispose();
  client?.stop();
  if (process.env.MINIBANK_E2E_LOG && server) {
    process.stderr.write(`--- server log ---\n${server.log.join("\n")}\n`);
  }
  await server?.stop();
  await apq.server?.stop();
});

// ------------------------------------------------------------- HTTP tests

test("HTTP: registerClient answers a token for a new customer", async () => {
  const suffix = randomBytes(4).toString("hex");
  const { data } = await client.mutate({
    mutation: REGISTER,
    variables: {
      input: {
        username: `alice_${suffix}`,
        email: `alice_${suffix}@example.com`,
        password: "correct horse battery",
        firstName: "Alice",
        lastName: "Liddell",
      },
    },
  });
  const payload = data.registerClient;
  assert.equal(typeof payload.token, "string");
  assert.ok(payload.token.length > 20, "a JWT");
  assert.equal(payload.client.username, `alice_${suffix}`);
  assert.equal(payload.client.role, "CUSTOMER");
  assert.equal(payload.client.version, 1);
  token = payload.token;
  me.clientId = payload.client.id;
});

test("HTTP: openAccount(input: {}) opens an EUR account at balance 0.00, version 1", async () => {
  assert.ok(token, "needs the token from registerClient");
  const { data } = await client.mutate({ mutation: OPEN_ACCOUNT });
  const { account, events } = data.openAccount;
  assert.equal(account.currency, "EUR");
  assert.equal(account.balance, "0.00");
  assert.equal(account.status, "OPEN");
  assert.equal(account.version, 1);
  assert.deepEqual(events.map((e) => e.type), ["AccountOpened"]);
  assert.equal(events[0].streamId, account.id);
  me.accountId = account.id;

  // Read it once over the network: this stores the root field
  // `account({"id": ...})` as a reference to `Account:<id>` in the cache.
  const read = await client.query({ query: ACCOUNT, variables: { id: account.id }, fetchPolicy: "network-only" });
  assert.equal(read.data.account.id, account.id);
  assert.equal(read.data.account.balance, "0.00");
});

test("HTTP: deposit 10.00, deposit 2.50, withdraw 1.25 (subscriptions started first)", async () => {
  assert.ok(me.accountId, "needs the account from openAccount");
  await startSubscriptions();

  const steps = [
    [DEPOSIT, "deposit", "10.00", "10.00", 2, "MoneyDeposited"],
    [DEPOSIT, "deposit", "2.50", "12.50", 3, "MoneyDeposited"],
    [WITHDRAW, "withdraw", "1.25", "11.25", 4, "MoneyWithdrawn"],
  ];
  let lastPosition = 0n;
  for (const [mutation, field, amount, balance, version, type] of steps) {
    const { data } = await client.mutate({
      mutation,
      variables: { input: { accountId: me.accountId, amount } },
    });
    const payload = data[field];
    assert.equal(payload.account.id, me.accountId);
    assert.equal(payload.account.balance, balance, `${field} ${amount}: balance`);
    assert.equal(payload.account.version, version, `${field} ${amount}: version`);
    assert.equal(payload.events.length, 1, `${field} ${amount}: one event`);
    const [event] = payload.events;
    assert.equal(event.type, type);
    assert.equal(event.version, version);
    assert.equal(event.streamId, me.accountId);
    assert.equal(event.data.amount, amount, `${type}: data.amount as an exact string`);
    assert.ok(BigInt(event.position) > lastPosition, "positions increase");
    assert.equal(String(payload.position), String(event.position));
    lastPosition = BigInt(event.position);
  }
});

test("HTTP: withdraw 1000 rejects with CombinedGraphQLErrors, code INSUFFICIENT_FUNDS", async () => {
  assert.ok(me.accountId, "needs the account from openAccount");
  await assert.rejects(
    client.mutate({ mutation: WITHDRAW, variables: { input: { accountId: me.accountId, amount: "1000" } } }),
    (error) => {
      assert.ok(CombinedGraphQLErrors.is(error), `a CombinedGraphQLErrors, got ${error?.constructor?.name}: ${error?.message}`);
      assert.ok(error.errors.length >= 1);
      assert.equal(error.errors[0].extensions?.code, "INSUFFICIENT_FUNDS", JSON.stringify(error.errors));
      assert.match(error.errors[0].message, /insufficient funds/i);
      return true;
    },
  );
});

test("HTTP: account(id) from the cache has balance 11.25, and the server agrees", async () => {
  assert.ok(me.accountId, "needs the account from openAccount");
  // The mutations' answers updated the normalized `Account:<id>`; the earlier
  // query's root field points at it, so the cache alone can answer.
  const cached = await client.query({ query: ACCOUNT, variables: { id: me.accountId }, fetchPolicy: "cache-only" });
  assert.ok(cached.data?.account, "the cache answers account(id)");
  assert.equal(cached.data.account.balance, "11.25");
  assert.equal(cached.data.account.version, 4);
  const fragment = client.cache.readFragment({
    id: client.cache.identify({ __typename: "Account", id: me.accountId }),
    fragment: gql`fragment Balance on Account { balance version }`,
  });
  assert.deepEqual(strip(fragment), { balance: "11.25", version: 4 });

  // The refused withdrawal recorded nothing.
  const fresh = await client.query({ query: ACCOUNT, variables: { id: me.accountId }, fetchPolicy: "network-only" });
  assert.equal(fresh.data.account.balance, "11.25");
  assert.equal(fresh.data.account.version, 4);
});

test('HTTP: the events query after "0" shows exactly the five events', async () => {
  assert.ok(me.accountId, "needs the account from openAccount");
  const { data } = await client.query({ query: EVENTS_QUERY, variables: { after: "0" }, fetchPolicy: "network-only" });
  const events = data.events.nodes.map(strip);
  assertTheFiveEvents(events);
  assert.equal(data.events.totalCount, 5);
  me.events = events;
});

// ----------------------------------------------------- subscription tests

test('SUBSCRIPTION events(after: "0"): exactly the five events, in order, no duplicates', async () => {
  await eventsSub.waitFor(5, SUBSCRIPTION_TIMEOUT_MS);
  eventsSub.assertAlive();
  assertTheFiveEvents(eventsSub.items);
  if (me.events) {
    assert.deepEqual(eventsSub.items, me.events, "the same events as the events query");
  }
});

test("SUBSCRIPTION accountUpdated(id): balances 10.00, 12.50, 11.25 at versions 2, 3, 4", async () => {
  await accountSub.waitFor(3, SUBSCRIPTION_TIMEOUT_MS);
  accountSub.assertAlive();
  assert.deepEqual(accountSub.items, [
    { id: me.accountId, balance: "10.00", version: 2 },
    { id: me.accountId, balance: "12.50", version: 3 },
    { id: me.accountId, balance: "11.25", version: 4 },
  ]);
});

test(`SUBSCRIPTION: nothing extra arrives within ${GRACE_MS} ms (the refused withdrawal included)`, async () => {
  await sleep(GRACE_MS);
  eventsSub.assertAlive();
  accountSub.assertAlive();
  assert.equal(eventsSub.items.length, 5, `events: ${JSON.stringify(eventsSub.items.slice(5))}`);
  assert.equal(accountSub.items.length, 3, `accountUpdated: ${JSON.stringify(accountSub.items.slice(3))}`);
});

// -------------------------------------------------------------- APQ tests
//
// Apollo's PersistedQueryLink sends a query's SHA-256 alone first and resends
// with the query when the server answers PERSISTED_QUERY_NOT_FOUND. The fetch
// below records what went over the wire, so the tests see that the hashes were
// used (not just that the operations succeeded, which they would also do if
// the link had given up on persisted queries).

const apq = { server: null, token: "", accountId: "", sent: [] };

async function recordingFetch(uri, options) {
  const url = new URL(uri);
  const method = options.method ?? "GET";
  const request =
    method === "GET"
      ? {
          operationName: url.searchParams.get("operationName"),
          query: url.searchParams.get("query"),
          extensions: JSON.parse(url.searchParams.get("extensions") ?? "null"),
        }
      : JSON.parse(options.body);
  const response = await fetch(uri, options);
  const body = await response.clone().json().catch(() => null);
  apq.sent.push({
    method,
    operation: request.operationName,
    withQuery: Boolean(request.query),
    hashed: Boolean(request.extensions?.persistedQuery?.sha256Hash),
    status: response.status,
    code: body?.errors?.[0]?.extensions?.code ?? null,
  });
  return response;
}

/** A client whose HTTP link sends persisted queries to `apq.server`. */
function apqClient({ useGETForHashedQueries = false } = {}) {
  const authLink = new SetContextLink((prevContext) => ({
    headers: { ...prevContext.headers, authorization: apq.token ? `Bearer ${apq.token}` : "" },
  }));
  const persistedQueries = new PersistedQueryLink({
    sha256: (query) => createHash("sha256").update(query).digest("hex"),
    useGETForHashedQueries,
  });
  const httpLink = new HttpLink({ uri: () => `http://${apq.server.addr}/graphql`, fetch: recordingFetch });
  return new ApolloClient({ cache: new InMemoryCache(), link: ApolloLink.from([authLink, persistedQueries, httpLink]) });
}

/** What went over the wire for `operation` since the last call. */
function sentFor(operation) {
  const sent = apq.sent
    .filter((r) => r.operation === operation)
    .map(({ method, withQuery, hashed, status, code }) => ({ method, withQuery, hashed, status, code }));
  apq.sent = apq.sent.filter((r) => r.operation !== operation);
  return sent;
}

// PERSISTED_QUERY_NOT_FOUND comes with HTTP 200, as Apollo Server sends it.
const NOT_FOUND = { withQuery: false, hashed: true, status: 200, code: "PERSISTED_QUERY_NOT_FOUND" };
const RESENT = { method: "POST", withQuery: true, hashed: true, status: 200, code: null };
const BY_HASH = { withQuery: false, hashed: true, status: 200, code: null };

test("APQ: a mutation and a query go by hash once the server has kept them", async () => {
  apq.server = await startServer();
  const client = apqClient();
  const suffix = randomBytes(4).toString("hex");
  const { data } = await client.mutate({
    mutation: REGISTER,
    variables: {
      input: {
        username: `bob_${suffix}`,
        email: `bob_${suffix}@example.com`,
        password: "correct horse battery",
        firstName: "Bob",
        lastName: "Builder",
      },
    },
  });
  apq.token = data.registerClient.token;
  assert.deepEqual(sentFor("Register"), [{ method: "POST", ...NOT_FOUND }, RESENT]);

  const opened = await client.mutate({ mutation: OPEN_ACCOUNT });
  apq.accountId = opened.data.openAccount.account.id;

  for (const [amount, balance] of [["10.00", "10.00"], ["2.50", "12.50"]]) {
    const deposited = await client.mutate({ mutation: DEPOSIT, variables: { input: { accountId: apq.accountId, amount } } });
    assert.equal(deposited.data.deposit.account.balance, balance);
  }
  assert.deepEqual(sentFor("Deposit"), [{ method: "POST", ...NOT_FOUND }, RESENT, { method: "POST", ...BY_HASH }]);

  for (let i = 0; i < 2; i++) {
    const read = await client.query({ query: ACCOUNT, variables: { id: apq.accountId }, fetchPolicy: "network-only" });
    assert.equal(read.data.account.balance, "12.50");
    assert.equal(read.data.account.version, 3);
  }
  assert.deepEqual(sentFor("Account"), [{ method: "POST", ...NOT_FOUND }, RESENT, { method: "POST", ...BY_HASH }]);
});

test("APQ: useGETForHashedQueries sends the hash in a GET query string", async () => {
  assert.ok(apq.accountId, "needs the account from the first APQ test");
  const client = apqClient({ useGETForHashedQueries: true });
  for (let i = 0; i < 2; i++) {
    const { data } = await client.query({ query: EVENTS_QUERY, variables: { after: "0" }, fetchPolicy: "network-only" });
    assert.deepEqual(data.events.nodes.map((e) => e.type), ["ClientRegistered", "AccountOpened", "MoneyDeposited", "MoneyDeposited"]);
  }
  assert.deepEqual(sentFor("Events"), [{ method: "GET", ...NOT_FOUND }, RESENT, { method: "GET", ...BY_HASH }]);
});

test("APQ: after a restart (an empty cache) the link resends each query once, then goes by hash again", async () => {
  assert.ok(apq.accountId, "needs the account from the first APQ test");
  const client = apqClient();
  // Known before the restart: the link's own hash cache is warm.
  await client.query({ query: ACCOUNT, variables: { id: apq.accountId }, fetchPolicy: "network-only" });
  assert.deepEqual(sentFor("Account"), [{ method: "POST", ...BY_HASH }]);

  const { dir, jwtSecret } = apq.server;
  await apq.server.stop({ keepData: true });
  apq.server = await startServer({ dir, jwtSecret });

  for (let i = 0; i < 2; i++) {
    const deposited = await client.mutate({ mutation: DEPOSIT, variables: { input: { accountId: apq.accountId, amount: "1.00" } } });
    assert.equal(deposited.data.deposit.account.balance, i === 0 ? "13.50" : "14.50");
    const read = await client.query({ query: ACCOUNT, variables: { id: apq.accountId }, fetchPolicy: "network-only" });
    assert.equal(read.data.account.balance, i === 0 ? "13.50" : "14.50");
  }
  assert.deepEqual(sentFor("Deposit"), [{ method: "POST", ...NOT_FOUND }, RESENT, { method: "POST", ...BY_HASH }]);
  assert.deepEqual(sentFor("Account"), [{ method: "POST", ...NOT_FOUND }, RESENT, { method: "POST", ...BY_HASH }]);
});

// ------------------------------------------------------------------ helpers

/**
 * Subscribes to `accountUpdated(id)`, then to `events(after: "0")` (one
 * socket, subscribe messages sent in this order after connection_ack), and
 * waits until the events catch-up delivered the two events that already
 * exist, which shows that the server is serving this connection's
 * subscriptions. `accountUpdated` sends nothing until the account changes, so
 * a short pause then gives its stream time to be polled and attached. Asserts
 * nothing: that is left to the SUBSCRIPTION tests.
 */
async function startSubscriptions() {
  accountSub.start(
    client.subscribe({ query: ACCOUNT_UPDATED, variables: { id: me.accountId } }),
    (data) => strip(data.accountUpdated),
  );
  eventsSub.start(
    client.subscribe({ query: EVENTS_SUBSCRIPTION, variables: { after: "0" } }),
    (data) => strip(data.events),
  );
  await eventsSub.waitFor(2, 5_000);
  if (!eventsSub.ended && !accountSub.ended) await sleep(250);
}

function assertTheFiveEvents(events) {
  assert.deepEqual(
    events.map((e) => e.type),
    ["ClientRegistered", "AccountOpened", "MoneyDeposited", "MoneyDeposited", "MoneyWithdrawn"],
  );
  const positions = events.map((e) => BigInt(e.position));
  for (let i = 1; i < positions.length; i++) {
    assert.ok(positions[i] > positions[i - 1], `strictly increasing positions: ${positions.join(", ")}`);
  }
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, "no duplicate event ids");
  for (const e of events) assert.equal(typeof e.position, "string", "Position is a string");

  assert.equal(events[0].streamId, me.clientId);
  assert.equal(events[0].version, 1);
  for (const [i, version] of [[1, 1], [2, 2], [3, 3], [4, 4]]) {
    assert.equal(events[i].streamId, me.accountId, `${events[i].type} is on the account stream`);
    assert.equal(events[i].version, version);
  }
  assert.deepEqual(
    events.slice(2).map((e) => e.data.amount),
    ["10.00", "2.50", "1.25"],
    "amounts as exact strings",
  );
  for (const e of events) {
    assert.equal(JSON.stringify(e.data).includes("passwordHash"), false, `${e.type}: no passwordHash in data`);
  }
}
