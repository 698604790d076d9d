'use strict';
// Test-only relay in front of the jongodb stand-in: node relay.js <host> <port> <jongodb>
//
// jongodb does not apply concurrent writes to one document atomically (measured: 32 concurrent
// findAndModify calls on one document, each matching version 1 and incrementing it, gave two
// winners in 24 of 200 rounds). Real MongoDB applies each single-document write atomically, and
// the API's optimistic concurrency relies on that. So the relay lets one write command at a time
// through to jongodb (insert, update, delete, findAndModify), holding it until its reply comes back.
// Reads and everything else pass through concurrently and unchanged.
//
// Beside that it answers configureFailPoint for fail points of its own: upsertMissesConcurrentInsert, so that a
// test can produce on demand the interleaving serialized writes never show (see runRacedUpserts), and
// majorityUnreachable, a replica set's primary that cannot replicate (see FAIL_POINTS).
//
// The container image (image/docker-entrypoint.js) also has it answer, as mongod does, what jongodb
// lacks: SCRAM-SHA-256 authentication (--auth) and a single-member replica set (--replSet). Those
// answers follow mongod's documented ones (commands, fields, error codes); run from the command line,
// as the executable-mode launcher does, the relay emulates neither.
const net = require('net');
const os = require('os');
const { spawn } = require('child_process');
const { Binary, Long, ObjectId } = require('bson');
const wire = require('./wire');
const { MECHANISM, ScramConversation, AuthenticationFailed } = require('./scram');

const WRITES = new Set(['insert', 'update', 'delete', 'findandmodify']);
// What mongod answers before a connection authenticates; any other command gets error 13.
const OPEN_COMMANDS = new Set(['hello', 'ismaster', 'ping', 'buildinfo', 'saslstart', 'saslcontinue', 'logout']);

// A FIFO lock: take() resolves to a release function once every earlier holder has released.
let queue = Promise.resolve();
function take() {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const turn = queue.then(() => release);
  queue = queue.then(() => held);
  return turn;
}

// The unacknowledged form (moreToCome) has no reply to wait for.
const isAcknowledgedWrite = (message, name) =>
  WRITES.has(name) && wire.header(message).opCode === wire.OP_MSG && !(message.readUInt32LE(wire.HEADER) & wire.MORE_TO_COME);

const failure = (code, codeName, errmsg) => ({ ok: 0, errmsg, code, codeName });

// Fail points set by configureFailPoint, as mongod takes it ({ configureFailPoint, mode: 'alwaysOn' | 'off' |
// { times: n }, data }), for every connection of this server. mongod's own fail points need
// enableTestCommands; the stand-in knows these three:
//   upsertMissesConcurrentInsert (its own): in the next update command(s) on data.namespace ("<db>.<collection>";
//   any when absent), each upsert matches no stored document, as when another client's insert of the same key
//   commits between the upsert's match and its insert.
//   failCommand (mongod's, as the drivers' specification tests use it): the next command(s) named in
//   data.failCommands on data.namespace (any when absent) are not run; the reply is mongod's error for
//   data.errorCode (with data.errorLabels), or { ok: 1, writeConcernError: data.writeConcernError }; with
//   data.blockConnection and no errorCode, they are held data.blockTimeMS and then run. This gives the
//   answers the stand-in never produces itself: 50 MaxTimeMSExpired, 85/86 index conflicts, 13 Unauthorized, labels.
//   maxTimeAlwaysTimeOut (mongod's): every command that carries maxTimeMS fails with 50 MaxTimeMSExpired, as if
//   its time limit had run out; commands without one run. (data.namespace narrows it, as for failCommand.)
//   majorityUnreachable (its own): a replica set whose majority is down, as the primary sees it. A write (insert,
//   update, delete, findAndModify) that asks for more than its own acknowledgement (w: "majority", w > 1, or no w,
//   since MongoDB 5.0's default write concern is majority) is applied, and its reply waits for replication: with
//   writeConcern.wtimeout it comes after that many milliseconds with mongod's writeConcernError 64
//   (WriteConcernFailed, errInfo.wtimeout); without one it never comes. (data.namespace narrows it.)
const FAIL_POINTS = new Set(['upsertMissesConcurrentInsert', 'failCommand', 'maxTimeAlwaysTimeOut', 'majorityUnreachable']);
const CODE_NAMES = {
  6: 'HostUnreachable', 13: 'Unauthorized', 50: 'MaxTimeMSExpired', 85: 'IndexOptionsConflict',
  86: 'IndexKeySpecsConflict', 91: 'ShutdownInProgress', 189: 'PrimarySteppedDown', 262: 'ExceededTimeLimit',
};
const failPoints = new Map(); // name -> { remaining, data }
const failPointCounts = new Map(); // name -> times it took effect

