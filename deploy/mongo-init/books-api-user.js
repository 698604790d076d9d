// books-api's own MongoDB user: readWrite on its database, nothing else (no other database, no user or cluster
// administration). The mongo image runs this once, at MongoDB's first start (an empty /data/db), as the root user:
// its entrypoint runs each /docker-entrypoint-initdb.d/*.js with mongosh (docker-library/mongo, docker-entrypoint.sh).
// The password is the secret make-secrets writes, booksdb-password, mounted as a file; books-api's connection string
// names the same user and password, with authSource=booksdb.
const password = require('fs').readFileSync('/run/secrets/booksdb-password', 'utf8').trim();
db.getSiblingDB('booksdb').createUser({
  user: 'books-api',
  pwd: password,
  roles: [{ role: 'readWrite', db: 'booksdb' }],
});
