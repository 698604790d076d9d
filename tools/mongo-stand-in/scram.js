'use strict';
// SCRAM-SHA-256 (RFC 5802, RFC 7677) as mongod runs it: the server side of saslStart / saslContinue,
// and the stored credential mongod keeps for a user (salt, iteration count, StoredKey, ServerKey).
const crypto = require('crypto');

const MECHANISM = 'SCRAM-SHA-256';
const ITERATIONS = 15000; // mongod's default scramSHA256IterationCount

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
const sha256 = (data) => crypto.createHash('sha256').update(data).digest();

// SASLprep (RFC 4013) for the passwords this stand-in meets: non-ASCII spaces map to a space, soft
// hyphens and zero-width characters are dropped, then NFKC. (Drivers prepare the password the same way.)
const saslprep = (password) => password
  .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ')
  .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '')
  .normalize('NFKC');

function createCredential(password, salt = crypto.randomBytes(28), iterations = ITERATIONS) {
  const salted = crypto.pbkdf2Sync(saslprep(password), salt, iterations, 32, 'sha256');
  return {
    iterations,
    salt: salt.toString('base64'),
    storedKey: sha256(hmac(salted, 'Client Key')).toString('base64'),
    serverKey: hmac(salted, 'Server Key').toString('base64'),
  };
}

class AuthenticationFailed extends Error {}

const attributes = (message) => Object.fromEntries(message.split(',').map((part) => [part[0], part.slice(2)]));
const unescapeName = (name) => name.replace(/=2C/g, ',').replace(/=3D/g, '=');

// One conversation: start() takes the client-first message, finish() the client-final one.
class ScramConversation {
  // findCredential(userName) returns the user's credential, or undefined.
  constructor(findCredential) {
    this.findCredential = findCredential;
  }

  start(clientFirst) {
    const match = /^([ny]),,(.*)$/s.exec(clientFirst);
    if (!match) throw new AuthenticationFailed('channel binding is not supported');
    this.clientFirstBare = match[2];
    const { n: name, r: clientNonce } = attributes(this.clientFirstBare);
    this.userName = unescapeName(name ?? '');
    this.credential = this.findCredential(this.userName);
    if (!this.credential || !clientNonce) throw new AuthenticationFailed(`no user '${this.userName}'`);
    this.gs2Header = `${match[1]},,`;
    this.nonce = clientNonce + crypto.randomBytes(24).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt},i=${this.credential.iterations}`;
    return this.serverFirst;
  }

  finish(clientFinal) {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0 || !this.serverFirst) throw new AuthenticationFailed('malformed client-final message');
    const { c: binding, r: nonce } = attributes(clientFinal.slice(0, proofAt));
    if (nonce !== this.nonce || binding !== Buffer.from(this.gs2Header).toString('base64')) {
      throw new AuthenticationFailed('nonce or channel binding mismatch');
    }
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${clientFinal.slice(0, proofAt)}`;
    const storedKey = Buffer.from(this.credential.storedKey, 'base64');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const signature = hmac(storedKey, authMessage);
    if (proof.length !== signature.length) throw new AuthenticationFailed('bad proof');
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]));
    if (!crypto.timingSafeEqual(sha256(clientKey), storedKey)) throw new AuthenticationFailed('wrong password');
    return `v=${hmac(Buffer.from(this.credential.serverKey, 'base64'), authMessage).toString('base64')}`;
  }
}

module.exports = { MECHANISM, createCredential, ScramConversation, AuthenticationFailed };
