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
const { Binary, Double, Int32, Long, ObjectId } = require('bson');
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
// { times: n }, data }), for every connection of this server. mongod's own fail points need enableTestCommands; the
// stand-in knows these four. Each answer is written from the source named beside it (mongodb/mongo, read 2026-12-07):
//   failCommand (mongod's; jstests/core/failcommand_failpoint.js, and the drivers' description in mongodb/specifications
//   source/transactions/tests/legacy-test-format.md, "Server Fail Point"): the next command(s) named in
//   data.failCommands on data.namespace (any when absent) are held data.blockTimeMS first when data.blockConnection;
//   then, with data.errorCode, not run, and answered with that code (and data.errorLabels); with
//   data.writeConcernError instead, run, and answered with their own reply plus that writeConcernError as given
//   ("Test with success and writeConcernError": the insert is applied; "Test with natural failure and
//   writeConcernError": a duplicate key still fails as it would, with the writeConcernError beside it).
//   maxTimeAlwaysTimeOut (mongod's; src/mongo/db/operation_context.cpp, hasDeadlineExpired): every command with a
//   non-zero maxTimeMS fails at once with 50 MaxTimeMSExpired, "operation exceeded time limit"; commands without
//   one run. (data.namespace narrows it, as for failCommand; mongod's has no such filter.)
//   majorityUnreachable (the stand-in's own): a replica set whose majority is down, as its primary answers. A write
//   (insert, update, delete, findAndModify) asking for more than its own acknowledgement (w: "majority", w > 1, or no
//   w: the default write concern is majority since MongoDB 5.0) is applied, then waits for replication, as
//   src/mongo/db/write_concern.cpp (waitForWriteConcern) and jstests/replsets/await_replication_timeout.js have it:
//   the wait ends at wtimeout (counted from the write) with writeConcernError 64 and errInfo.wtimeout, or at the
//   command's maxTimeMS (counted from its arrival, so it wins a tie) with writeConcernError 50 MaxTimeMSExpired;
//   with neither, never. The error's form is src/mongo/db/commands.cpp, CommandHelpers::appendCommandWCStatus
//   (code, codeName, errmsg, errInfo: { wtimeout: true only for wtimeout, writeConcern }). (data.namespace narrows it.)
//   upsertMissesConcurrentInsert (the stand-in's own, no server source: an interleaving, not an answer): in the next
//   update command(s) on data.namespace, each upsert matches no stored document, as when another client's insert
//   of the same key commits between the upsert's match and its insert (see runRacedUpserts).
//   indexDropped (the stand-in's own; jongodb has no dropIndexes): listIndexes on data.namespace answers without the
//   index named data.name, as mongod's would after dropIndexes of it (the manual's listIndexes and dropIndexes), until
//   a createIndexes on that namespace names it again, which ends the fail point. Gap: jongodb still enforces it
//   meanwhile, where mongod would not.
const FAIL_POINTS = new Set(['upsertMissesConcurrentInsert', 'failCommand', 'maxTimeAlwaysTimeOut', 'majorityUnreachable', 'indexDropped']);
// The names mongod gives the codes the tests inject (src/mongo/base/error_codes.yml).
const CODE_NAMES = {
  6: 'HostUnreachable', 13: 'Unauthorized', 24: 'LockTimeout', 43: 'CursorNotFound', 50: 'MaxTimeMSExpired',
  64: 'WriteConcernTimeout', 85: 'IndexOptionsConflict', 86: 'IndexKeySpecsConflict', 89: 'NetworkTimeout',
  91: 'ShutdownInProgress', 100: 'UnsatisfiableWriteConcern', 112: 'WriteConflict', 133: 'FailedToSatisfyReadPreference',
  134: 'ReadConcernMajorityNotAvailableYet', 175: 'QueryPlanKilled', 189: 'PrimarySteppedDown',
  202: 'NetworkInterfaceExceededTimeLimit', 262: 'ExceededTimeLimit', 402: 'ResourceExhausted', 433: 'AdmissionQueueOverflow',
  462: 'IngressRequestRateLimitExceeded', 10107: 'NotWritablePrimary', 11600: 'InterruptedAtShutdown', 11601: 'Interrupted',
  11602: 'InterruptedDueToReplStateChange', 13435: 'NotPrimaryNoSecondaryOk',
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

const namespaceOf = (document) => `${document.$db}.${document[Object.keys(document)[0]]}`;

// What failCommand does to a command: null when it does not apply; else { delayMs, reply } (held, then not run and
// answered with reply) or { delayMs, transform } (held, then run, its reply passed through transform).
function failCommandPlan(message, name) {
  const point = failPoints.get('failCommand');
  if (!point || !(point.data.failCommands ?? []).some((failed) => failed.toLowerCase() === name)) return null;
  const { document } = wire.decode(message, { promoteBuffers: true });
  if (!failPointApplies('failCommand', namespaceOf(document))) return null;
  const { errorCode, errorLabels, writeConcernError, blockConnection, blockTimeMS = 0 } = point.data;
  const delayMs = blockConnection ? blockTimeMS : 0;
  const labels = errorLabels ? { errorLabels } : {};
  if (errorCode !== undefined) {
    return {
      delayMs,
      reply: { ok: 0, code: errorCode, codeName: CODE_NAMES[errorCode] ?? '', errmsg: point.data.errmsg ?? "Failing command via 'failCommand' failpoint", ...labels },
    };
  }
  return { delayMs, transform: writeConcernError ? (reply) => ({ ...reply, writeConcernError, ...labels }) : null };
}

// What a write waits for under majorityUnreachable: null when the fail point does not apply; else
// { holdReplyUntil(appliedAt) -> time or Infinity, transform }, the transform adding the writeConcernError of whichever
// limit ran out first (see FAIL_POINTS).
function majorityWait(message, name, arrivedAt) {
  if (!WRITES.has(name)) return null;
  const { document } = wire.decode(message, { promoteBuffers: true });
  const w = document.writeConcern?.w;
  if (w === 0 || w === 1) return null;
  if (!failPointApplies('majorityUnreachable', namespaceOf(document))) return null;
  const wtimeoutMs = Number(document.writeConcern?.wtimeout ?? 0);
  const maxTimeMs = Number(document.maxTimeMS ?? 0);
  const writeConcern = { w: 'majority', ...document.writeConcern, provenance: document.writeConcern ? 'clientSupplied' : 'implicitDefault' };
  const ends = (appliedAt) => ({
    wtimeout: wtimeoutMs > 0 ? appliedAt + wtimeoutMs : Infinity,
    maxTime: maxTimeMs > 0 ? arrivedAt + maxTimeMs : Infinity,
  });
  return {
    holdReplyUntil: (appliedAt) => Math.min(...Object.values(ends(appliedAt))),
    transform: (appliedAt) => (reply) => {
      const { wtimeout, maxTime } = ends(appliedAt);
      const writeConcernError = maxTime <= wtimeout
        ? { code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit', errInfo: { writeConcern } }
        : { code: 64, codeName: 'WriteConcernTimeout', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true, writeConcern } };
      return { ...reply, writeConcernError };
    },
  };
}

// mongod's reply to a command with maxTimeMS under maxTimeAlwaysTimeOut, or null.
function maxTimeReply(message) {
  const { document } = wire.decode(message, { promoteBuffers: true });
  if (!document.maxTimeMS) return null; // 0 is no limit
  if (!failPointApplies('maxTimeAlwaysTimeOut', namespaceOf(document))) return null;
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

// mongod compares numbers by value whatever their BSON type: int32 1, int64 1 and double 1.0 are equal (the manual's
// "Comparison/Sort Order": numeric types undergo conversion before comparison; src/mongo/bson/bsontypes.cpp,
// canonicalizeBSONType, gives every numeric type one canonical type). jongodb compares equality by type (measured:
// { v: NumberLong(1) } matches an int64 1 only; $lt and the other ranges already compare by value). So the relay widens
// each equality on a number in a filter to every type that number can be stored as: { v: 1 } becomes
// { v: { $in: [1, NumberLong(1), 1.0] } }, and $ne, $in and $nin alike. Filters of find, count, distinct,
// findAndModify, update and delete statements, and aggregate's $match stages.
const isNumber = (value) => ['Int32', 'Long', 'Double'].includes(value?._bsontype);
// A document of the query language (not a BSON value such as a date, a regex or an ObjectId).
const isPlainDocument = (value) => value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
function sameNumber(value) {
  const n = value._bsontype === 'Long' ? value.toNumber() : Number(value.valueOf());
  if (!Number.isInteger(n)) return [new Double(n)];
  return [...(n >= -(2 ** 31) && n < 2 ** 31 ? [new Int32(n)] : []), Long.fromNumber(n), new Double(n)];
}

// The conditions on one field, widened; several when two operators would widen to the same one (ANDed by the caller).
function widenCondition(value) {
  if (isNumber(value)) return [{ $in: sameNumber(value) }];
  const operators = isPlainDocument(value) ? Object.keys(value) : [];
  if (operators.length === 0 || !operators.every((k) => k.startsWith('$'))) return [value];
  const conditions = [{}];
  const put = (op, operand) => {
    const target = conditions.find((condition) => !(op in condition)) ?? (conditions.push({}), conditions.at(-1));
    target[op] = operand;
  };
  for (const [op, operand] of Object.entries(value)) {
    if (op === '$eq' && isNumber(operand)) put('$in', sameNumber(operand));
    else if (op === '$ne' && isNumber(operand)) put('$nin', sameNumber(operand));
    else if ((op === '$in' || op === '$nin') && Array.isArray(operand)) put(op, operand.flatMap((o) => (isNumber(o) ? sameNumber(o) : [o])));
    else put(op, operand);
  }
  return conditions;
}

function widenFilter(filter) {
  if (!isPlainDocument(filter)) return filter;
  const widened = {};
  const and = [];
  for (const [key, value] of Object.entries(filter)) {
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      widened[key] = value.map(widenFilter);
    } else if (key.startsWith('$')) {
      widened[key] = value;
    } else {
      const [first, ...rest] = widenCondition(value);
      widened[key] = first;
      and.push(...rest.map((condition) => ({ [key]: condition })));
    }
  }
  if (and.length > 0) widened.$and = [...(widened.$and ?? []), ...and];
  return widened;
}

const mentionsNumber = (value) => isNumber(value)
  || ((isPlainDocument(value) || Array.isArray(value)) && Object.values(value).some(mentionsNumber));

// The request with its filters widened, or the message as it came when none holds a number.
function widenNumbers(message, name) {
  if (!['find', 'count', 'distinct', 'findandmodify', 'update', 'delete', 'aggregate'].includes(name)) return message;
  const request = wire.decode(message, { promoteValues: false, bsonRegExp: true });
  const command = { ...request.document };
  const statements = (field) => command[field] ?? request.sequences[field];
  const hasNumber = mentionsNumber(command) || Object.values(request.sequences).some(mentionsNumber);
  if (!hasNumber || wire.header(message).opCode !== wire.OP_MSG) return message;
  switch (name) {
    case 'find': command.filter = widenFilter(command.filter); break;
    case 'count': case 'distinct': case 'findandmodify': command.query = widenFilter(command.query); break;
    case 'update': command.updates = statements('updates').map((s) => ({ ...s, q: widenFilter(s.q) })); delete request.sequences.updates; break;
    case 'delete': command.deletes = statements('deletes').map((s) => ({ ...s, q: widenFilter(s.q) })); delete request.sequences.deletes; break;
    case 'aggregate': command.pipeline = (command.pipeline ?? []).map((stage) => (stage.$match ? { $match: widenFilter(stage.$match) } : stage)); break;
    default: return message;
  }
  return wire.reencodeRequest(request, command);
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
  handle(message, name, arrivedAt) {
    const emulation = this.emulation;
    if (!name) return {};
    if (emulation) {
      const refused = this.refusal(message, name);
      if (refused) return { reply: refused };
    }
    const failed = failPoints.has('failCommand') ? failCommandPlan(message, name) : null;
    const timedOut = !failed?.reply && failPoints.has('maxTimeAlwaysTimeOut') ? maxTimeReply(message) : null;
    if (failed?.reply || timedOut) {
      return { reply: wire.reply(wire.decode(message, { promoteBuffers: true }), failed?.reply ?? timedOut), delayMs: failed?.delayMs };
    }
    const majority = failPoints.has('majorityUnreachable') ? majorityWait(message, name, arrivedAt) : null;
    if (failed || majority) return { transform: failed?.transform, delayMs: failed?.delayMs, majority };
    if (name === 'createindexes' || name === 'listindexes') {
      const own = this.indexAnswer(message, name);
      if (own) return own;
    }
    if (!emulation && name !== 'configurefailpoint') return {};
    const request = wire.decode(message, { promoteBuffers: true });
    const answer = (document) => ({ reply: wire.reply(request, document) });
    const command = request.document;
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

  // What the relay does to createIndexes and listIndexes: mongod's refusal of a commitQuorum on a standalone server
  // (BadValue, "Standalones can't specify commitQuorum": src/mongo/db/commands/create_indexes_cmd.cpp,
  // parseAndGetCommitQuorum), and the indexDropped fail point; null when it passes them through.
  indexAnswer(message, name) {
    const request = wire.decode(message, { promoteBuffers: true });
    const command = request.document;
    if (name === 'createindexes' && command.commitQuorum !== undefined && !this.emulation?.replicaSet) {
      return { reply: wire.reply(request, failure(2, 'BadValue', "Standalones can't specify commitQuorum")) };
    }
    const dropped = failPoints.get('indexDropped');
    if (!dropped || dropped.data.namespace !== namespaceOf(command)) return null;
    if (name === 'createindexes') {
      if ((command.indexes ?? []).some((index) => index.name === dropped.data.name)) failPoints.delete('indexDropped');
      return null;
    }
    failPointCounts.set('indexDropped', (failPointCounts.get('indexDropped') ?? 0) + 1);
    return {
      transform: (reply) => reply.cursor
        ? { ...reply, cursor: { ...reply.cursor, firstBatch: reply.cursor.firstBatch.filter((index) => index.name !== dropped.data.name) } }
        : reply,
    };
  }

  // mongod's refusals before a command runs: no authentication yet (13), or a write on a member that is not primary
  // (10107); null when the command may run.
  refusal(message, name) {
    const emulation = this.emulation;
    const unauthenticated = !this.authenticated && !OPEN_COMMANDS.has(name);
    const notPrimary = emulation.replicaSet && WRITES.has(name) && !emulation.isWritablePrimary();
    if (!unauthenticated && !notPrimary) return null;
    const request = wire.decode(message, { promoteBuffers: true });
    return wire.reply(request, unauthenticated
      ? failure(13, 'Unauthorized', `Command ${Object.keys(request.document)[0]} requires authentication`)
      : failure(10107, 'NotWritablePrimary', 'not primary'));
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
  const plans = new Map(); // requestId -> { transform, majority }: what happens to the reply to it
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
  // Sends a reply document through its request's plan: transformed, and held as long as majorityUnreachable says
  // (for good, when neither wtimeout nor maxTimeMS bounds the wait). encode(document) makes the message.
  const deliver = (plan, document, encode) => {
    const appliedAt = Date.now();
    const transforms = [plan?.transform, plan?.majority?.transform(appliedAt)].filter(Boolean);
    const message = encode(transforms.reduce((reply, transform) => transform(reply), document));
    const until = plan?.majority ? plan.majority.holdReplyUntil(appliedAt) : appliedAt;
    if (until === Infinity) return;
    if (until > appliedAt) setTimeout(() => { if (!closed) client.write(message); }, until - appliedAt);
    else client.write(message);
  };

  client.on('data', wire.framer((message) => {
    const arrivedAt = Date.now();
    pending = pending.then(async () => {
      if (closed) return;
      const name = wire.commandName(message);
      const { reply, transform, delayMs, majority } = session.handle(message, name, arrivedAt);
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (reply) {
        client.write(reply);
        return;
      }
      message = widenNumbers(message, name);
      const requestId = wire.header(message).requestId;
      const plan = transform || majority ? { transform, majority } : null;
      if (plan) plans.set(requestId, plan);
      // A reply the relay makes itself (the emulations below) follows the same plan.
      const answerHere = (request, document) => {
        plans.delete(requestId);
        deliver(plan, document, (answer) => wire.reply(request, answer));
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
    const responseTo = wire.header(message).responseTo;
    const own = asked.get(responseTo);
    if (own) {
      asked.delete(responseTo);
      own.resolve(wire.decode(message).document);
      return;
    }
    if (release) { release(); release = null; }
    const plan = plans.get(responseTo);
    if (!plan) {
      client.write(message);
      return;
    }
    plans.delete(responseTo);
    const response = wire.decode(message, { promoteValues: false });
    if (response.flags & wire.MORE_TO_COME) plans.set(response.requestId, plan); // streamed hello
    deliver(plan, response.document, (document) => wire.reencode(response, document));
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