function configureFailPoint({ configureFailPoint: name, mode, data = {} }) {
  if (!FAIL_POINTS.has(name)) return failure(2, 'BadValue', `Cannot find failpoint: ${name}`);
  const times = mode === 'alwaysOn' ? Infinity : mode === 'off' ? 0 : Number(mode?.times);
  if (!(times >= 0)) return failure(2, 'BadValue', "mode must be 'alwaysOn', 'off' or { times: <n> }");
  const count = failPointCounts.get(name) ?? 0;
  if (times === 0) failPoints.delete(name);
  else failPoints.set(name, { remaining: times, data });
  return { count, ok: 1 };
}

// True (and counted) when the fail point is set for this namespace.
function failPointApplies(name, namespace) {
  const point = failPoints.get(name);
  if (!point || (point.data.namespace !== undefined && point.data.namespace !== namespace)) return false;
  if (--point.remaining <= 0) failPoints.delete(name);
  failPointCounts.set(name, (failPointCounts.get(name) ?? 0) + 1);
  return true;
}

// mongod's reply to a command that failCommand fails, or null when the fail point does not apply to it.
function failCommandReply(message, name) {
  const point = failPoints.get('failCommand');
  if (!point || !(point.data.failCommands ?? []).some((failed) => failed.toLowerCase() === name)) return null;
  const { document } = wire.decode(message, { promoteBuffers: true });
  const collection = document[Object.keys(document)[0]];
  if (!failPointApplies('failCommand', `${document.$db}.${collection}`)) return null;
  const { errorCode, errorLabels, writeConcernError, blockConnection, blockTimeMS = 0 } = point.data;
  if (blockConnection && errorCode === undefined) return { delayMs: blockTimeMS }; // held, then run
  if (writeConcernError) return { ok: 1, n: 0, writeConcernError, ...(errorLabels ? { errorLabels } : {}) };
  return {
    ok: 0, code: errorCode, codeName: CODE_NAMES[errorCode] ?? '',
    errmsg: point.data.errmsg ?? "Failing command via 'failCommand' failpoint",
    ...(errorLabels ? { errorLabels } : {}),
  };
}

// What a write waits for under majorityUnreachable: { wtimeoutMs } (held, run, answered with writeConcernError 64),
// { never: true } (held for good), or null when the fail point does not apply.
function majorityWait(message, name) {
  if (!WRITES.has(name)) return null;
  const { document } = wire.decode(message, { promoteBuffers: true });
  const w = document.writeConcern?.w;
  if (w === 0 || w === 1) return null;
  const collection = document[Object.keys(document)[0]];
  if (!failPointApplies('majorityUnreachable', `${document.$db}.${collection}`)) return null;
  const wtimeoutMs = Number(document.writeConcern?.wtimeout ?? 0);
  return wtimeoutMs > 0 ? { wtimeoutMs, writeConcern: document.writeConcern } : { never: true };
}

const writeConcernTimedOut = (writeConcern) => (reply) => ({
  ...reply,
  writeConcernError: {
    code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out',
    errInfo: { wtimeout: true, writeConcern: { w: 'majority', ...writeConcern, provenance: 'clientSupplied' } },
  },
});

