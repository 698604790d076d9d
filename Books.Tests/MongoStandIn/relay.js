'use strict';
// Test-only relay in front of the jongodb stand-in: node relay.js <host> <port> <jongodb>
//
// jongodb does not apply concurrent writes to one document atomically (measured: 32 concurrent
// findAndModify calls on one document, each matching version 1 and incrementing it, gave two
// winners in 24 of 200 rounds). Real MongoDB applies each single-document write atomically, and
// the API's optimistic concurrency relies on that. So the relay lets one write command at a time
// through to jongodb (insert, update, delete, findAndModify), holding it until its reply comes back.
// Reads and everything else pass through concurrently and unchanged.
const net = require('net');
const { spawn } = require('child_process');

const [host, port, server] = process.argv.slice(2);
const HEADER = 16;
const OP_MSG = 2013;
const MORE_TO_COME = 2;
const WRITES = new Set(['insert', 'update', 'delete', 'findandmodify']);

// A FIFO lock: take() resolves to a release function once every earlier holder has released.
let queue = Promise.resolve();
function take() {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const turn = queue.then(() => release);
  queue = queue.then(() => held);
  return turn;
}

// Splits a byte stream into wire-protocol messages (each starts with its int32 length).
function framer(onMessage) {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
      const length = buffered.readInt32LE(0);
      onMessage(buffered.subarray(0, length));
      buffered = buffered.subarray(length);
    }
  };
}

// The command name of an OP_MSG request: the first key of its body section (kind 0).
function isAcknowledgedWrite(message) {
  if (message.length < HEADER + 11 || message.readInt32LE(12) !== OP_MSG) return false;
  if (message.readUInt32LE(HEADER) & MORE_TO_COME) return false; // unacknowledged: no reply to wait for
  if (message[HEADER + 4] !== 0) return false;
  const nameStart = HEADER + 4 + 1 + 4 + 1; // flags, section kind, document length, element type
  const nameEnd = message.indexOf(0, nameStart);
  return nameEnd > nameStart && WRITES.has(message.toString('utf8', nameStart, nameEnd).toLowerCase());
}

function relay(client, upstreamPort) {
  const upstream = net.connect(upstreamPort, '127.0.0.1');
  let release = null;
  let closed = false;
  let pending = Promise.resolve();
  const close = () => {
    closed = true;
    client.destroy();
    upstream.destroy();
    if (release) { release(); release = null; }
  };

  client.on('data', framer((message) => {
    pending = pending.then(async () => {
      if (closed) return;
      if (isAcknowledgedWrite(message)) {
        release = await take();
        if (closed) { release(); release = null; return; }
      }
      upstream.write(message);
    });
  }));
  upstream.on('data', framer((message) => {
    client.write(message);
    if (release) { release(); release = null; }
  }));
  for (const socket of [client, upstream]) {
    socket.on('error', close);
    socket.on('close', close);
  }
}

// jongodb on a port of its own; the relay takes the port mongod was asked for.
const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', server, '--host=127.0.0.1', '--port=0'], { stdio: ['ignore', 'pipe', 'inherit'] });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => { child.kill('SIGTERM'); setTimeout(() => process.exit(0), 2000).unref(); });
}

let started = false;
child.stdout.on('data', framerOfLines((line) => {
  const match = /^JONGODB_URI=mongodb:\/\/[^:]+:(\d+)\//.exec(line);
  if (!match || started) {
    process.stdout.write(line + '\n');
    return;
  }
  started = true;
  net.createServer((socket) => relay(socket, Number(match[1])))
    .on('error', (error) => { console.error(`mongod stand-in relay: ${error.message}`); child.kill('SIGKILL'); process.exit(1); })
    .listen(Number(port), host, () => process.stdout.write(`JONGODB_URI=mongodb://${host}:${port}/test\n`));
}));

function framerOfLines(onLine) {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop();
    lines.forEach(onLine);
  };
}
