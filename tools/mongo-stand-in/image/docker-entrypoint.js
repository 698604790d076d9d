'use strict';
// Entrypoint of the test-only stand-in image: the official mongo image's contract, as far as Books
// uses it, in front of jongodb (see relay.js). It is NOT MongoDB.
// - `mongod [flags]` (or flags alone); --bind_ip_all unless --bind_ip is given; /data/db by default.
// - MONGO_INITDB_ROOT_USERNAME / _PASSWORD (or their _FILE forms) create the root user in the admin
//   database when the data directory is first used, and turn on --auth. Then each /docker-entrypoint-initdb.d/*.js
//   runs, as the official entrypoint runs it with mongosh, through the one shell call a script of Books makes
//   (db.getSiblingDB(name).createUser); *.sh files cannot run (no shell) and are reported.
// - Started as root, it hands /data/db to uid 999 and drops to that user, as the image's gosu step does.
// - --keyFile is refused, as mongod refuses it, when readable by group or others, not owned by the
//   server's user, or not a valid key; it implies --auth. --replSet NAME answers replSetInitiate and hello
//   as a single-member set, which turns primary STANDIN_ELECTION_DELAY_MS (default 500) after initiation.
const fs = require('fs');
const path = require('path');
const { createCredential } = require('./scram');
const { start } = require('./relay');
const vm = require('vm');

const MONGODB_UID = 999;
const STATE_FILE = 'standin.json'; // the stand-in's "admin.system.users" and replica-set config
const INIT_DIRECTORY = '/docker-entrypoint-initdb.d';
const IGNORED_WITH_VALUE = new Set(['--logpath', '--oplogSize', '--storageEngine', '--setParameter', '--wiredTigerCacheSizeGB', '--config', '--pidfilepath']);
const IGNORED_FLAGS = new Set(['--quiet', '--noauth', '--logappend', '--nounixsocket', '--ipv6', '--fork']);

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

function parseMongodArgs(args) {
  const options = { host: '0.0.0.0', port: 27017, dbPath: '/data/db', auth: false, replSet: null, keyFile: null };
  for (let i = 0; i < args.length; i++) {
    let [flag, value] = args[i].split(/=(.*)/s, 2);
    const takeValue = () => value ?? args[++i] ?? fail(`${flag} needs a value`);
    switch (flag) {
      case '--port': options.port = Number(takeValue()); break;
      case '--bind_ip': options.host = takeValue().split(',')[0]; break;
      case '--bind_ip_all': options.host = '0.0.0.0'; break;
      case '--dbpath': options.dbPath = takeValue(); break;
      case '--auth': options.auth = true; break;
      case '--replSet': options.replSet = takeValue(); break;
      case '--keyFile': options.keyFile = takeValue(); options.auth = true; break;
      default:
        if (IGNORED_WITH_VALUE.has(flag)) takeValue();
        else if (!IGNORED_FLAGS.has(flag)) fail(`the mongod stand-in does not support '${args[i]}'`);
    }
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) fail('--port needs a port number');
  return options;
}

// file_env of the official entrypoint (docker-library/mongo, docker-entrypoint.sh): VAR or VAR_FILE, not both. It
// reads the file with bash's "$(< file)", which drops every trailing newline (a secret file written by echo has one).
function fileEnv(name) {
  const value = process.env[name];
  const file = process.env[`${name}_FILE`];
  if (value && file) fail(`both ${name} and ${name}_FILE are set (but are exclusive)`);
  return file ? fs.readFileSync(file, 'utf8').replace(/\n+$/, '') : value ?? '';
}

function chownTree(target, uid) {
  const stat = fs.lstatSync(target);
  if (stat.uid !== uid) fs.lchownSync(target, uid, uid);
  if (stat.isDirectory()) {
    for (const entry of fs.readdirSync(target)) chownTree(path.join(target, entry), uid);
  }
}

// mongod's checks on a key file, made as the user the server runs as.
function checkKeyFile(keyFile) {
  let stat;
  try {
    stat = fs.statSync(keyFile);
  } catch (error) {
    fail(`Error reading file ${keyFile}: ${error.code === 'ENOENT' ? 'No such file or directory' : error.message}`);
  }
  if (stat.mode & 0o077) fail(`permissions on ${keyFile} are too open`);
  if (stat.uid !== process.getuid()) fail(`${keyFile} is not owned by the user the server runs as (uid ${process.getuid()})`);
  let key;
  try {
    key = fs.readFileSync(keyFile, 'utf8').replace(/\s/g, '');
  } catch (error) {
    fail(`Error reading file ${keyFile}: ${error.code === 'EACCES' ? 'Permission denied' : error.message}`);
  }
  if (key.length < 6 || key.length > 1024) fail(`security key in ${keyFile} must be between 6 and 1024 characters`);
  if (!/^[A-Za-z0-9+/=]+$/.test(key)) fail(`invalid char in key file ${keyFile}: only base64 characters are allowed`);
}