// mongod's reply to a command with maxTimeMS under maxTimeAlwaysTimeOut, or null.
function maxTimeReply(message) {
  const { document } = wire.decode(message, { promoteBuffers: true });
  if (document.maxTimeMS === undefined) return null;
  const collection = document[Object.keys(document)[0]];
  if (!failPointApplies('maxTimeAlwaysTimeOut', `${document.$db}.${collection}`)) return null;
  return { ok: 0, code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' };
}

// Runs an update command under upsertMissesConcurrentInsert: statement by statement, each upsert's match
// narrowed to an _id no stored document has (its own new one), so an upsert of a key already stored tries
// to insert it and the unique index refuses that with a duplicate-key error. The reply takes mongod's form
// for a batch with failed statements: the counts of those that succeeded plus writeErrors by index
// (jongodb would stop at the first failure and fail the whole command instead). ask(command) runs one
// command on jongodb and resolves to its reply.
async function runRacedUpserts(request, ask) {
  const { updates: inline, txnNumber, ...command } = request.document;
  const statements = inline ?? request.sequences.updates ?? [];
  const reply = { n: 0, nModified: 0, upserted: [], writeErrors: [] };
  for (const [index, statement] of statements.entries()) {
    const q = statement.upsert ? { ...statement.q, _id: statement.u?.$setOnInsert?._id ?? new ObjectId() } : statement.q;
    const answer = await ask({ ...command, updates: [{ ...statement, q }], ordered: true });
    if (answer.ok === 1) {
      reply.n += answer.n;
      reply.nModified += answer.nModified;
      reply.upserted.push(...(answer.upserted ?? []).map(({ _id }) => ({ index, _id })));
      reply.writeErrors.push(...(answer.writeErrors ?? []).map((error) => ({ ...error, index })));
    } else {
      reply.writeErrors.push({ index, code: answer.code, codeName: answer.codeName, errmsg: answer.errmsg });
    }
    if (command.ordered !== false && reply.writeErrors.length > 0) break;
  }
  if (reply.upserted.length === 0) delete reply.upserted;
  if (reply.writeErrors.length === 0) delete reply.writeErrors;
  return { ...reply, ok: 1 };
}

// mongod's positional $ update in findAndModify, which jongodb refuses ("positional and array filter updates are
// not supported"): $set of '<array>.$' writes the first element of <array> that the query's condition on it
// matched. Emulated for one shape, the one product code uses: a query with a comparison on the array field
// ({ <array>: { $lt | $lte | $gt | $gte | $eq: value } }) and a $set of 64-bit integers. The relay holds the write
// lock, so finding the document, picking the element and setting the array is as atomic as mongod's single update.
const COMPARE = {
  $lt: (a, b) => a < b, $lte: (a, b) => a <= b, $gt: (a, b) => a > b, $gte: (a, b) => a >= b, $eq: (a, b) => a === b,
};
const numberOf = (v) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v)
  : v instanceof Date ? v.getTime() : typeof v?.toNumber === 'function' ? v.toNumber() : Number(v?.value ?? NaN));

function positionalPath(update) {
  const key = update && !Array.isArray(update) && update.$set ? Object.keys(update.$set).find((k) => k.endsWith('.$')) : null;
  return key ? key.slice(0, -2) : null;
}

async function runPositional(request, path, ask) {
  const { findAndModify: collection, query = {}, update, new: returnNew = false, $db } = request.document;
  const condition = query[path];
  const operators = condition && typeof condition === 'object' ? Object.keys(condition) : [];
  if (operators.length === 0 || !operators.every((op) => COMPARE[op]) || Object.keys(update).some((op) => op !== '$set')) {
    return failure(2, 'BadValue', `stand-in: positional update emulated only for a comparison on '${path}' and $set`);
  }
  const found = await ask({ find: collection, filter: query, limit: 1, $db });
  const document = found.cursor?.firstBatch?.[0];
  if (!document) return { ok: 1, value: null, lastErrorObject: { n: 0, updatedExisting: false } };
  const index = (document[path] ?? []).findIndex((element) =>
    operators.every((op) => COMPARE[op](numberOf(element), numberOf(condition[op]))));
  // jongodb cannot set an array element by index either, so the whole array is set, its other elements as they were.
  const set = Object.fromEntries(Object.entries(update.$set).map(([key, value]) => key === `${path}.$`
    ? [path, document[path].map((element, i) => (i === index ? value : Long.fromNumber(numberOf(element))))]
    : [key, value]));
  return ask({ findAndModify: collection, query: { _id: document._id }, update: { $set: set }, new: returnNew, $db });
}

// What the server knows beyond jongodb: its users (when authentication is on) and its replica set.
class Emulation {
  // users: [{ user, db, credential }] or null for no authentication.
  // replicaSet: { name, config, onConfig(config), electionDelayMs } or null for a standalone server; as in
  // mongod, a member is SECONDARY for a moment (electionDelayMs) after initiation or a restart.
  constructor({ users = null, replicaSet = null, port }) {
    this.users = users;
    this.replicaSet = replicaSet;
    this.port = port;
    this.primarySince = replicaSet?.config ? Date.now() + this.replicaSet.electionDelayMs : null;
  }

