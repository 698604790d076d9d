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
// The container image (image/docker-entrypoint.js) also has it answer, as mongod does, what jongodb
// lacks: SCRAM-SHA-256 authentication (--auth) and a single-member replica set (--replSet). Those
// answers follow mongod's documented ones (commands, fields, error codes); run from the command line,
// as the executable-mode launcher does, the relay emulates neither.
const net = require('net');
const os = require('os');
const { spawn } = require('child_process');
const { Binary, ObjectId } = require('bson');
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
    if (!emulation || !name) return { transform: null };
    const request = wire.decode(message, { promoteBuffers: true });
    const answer = (document) => ({ reply: wire.reply(request, document) });
    const command = request.document;

    if (!this.authenticated && !OPEN_COMMANDS.has(name)) {
      return answer(failure(13, 'Unauthorized', `Command ${Object.keys(command)[0]} requires authentication`));
    }
    if (emulation.replicaSet && WRITES.has(name) && !emulation.isWritablePrimary()) {
      return answer(failure(10107, 'NotWritablePrimary', 'not primary'));
    }
    switch (name) {
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
  let release = null;
  let closed = false;
  let pending = Promise.resolve();
  const close = () => {
    closed = true;
    client.destroy();
    upstream.destroy();
    if (release) { release(); release = null; }
  };

  client.on('data', wire.framer((message) => {
    pending = pending.then(async () => {
      if (closed) return;
      const name = wire.commandName(message);
      const { reply, transform } = session.handle(message, name);
      if (reply) {
        client.write(reply);
        return;
      }
      if (transform) transforms.set(wire.header(message).requestId, transform);
      if (isAcknowledgedWrite(message, name)) {
        release = await take();
        if (closed) { release(); release = null; return; }
      }
      upstream.write(message);
    }).catch((error) => {
      console.error(`stand-in relay: ${error.stack}`);
      close();
    });
  }));
  upstream.on('data', wire.framer((message) => {
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