// An init script as the official entrypoint runs it: `mongosh ... "$MONGO_INITDB_DATABASE" "$f"`, authenticated as the
// root user (docker-library/mongo, docker-entrypoint.sh), with Node's require (mongosh has it). Of the shell's API only
// db.getSiblingDB(name) and db.createUser({ user, pwd, roles }) are here (mongosh's createUser sends the createUser
// command; the manual: "db.createUser()"): a user stored as mongod stores it, its roles kept but not enforced (the
// stand-in checks authentication only). Another call, or a user that exists, fails the start, as a failing script does.
function runInitScript(file, initDatabase, users) {
  const database = (name) => ({
    getName: () => name,
    getSiblingDB: (other) => database(other),
    createUser: ({ user, pwd, roles = [] }) => {
      if (typeof user !== 'string' || typeof pwd !== 'string') fail(`${file}: createUser needs a user and a pwd`);
      if (users.some((u) => u.db === name && u.user === user)) fail(`${file}: User "${user}@${name}" already exists`);
      users.push({ user, db: name, roles, credential: createCredential(pwd) });
      console.log(`stand-in: ${file} created user '${user}' in ${name}`);
      return { ok: 1 };
    },
  });
  console.log(`stand-in: running ${file}`);
  try {
    vm.runInNewContext(fs.readFileSync(file, 'utf8'), { db: database(initDatabase), require, print: console.log, console }, { filename: file });
  } catch (error) {
    fail(`${file}: ${error.message}`);
  }
}

function main(argv) {
  const args = argv[0]?.startsWith('-') ? ['mongod', ...argv] : argv;
  if (args[0] !== 'mongod') fail(`the stand-in image runs only mongod, not '${args[0] ?? ''}'`);
  const options = parseMongodArgs(args.slice(1));

  const initDatabase = process.env.MONGO_INITDB_DATABASE || 'test'; // the official entrypoint's default
  const rootUser = fileEnv('MONGO_INITDB_ROOT_USERNAME');
  const rootPassword = fileEnv('MONGO_INITDB_ROOT_PASSWORD');
  if (Boolean(rootUser) !== Boolean(rootPassword)) {
    fail("missing 'MONGO_INITDB_ROOT_USERNAME' or 'MONGO_INITDB_ROOT_PASSWORD': both must be specified for a user to be created");
  }
  for (const name of Object.keys(process.env).filter((n) => n.startsWith('MONGO_INITDB_'))) delete process.env[name];
  if (rootUser) options.auth = true;

  fs.mkdirSync(options.dbPath, { recursive: true });
  if (process.getuid() === 0) {
    chownTree(options.dbPath, MONGODB_UID);
    process.setgroups([MONGODB_UID]);
    process.setgid(MONGODB_UID);
    process.setuid(MONGODB_UID);
  }
  if (options.keyFile) checkKeyFile(options.keyFile);

  const statePath = path.join(options.dbPath, STATE_FILE);
  const initialized = fs.existsSync(statePath);
  const state = initialized ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : { users: [], replicaSetConfig: null };
  const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2), { mode: 0o600 });
  if (!initialized) {
    if (rootUser) {
      state.users.push({ user: rootUser, db: 'admin', roles: ['root'], credential: createCredential(rootPassword) });
      console.log(`stand-in: created root user '${rootUser}' in admin`);
    }
    for (const file of fs.existsSync(INIT_DIRECTORY) ? fs.readdirSync(INIT_DIRECTORY).sort() : []) {
      if (file.endsWith('.js')) runInitScript(path.join(INIT_DIRECTORY, file), initDatabase, state.users);
      else console.error(`stand-in: ignoring ${INIT_DIRECTORY}/${file} (this image has no shell to run it)`);
    }
    save();
  }

  start({
    host: options.host,
    port: options.port,
    server: path.join(__dirname, 'jongodb'),
    users: options.auth ? state.users : null,
    replicaSet: options.replSet === null ? null : {
      name: options.replSet,
      config: state.replicaSetConfig?._id === options.replSet ? state.replicaSetConfig : null,
      onConfig: (config) => { state.replicaSetConfig = config; save(); },
      electionDelayMs: Number(process.env.STANDIN_ELECTION_DELAY_MS ?? 500),
    },
  });
}

main(process.argv.slice(2));