  credentialOf(db, user) {
    return this.users?.find((u) => u.db === db && u.user === user)?.credential;
  }

  isWritablePrimary() {
    return Boolean(this.replicaSet.config) && Date.now() >= this.primarySince;
  }

  // The replica-set fields of a hello reply, as mongod gives them in each member state.
  replicaSetFields() {
    const { name, config } = this.replicaSet;
    if (!config) {
      return { isWritablePrimary: false, secondary: false, isreplicaset: true, info: 'Does not have a valid replica set config' };
    }
    const me = config.members[0].host;
    const primary = this.isWritablePrimary();
    return {
      setName: name,
      setVersion: config.version ?? 1,
      isWritablePrimary: primary,
      secondary: !primary,
      hosts: [me],
      me,
      ...(primary ? { primary: me, electionId: new ObjectId('7fffffff0000000000000001') } : {}),
    };
  }

  initiate(argument) {
    const { name } = this.replicaSet;
    if (this.replicaSet.config) return failure(23, 'AlreadyInitialized', 'already initialized');
    const config = argument && typeof argument === 'object' && argument._id !== undefined
      ? argument
      : { _id: name, members: [{ _id: 0, host: `${os.hostname()}:${this.port}` }] };
    if (config._id !== name) {
      return failure(93, 'InvalidReplicaSetConfig',
        `Attempting to initiate a replica set with name ${config._id}, but command line reports ${name}; rejecting`);
    }
    if (!Array.isArray(config.members) || config.members.length !== 1 || typeof config.members[0].host !== 'string') {
      return failure(93, 'InvalidReplicaSetConfig', 'the stand-in runs a replica set of exactly one member');
    }
    this.replicaSet.config = { _id: name, version: 1, members: [{ _id: 0, host: config.members[0].host }] };
    this.replicaSet.onConfig?.(this.replicaSet.config);
    this.primarySince = Date.now() + this.replicaSet.electionDelayMs;
    return { ok: 1 };
  }

  status() {
    const { name, config } = this.replicaSet;
    if (!config) return failure(94, 'NotYetInitialized', 'no replset config has been received');
    const primary = this.isWritablePrimary();
    const member = { _id: 0, name: config.members[0].host, health: 1, state: primary ? 1 : 2, stateStr: primary ? 'PRIMARY' : 'SECONDARY', self: true };
    if (primary) member.electionDate = new Date(this.primarySince);
    return { set: name, myState: member.state, members: [member], ok: 1 };
  }
}

// One client connection's view: whether it has authenticated, and its SASL conversation.
class Session {
  constructor(emulation) {
    this.emulation = emulation;
    this.authenticated = !emulation?.users;
    this.conversation = null;
  }

  // Returns { reply } to answer the request here, or { transform } (possibly null) to forward it
  // and pass jongodb's reply document through transform.
  handle(message, name) {
    const emulation = this.emulation;
    const failed = (name && failPoints.has('failCommand') ? failCommandReply(message, name) : null)
      ?? (name && failPoints.has('maxTimeAlwaysTimeOut') ? maxTimeReply(message) : null);
    if (failed?.delayMs !== undefined) return { transform: null, delayMs: failed.delayMs };
    const waited = !failed && name && failPoints.has('majorityUnreachable') ? majorityWait(message, name) : null;
    if (waited?.never) return { never: true };
    if (waited) return { transform: writeConcernTimedOut(waited.writeConcern), delayMs: waited.wtimeoutMs };
    if (failed) {
      const request = wire.decode(message, { promoteBuffers: true });
      return { reply: wire.reply(request, failed) };
    }
    if (!name || (!emulation && name !== 'configurefailpoint')) return { transform: null };
    const request = wire.decode(message, { promoteBuffers: true });
    const answer = (document) => ({ reply: wire.reply(request, document) });
    const command = request.document;

    if (!this.authenticated && !OPEN_COMMANDS.has(name)) {
      return answer(failure(13, 'Unauthorized', `Command ${Object.keys(command)[0]} requires authentication`));
    }
    if (emulation?.replicaSet && WRITES.has(name) && !emulation.isWritablePrimary()) {
      return answer(failure(10107, 'NotWritablePrimary', 'not primary'));
    }
    switch (name) {
      case 'configurefailpoint':
        return answer(configureFailPoint(command));
      case 'hello':
      case 'ismaster':
        return { transform: this.helloTransform(command) };
      case 'saslstart':
        return answer(this.saslStart(command, command.$db));
      case 'saslcontinue':
        return answer(this.saslContinue(command));
      case 'replsetinitiate':
        return answer(emulation.replicaSet ? emulation.initiate(command.replSetInitiate)
          : failure(76, 'NoReplicationEnabled', 'This node was not started with replication enabled.'));
      case 'replsetgetstatus':
        return answer(emulation.replicaSet ? emulation.status()
          : failure(76, 'NoReplicationEnabled', 'not running with --replSet'));
      default:
        return { transform: null };
    }
  }

