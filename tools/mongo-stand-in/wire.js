'use strict';
// The parts of the MongoDB wire protocol the stand-in relay reads and writes: OP_MSG for commands,
// and OP_QUERY / OP_REPLY, which drivers still use for the first hello of a connection.
const { BSON } = require('bson');

const HEADER = 16;
const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;
const AWAIT_CAPABLE = 8;

let nextRequestId = 0x40000000; // far from the ids jongodb hands out

// Splits a byte stream into messages (each starts with its int32 length).
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

const header = (message) => ({
  requestId: message.readInt32LE(4),
  responseTo: message.readInt32LE(8),
  opCode: message.readInt32LE(12),
});

// The command name of a request without decoding it: the first key of the OP_MSG body (section kind 0)
// or of the OP_QUERY document. Lower-cased; null for anything else.
function commandName(message) {
  const { opCode } = header(message);
  let typeAt;
  if (opCode === OP_MSG) {
    if (message[HEADER + 4] !== 0) return null; // body not first; rare, and never a command we act on
    typeAt = HEADER + 4 + 1 + 4;
  } else if (opCode === OP_QUERY) {
    const collectionEnd = message.indexOf(0, HEADER + 4);
    if (collectionEnd < 0) return null;
    typeAt = collectionEnd + 1 + 8 + 4;
  } else {
    return null;
  }
  const nameEnd = message.indexOf(0, typeAt + 1);
  return nameEnd > typeAt + 1 ? message.toString('utf8', typeAt + 1, nameEnd).toLowerCase() : null;
}

// The command document of a request or the reply document of a response, with what it takes to answer it
// or to re-encode it. bsonOptions go to BSON.deserialize (promoteValues: false keeps numeric types exact).
// For OP_MSG, sequences holds the document sequences (section kind 1) by identifier, e.g. the statements
// a driver sends beside an update command as "updates".
function decode(message, bsonOptions = {}) {
  const { requestId, responseTo, opCode } = header(message);
  if (opCode === OP_MSG) {
    const flags = message.readUInt32LE(HEADER);
    const end = message.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
    let document = null;
    const sequences = {};
    for (let offset = HEADER + 4; offset < end;) {
      const kind = message[offset];
      const length = message.readInt32LE(offset + 1);
      if (kind === 0) {
        document = BSON.deserialize(message.subarray(offset + 1, offset + 1 + length), bsonOptions);
      } else {
        const identifierEnd = message.indexOf(0, offset + 5);
        const documents = [];
        for (let at = identifierEnd + 1; at < offset + 1 + length; at += message.readInt32LE(at)) {
          documents.push(BSON.deserialize(message.subarray(at, at + message.readInt32LE(at)), bsonOptions));
        }
        sequences[message.toString('utf8', offset + 5, identifierEnd)] = documents;
      }
      offset += 1 + length;
    }
    if (!document) throw new Error('OP_MSG without a body section');
    return { requestId, responseTo, opCode, flags, document, sequences };
  }
  if (opCode === OP_QUERY) {
    const collectionEnd = message.indexOf(0, HEADER + 4);
    const start = collectionEnd + 1 + 8;
    const length = message.readInt32LE(start);
    return { requestId, responseTo, opCode, flags: 0, document: BSON.deserialize(message.subarray(start, start + length), bsonOptions) };
  }
  if (opCode === OP_REPLY) {
    const start = HEADER + 20;
    const length = message.readInt32LE(start);
    return { requestId, responseTo, opCode, flags: message.readInt32LE(HEADER), document: BSON.deserialize(message.subarray(start, start + length), bsonOptions) };
  }
  throw new Error(`unsupported opCode ${opCode}`);
}

function frame(requestId, responseTo, opCode, body) {
  const head = Buffer.alloc(HEADER);
  head.writeInt32LE(HEADER + body.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(opCode, 12);
  return Buffer.concat([head, body]);
}

// A reply to a request, in the form the request came in (OP_REPLY answers OP_QUERY).
function reply(request, document, requestId = nextRequestId++) {
  const bson = BSON.serialize(document);
  if (request.opCode === OP_QUERY) {
    const prefix = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
    prefix.writeInt32LE(AWAIT_CAPABLE, 0);
    prefix.writeInt32LE(1, 16);
    return frame(requestId, request.requestId, OP_REPLY, Buffer.concat([prefix, bson]));
  }
  return frame(requestId, request.requestId, OP_MSG, Buffer.concat([Buffer.alloc(4), Buffer.from([0]), bson]));
}

// A command of the relay's own, as an OP_MSG with a fresh request id.
function request(document) {
  const requestId = nextRequestId++;
  return { requestId, message: frame(requestId, 0, OP_MSG, Buffer.concat([Buffer.alloc(4), Buffer.from([0]), BSON.serialize(document)])) };
}

// A request re-encoded with a changed body, keeping its id and flags; its document sequences are folded into the body
// (an array field of the same name), which mongod takes alike (OP_MSG, kind 0 and kind 1 sections).
function reencodeRequest(request, document) {
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(request.flags & MORE_TO_COME, 0);
  return frame(request.requestId, 0, OP_MSG, Buffer.concat([flags, Buffer.from([0]), BSON.serialize({ ...document, ...request.sequences })]));
}

// A response re-encoded with a changed document, keeping its ids and, for OP_MSG, its moreToCome flag.
function reencode(response, document) {
  const bson = BSON.serialize(document);
  if (response.opCode === OP_REPLY) {
    const prefix = Buffer.alloc(20);
    prefix.writeInt32LE(response.flags, 0);
    prefix.writeInt32LE(1, 16);
    return frame(response.requestId, response.responseTo, OP_REPLY, Buffer.concat([prefix, bson]));
  }
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(response.flags & MORE_TO_COME, 0);
  return frame(response.requestId, response.responseTo, OP_MSG, Buffer.concat([flags, Buffer.from([0]), bson]));
}

module.exports = { OP_MSG, OP_QUERY, MORE_TO_COME, HEADER, framer, header, commandName, decode, reply, request, reencode, reencodeRequest };