  helloTransform(command) {
    const emulation = this.emulation;
    const extra = {};
    if (emulation.users && typeof command.saslSupportedMechs === 'string') {
      const [db, ...user] = command.saslSupportedMechs.split('.');
      if (emulation.credentialOf(db, user.join('.'))) extra.saslSupportedMechs = [MECHANISM];
    }
    if (emulation.users && command.speculativeAuthenticate) {
      const speculative = command.speculativeAuthenticate;
      const started = this.saslStart(speculative, speculative.db ?? command.$db ?? 'admin');
      if (started.ok === 1) {
        const { ok, ...reply } = started;
        extra.speculativeAuthenticate = reply;
      }
    }
    return (reply) => {
      const fields = emulation.replicaSet ? { ...emulation.replicaSetFields(), ...extra } : extra;
      if (fields.isWritablePrimary !== undefined && 'ismaster' in reply) {
        fields.ismaster = fields.isWritablePrimary;
        if (!('isWritablePrimary' in reply)) delete fields.isWritablePrimary;
      }
      delete reply.saslSupportedMechs;
      return { ...reply, ...fields };
    };
  }

  saslStart(command, db) {
    if (command.mechanism !== MECHANISM) {
      return failure(334, 'MechanismUnavailable', `Received authentication for mechanism ${command.mechanism} which is not enabled`);
    }
    this.conversation = new ScramConversation((user) => this.emulation.credentialOf(db, user));
    this.skipEmptyExchange = command.options?.skipEmptyExchange === true;
    try {
      const serverFirst = this.conversation.start(Buffer.from(command.payload ?? []).toString('utf8'));
      return { conversationId: 1, done: false, payload: new Binary(Buffer.from(serverFirst)), ok: 1 };
    } catch (error) {
      return this.authenticationFailed(error);
    }
  }

  saslContinue(command) {
    const conversation = this.conversation;
    if (!conversation || command.conversationId !== 1) {
      return failure(17, 'ProtocolError', 'No SASL session state found');
    }
    if (conversation.verified) {
      this.complete();
      return { conversationId: 1, done: true, payload: new Binary(Buffer.alloc(0)), ok: 1 };
    }
    try {
      const serverFinal = conversation.finish(Buffer.from(command.payload ?? []).toString('utf8'));
      conversation.verified = true;
      if (this.skipEmptyExchange) this.complete();
      return { conversationId: 1, done: this.skipEmptyExchange, payload: new Binary(Buffer.from(serverFinal)), ok: 1 };
    } catch (error) {
      return this.authenticationFailed(error);
    }
  }

  complete() {
    this.authenticated = true;
    this.conversation = null;
  }

  authenticationFailed(error) {
    if (!(error instanceof AuthenticationFailed)) throw error;
    this.conversation = null;
    console.error(`stand-in: authentication failed (${error.message})`);
    return failure(18, 'AuthenticationFailed', 'Authentication failed.');
  }
}

function relay(client, upstreamPort, emulation) {
  const upstream = net.connect(upstreamPort, '127.0.0.1');
  const session = new Session(emulation);
  const transforms = new Map(); // requestId -> transform of the reply to it
  const asked = new Map(); // requestId of the relay's own command -> { resolve, reject }
  let release = null;
  let closed = false;
  let pending = Promise.resolve();
  const close = () => {
    closed = true;
    client.destroy();
    upstream.destroy();
    if (release) { release(); release = null; }
    for (const { reject } of asked.values()) reject(new Error('connection closed'));
    asked.clear();
  };
  const ask = (document) => new Promise((resolve, reject) => {
    const { requestId, message } = wire.request(document);
    asked.set(requestId, { resolve, reject });
    upstream.write(message);
  });

  client.on('data', wire.framer((message) => {
    pending = pending.then(async () => {
      if (closed) return;
      const name = wire.commandName(message);
      const { reply, transform, delayMs, never } = session.handle(message, name);
      if (never) {
        // No reply, ever: this connection's later requests queue behind it, as a mongod thread waiting for replication.
        await new Promise((resolve) => client.once('close', resolve));
        return;
      }
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (reply) {
        client.write(reply);
        return;
      }
      if (transform) transforms.set(wire.header(message).requestId, transform);
      // A reply the relay makes itself (the emulations below) goes through the transform too.
      const answerHere = (request, document) => {
        transforms.delete(wire.header(message).requestId);
        client.write(wire.reply(request, transform ? transform(document) : document));
      };
      if (isAcknowledgedWrite(message, name)) {
        release = await take();
        if (closed) { release(); release = null; return; }
        if (name === 'findandmodify') {
          const request = wire.decode(message, { promoteValues: false });
          const path = positionalPath(request.document.update);
          if (path) {
            answerHere(request, await runPositional(request, path, ask));
            release(); release = null;
            return;
          }
        }
        if (name === 'update' && failPoints.size > 0) {
          const request = wire.decode(message, { promoteValues: false });
          if (failPointApplies('upsertMissesConcurrentInsert', `${request.document.$db}.${request.document.update}`)) {
            answerHere(request, await runRacedUpserts(request, ask));
            release(); release = null;
            return;
          }
        }
      }
      upstream.write(message);
    }).catch((error) => {
      console.error(`stand-in relay: ${error.stack}`);
      close();
    });
  }));
  upstream.on('data', wire.framer((message) => {
    const own = asked.get(wire.header(message).responseTo);
    if (own) {
      asked.delete(wire.header(message).responseTo);
      own.resolve(wire.decode(message).document);
      return;
    }
    const transform = transforms.get(wire.header(message).responseTo);
    if (transform) {
      transforms.delete(wire.header(message).responseTo);
      const response = wire.decode(message, { promoteValues: false });
      message = wire.reencode(response, transform(response.document));
      if (response.flags & wire.MORE_TO_COME) transforms.set(response.requestId, transform); // streamed hello
    }
    client.write(message);
    if (release) { release(); release = null; }
  }));
  for (const socket of [client, upstream]) {
    socket.on('error', close);
    socket.on('close', close);
  }
}

// Starts jongodb on a port of its own and the relay on host:port; prints JONGODB_URI=... once listening.
// parentDeathSignal: jongodb dies with this process (setpriv, outside a container).
function start({ host, port, server, parentDeathSignal = false, users = null, replicaSet = null }) {
  const jongodb = [server, '--host=127.0.0.1', '--port=0'];
  const [command, ...args] = parentDeathSignal ? ['setpriv', '--pdeathsig', 'KILL', '--', ...jongodb] : jongodb;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => { child.kill('SIGTERM'); setTimeout(() => process.exit(0), 2000).unref(); });
  }
  const emulation = users || replicaSet ? new Emulation({ users, replicaSet, port }) : null;

  let started = false;
  child.stdout.on('data', framerOfLines((line) => {
    const match = /^JONGODB_URI=mongodb:\/\/[^:]+:(\d+)\//.exec(line);
    if (!match || started) {
      process.stdout.write(line + '\n');
      return;
    }
    started = true;
    // Port 0 takes a free port; the line names the one bound, so a caller never probes for a free port itself.
    const server = net.createServer((socket) => relay(socket, Number(match[1]), emulation))
      .on('error', (error) => { console.error(`mongod stand-in relay: ${error.message}`); child.kill('SIGKILL'); process.exit(1); })
      .listen(port, host, () => process.stdout.write(`JONGODB_URI=mongodb://${host}:${server.address().port}/test\n`));
  }));
}

function framerOfLines(onLine) {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop();
    lines.forEach(onLine);
  };
}

module.exports = { start };

if (require.main === module) {
  const [host, port, server] = process.argv.slice(2);
  start({ host, port: Number(port), server, parentDeathSignal: true });
}
