using Books.Api.Database;
using Books.Api.Limits;
using Books.Api.Security;
using Microsoft.Extensions.Logging.Testing;

namespace Books.Tests.Api;

/// <summary>
/// The indexes books-api creates before it reports ready, read back from the server: the unique ISBN index
/// (the guard against duplicates), one per listing sort with the id as tie-breaker (the keyset cursor's order),
/// the filter indexes, and the TTL index that removes past rate-limit windows.
/// </summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class BookIndexesTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ready_means_every_index_exists()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => (await IndexCheckAsync(client, timeout.Token)).Status == "Healthy", "every index created", timeout.Token);
        var database = api.Services.GetRequiredService<IMongoDatabase>();

        var books = await IndexesAsync(database, BooksServiceCollectionExtensions.CollectionName);
        Assert.Equal(
            [
                "author_words { authorWords: 1 }",
                "authors_created_id { authorKeys: 1, createdAt: 1, _id: 1 }",
                "authors_title_id { authorKeys: 1, titleKey: 1, _id: 1 }",
                "authors_year_id { authorKeys: 1, yearKey: 1, _id: 1 }",
                "created_id_year { createdAt: 1, _id: 1, yearKey: 1 }",
                "isbn_unique { isbn: 1 } unique",
                "tags_created_id { tags: 1, createdAt: 1, _id: 1 }",
                "tags_title_id { tags: 1, titleKey: 1, _id: 1 }",
                "tags_year_id { tags: 1, yearKey: 1, _id: 1 }",
                "title_id_year { titleKey: 1, _id: 1, yearKey: 1 }",
                "title_words { titleWords: 1 }",
                "words_version { wordsVersion: 1 }",
                "year_id { yearKey: 1, _id: 1 }",
            ],
            books);
        Assert.Equal(["expiresAt_ttl { expiresAt: 1 } expireAfterSeconds 0"], await IndexesAsync(database, WriteLog.CollectionName));
    }

    [Fact]
    public async Task Writes_wait_for_the_isbn_index()
    {
        var connectionString = mongod.NewDatabase();
        var failPoint = FailCreateIndexes(connectionString, 6, "HostUnreachable"); // a transient error
        var before = await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", failPoint, Cancellation);
        try
        {
            await using var api = BooksApiHost.Create(connectionString);
            using var client = api.CreateWriterClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));

            using var write = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
            using var read = await client.GetAsync("/api/books?limit=1", timeout.Token);
            var (status, description) = await IndexCheckAsync(client, timeout.Token);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
            Assert.Equal("5", write.Headers.RetryAfter?.ToString());
            Assert.Equal("Not ready for writes", (await write.ProblemAsync(timeout.Token)).GetProperty("title").GetString());
            Assert.Equal(HttpStatusCode.OK, read.StatusCode); // reads do not wait for indexes
            Assert.Equal("Unhealthy", status);
            Assert.StartsWith("Writes wait for the unique ISBN index.", description);

            // Retried: both createIndexes commands on books (the unique ISBN index; the listing indexes) are sent again
            // after the first back-off.
            const int attempts = 2;
            await Eventually.TrueAsync(async () => await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", failPoint, timeout.Token) - before >= 2 * attempts,
                "a second attempt at every index", timeout.Token);
            await mongod.ConfigureFailPointAsync("failCommand", "off", failPoint, timeout.Token);

            await Eventually.TrueAsync(async () => (await IndexCheckAsync(client, timeout.Token)).Status == "Healthy", "the indexes created once MongoDB accepts them", timeout.Token);
            var book = TestBooks.Body();
            await client.CreateAsync(book, timeout.Token);
            using var duplicate = await client.PostAsJsonAsync("/api/books", book, timeout.Token);
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", failPoint, CancellationToken.None);
        }
    }

    // MongoDB manual, createIndexes: an index of the same name with other keys or options is refused with
    // IndexKeySpecsConflict (86), one of the same keys under another name with IndexOptionsConflict (85); a user
    // without the createIndex action gets Unauthorized (13); on a sharded collection, a unique index the shard key does
    // not prefix is refused with CannotCreateIndex (67). An operator clears each: until then books-api stays ready
    // (reads are served), a write's 503 says what to do, the failure is logged once, and retried with a backoff.
    [Theory]
    [InlineData(86, "An existing index has the same name as the requested index but different keys", "Drop or rename it")]
    [InlineData(85, "Index already exists with a different name: isbn_1", "Drop or rename it")]
    [InlineData(13, "not authorized on books to execute command { createIndexes: \"books\" }", "Grant it createIndex")]
    [InlineData(67, "cannot create unique index over { isbn: 1 } with shard key pattern { _id: \"hashed\" }", "shard the books collection on { isbn: 1 }")]
    public async Task Operator_index_error_keeps_reads_ready(int code, string message, string remedy)
    {
        var connectionString = mongod.NewDatabase();
        var failPoint = FailCreateIndexes(connectionString, code, message);
        var before = await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", failPoint, Cancellation);
        try
        {
            await using var api = BooksApiHost.Create(connectionString, services => services.AddFakeLogging());
            using var client = api.CreateWriterClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));

            await Eventually.TrueAsync(async () => (await IndexCheckAsync(client, timeout.Token)).Description?.Contains(message) == true,
                "the server's message in books-indexes", timeout.Token);
            // Tried again: 1 s, then 2 s after; both books commands fail each time.
            await Eventually.TrueAsync(async () => await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", failPoint, timeout.Token) - before >= 4,
                "a second try of each", timeout.Token);
            using var health = await client.GetAsync("/health", timeout.Token);
            var (status, description) = await IndexCheckAsync(client, timeout.Token);
            using var read = await client.GetAsync("/api/books?limit=1", timeout.Token);
            using var write = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
            var detail = (await write.ProblemAsync(timeout.Token)).GetProperty("detail").GetString();

            Assert.Equal(HttpStatusCode.OK, health.StatusCode); // ready: Degraded is still ready
            Assert.Equal("Degraded", status);
            Assert.Contains($"Isbn_unique: ", description);
            Assert.Contains(remedy, description);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
            Assert.Contains(message, detail);
            Assert.Contains(remedy, detail);
            var logged = api.Services.GetFakeLogCollector().GetSnapshot()
                .Where(r => r.Message.StartsWith($"{BookIndexModels.IsbnIndexName} cannot be created (MongoDB error {code})", StringComparison.Ordinal)).ToList();
            Assert.Single(logged); // once per change of state, not once per try
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", failPoint, CancellationToken.None);
        }
    }

    // MongoDB manual, createIndexes: an index with the same key under another name is refused with 85; one that is
    // unique on exactly { isbn: 1 } (isbn_1, as the sharding steps make it) guards the ISBN as well, so it is adopted.
    [Fact]
    public async Task Equivalent_isbn_index_is_adopted()
    {
        var connectionString = mongod.NewDatabase();
        var url = MongoUrl.Create(connectionString);
        using (var direct = new MongoClient(url))
        {
            await direct.GetDatabase(url.DatabaseName).GetCollection<BsonDocument>(BooksServiceCollectionExtensions.CollectionName).Indexes.CreateOneAsync(
                new CreateIndexModel<BsonDocument>(new BsonDocument("isbn", 1), new CreateIndexOptions { Name = "isbn_1", Unique = true }),
                cancellationToken: Cancellation);
        }

        // mongod refuses isbn_unique beside isbn_1 with 85; the stand-in would build both, so it is told to answer as mongod.
        var failPoint = FailCreateIndexes(connectionString, 85, "Index already exists with a different name: isbn_1");
        await mongod.ConfigureFailPointAsync("failCommand", new BsonDocument("times", 1), failPoint, Cancellation);
        try
        {
            await using var api = BooksApiHost.Create(connectionString, services => services.AddFakeLogging());
            using var client = api.CreateWriterClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));

            await Eventually.TrueAsync(async () => (await IndexCheckAsync(client, timeout.Token)).Status == "Healthy", "every index there", timeout.Token);
            var book = TestBooks.Body();
            await client.CreateAsync(book, timeout.Token);
            using var duplicate = await client.PostAsJsonAsync("/api/books", book, timeout.Token);

            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode); // isbn_1 guards it
            Assert.Contains(api.Services.GetFakeLogCollector().GetSnapshot(),
                r => r.Message == $"The existing index isbn_1 has the key and options of {BookIndexModels.IsbnIndexName}, and serves as it.");
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", failPoint, CancellationToken.None);
        }
    }

    // MongoDB manual, unique indexes: "MongoDB cannot create a unique index on the specified index field(s) if the
    // collection already contains data that would violate the unique constraint" (11000). Reads go on; writes say how
    // many ISBNs are duplicated and where the list is; once the extra book is gone, the retry builds the index.
    [Fact]
    public async Task Stored_duplicates_keep_reads_ready()
    {
        var connectionString = mongod.NewDatabase();
        var url = MongoUrl.Create(connectionString);
        using var direct = new MongoClient(url);
        var stored = direct.GetDatabase(url.DatabaseName).GetCollection<BsonDocument>(BooksServiceCollectionExtensions.CollectionName);
        var isbn = TestBooks.NewIsbn();
        var extra = ObjectId.GenerateNewId();
        await stored.InsertManyAsync([TestBooks.Stored(ObjectId.GenerateNewId(), isbn), TestBooks.Stored(extra, isbn), TestBooks.Stored(ObjectId.GenerateNewId(), TestBooks.NewIsbn())],
            cancellationToken: Cancellation);

        await using var api = BooksApiHost.Create(connectionString, services => services.AddFakeLogging());
        using var client = api.CreateWriterClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(45));
        var reads = new List<HttpStatusCode>();
        async Task<HttpResponseMessage> WriteAsync()
        {
            using var read = await client.GetAsync("/api/books?limit=5", timeout.Token);
            using var ready = await client.GetAsync("/health", timeout.Token);
            reads.Add(read.StatusCode);
            reads.Add(ready.StatusCode);
            return await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
        }

        using (var refused = await WriteAsync())
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("5", refused.Headers.RetryAfter?.ToString());
            var detail = (await refused.ProblemAsync(timeout.Token)).GetProperty("detail").GetString();
            Assert.Contains("1 ISBN is stored on more than one book", detail);
            Assert.Contains("ISBNs stored on more than one book", detail); // the log line to look for
        }

        var named = api.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Message.StartsWith("ISBNs stored on more than one book", StringComparison.Ordinal)).ToList();
        Assert.Equal($"ISBNs stored on more than one book, the first 20 by ISBN: {isbn} (2 books).", Assert.Single(named).Message);

        await stored.DeleteOneAsync(new BsonDocument("_id", extra), Cancellation);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var write = await WriteAsync();
            if (write.StatusCode == HttpStatusCode.Created)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
            await Task.Delay(250, timeout.Token);
        }

        TestContext.Current.SendDiagnosticMessage($"writes resumed {clock.ElapsedMilliseconds} ms after the duplicate was removed");
        Assert.All(reads, status => Assert.Equal(HttpStatusCode.OK, status)); // reads and readiness, the whole time
        Assert.Contains(api.Services.GetFakeLogCollector().GetSnapshot(), r => r.Message == $"{BookIndexModels.IsbnIndexName} exists now.");
    }

    // MongoDB manual, createIndexes: each command builds its indexes in one scan of the collection.
    [Fact]
    public async Task Indexes_take_two_createIndexes_commands()
    {
        var connectionString = mongod.NewDatabase();
        var count = FailCreateIndexes(connectionString, 0, "");
        count.Remove("errorCode");
        count["blockConnection"] = true; // held 0 ms, then run: the fail point only counts them
        count["blockTimeMS"] = 0;
        var before = await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", count, Cancellation);
        try
        {
            await using var api = BooksApiHost.Create(connectionString);
            using var client = api.CreateClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await Eventually.TrueAsync(async () => (await IndexCheckAsync(client, timeout.Token)).Status == "Healthy", "every index created", timeout.Token);

            Assert.Equal(2, await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", count, timeout.Token) - before);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", count, CancellationToken.None);
        }
    }

    // src/mongo/db/commands/create_indexes_cmd.cpp, parseAndGetCommitQuorum: a standalone server refuses any commitQuorum
    // with BadValue, "Standalones can't specify commitQuorum". An operator clears it by changing the setting: until then
    // reads are served, and a write's 503 names the setting and the server's message.
    [Fact]
    public async Task Refused_commit_quorum_is_named_in_the_503()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), services => services.AddFakeLogging(),
            settings: new Dictionary<string, string> { [IndexSettings.CommitQuorumKey] = "majority" });
        using var client = api.CreateWriterClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        await Eventually.TrueAsync(async () => (await IndexCheckAsync(client, timeout.Token)).Status == "Degraded", "the refusal in books-indexes", timeout.Token);
        using var health = await client.GetAsync("/health", timeout.Token);
        using var write = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
        var detail = (await write.ProblemAsync(timeout.Token)).GetProperty("detail").GetString();

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
        Assert.Contains($"'{IndexSettings.CommitQuorumKey}' = majority", detail);
        Assert.Contains("Standalones can't specify commitQuorum", detail);
    }

    // MongoDB manual, unique indexes: uniqueness is the index's; without it MongoDB stores a second book with a stored
    // ISBN. An index dropped by hand, or a collection restored without indexes, is noticed within Books:Indexes:CheckSeconds,
    // writes that store a book answer 503 meanwhile, and the index is built again.
    [Fact]
    public async Task Dropped_isbn_index_stops_writes_until_rebuilt()
    {
        var connectionString = mongod.NewDatabase();
        await using var api = BooksApiHost.Create(connectionString, services => services.AddFakeLogging(),
            settings: new Dictionary<string, string> { [IndexSettings.CheckSecondsKey] = "1" });
        using var client = api.CreateWriterClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => (await IndexCheckAsync(client, timeout.Token)).Status == "Healthy", "every index created", timeout.Token);
        var books = $"{MongoUrl.Create(connectionString).DatabaseName}.{BooksServiceCollectionExtensions.CollectionName}";
        // Its rebuild is held 3 s, so that the writes in between can be seen; the stand-in has no dropIndexes, so its
        // listIndexes answers as mongod's would after one (relay.js, indexDropped).
        var holdRebuild = new BsonDocument
        {
            ["failCommands"] = new BsonArray { "createIndexes" }, ["namespace"] = books, ["blockConnection"] = true, ["blockTimeMS"] = 3000,
        };
        await mongod.ConfigureFailPointAsync("failCommand", new BsonDocument("times", 1), holdRebuild, Cancellation);
        var dropped = new BsonDocument { ["namespace"] = books, ["name"] = BookIndexModels.IsbnIndexName };
        try
        {
            await mongod.ConfigureFailPointAsync("indexDropped", "alwaysOn", dropped, Cancellation);

            string? detail = null;
            await Eventually.TrueAsync(async () =>
            {
                using var write = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
                detail = write.StatusCode == HttpStatusCode.ServiceUnavailable ? (await write.ProblemAsync(timeout.Token)).GetProperty("detail").GetString() : null;
                return detail is not null;
            }, "a write refused while the index is missing", timeout.Token);
            await Eventually.TrueAsync(async () =>
            {
                using var write = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
                return write.StatusCode == HttpStatusCode.Created;
            }, "writes again once it is built", timeout.Token);

            Assert.Contains("The unique ISBN index has gone", detail);
            var logs = api.Services.GetFakeLogCollector().GetSnapshot().Select(r => r.Message).ToList();
            Assert.Contains($"{BookIndexModels.IsbnIndexName} has gone from the books collection; writes that store a book wait until it is built again.", logs);
            Assert.Contains($"{BookIndexModels.IsbnIndexName} exists now.", logs);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("indexDropped", "off", dropped, CancellationToken.None);
            await mongod.ConfigureFailPointAsync("failCommand", "off", holdRebuild, CancellationToken.None);
        }
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("majority", "majority")]
    [InlineData("votingMembers", "votingMembers")]
    [InlineData("2", "2")]
    [InlineData("eastCoast", "eastCoast")]
    public void Commit_quorum_is_sent_as_written(string? setting, string? sent) =>
        Assert.Equal(sent, BookIndexModels.CommitQuorum(setting)?.ToBsonValue().ToString());


    /// <summary>mongod's failCommand fail point for createIndexes on this test's books collection only.</summary>
    private static BsonDocument FailCreateIndexes(string connectionString, int code, string message) => new()
    {
        ["failCommands"] = new BsonArray { "createIndexes" },
        ["namespace"] = $"{MongoUrl.Create(connectionString).DatabaseName}.{BooksServiceCollectionExtensions.CollectionName}",
        ["errorCode"] = code,
        ["errmsg"] = message,
    };

    private static async Task<(string? Status, string? Description)> IndexCheckAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var health = await client.GetAsync("/health", cancellationToken);
        var check = (await health.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("checks").GetProperty(BookIndexesHealthCheck.Name);
        return (check.GetProperty("status").GetString(), check.TryGetProperty("description", out var description) ? description.GetString() : null);
    }

    private static async Task<List<string>> IndexesAsync(IMongoDatabase database, string collection)
    {
        using var cursor = await database.GetCollection<BsonDocument>(collection).Indexes.ListAsync(Cancellation);
        return (await cursor.ToListAsync(Cancellation))
            .Where(index => index["name"] != "_id_") // every collection's own; servers differ on whether they call it unique
            .Select(index =>
                $"{index["name"].AsString} {{ {string.Join(", ", index["key"].AsBsonDocument.Select(k => $"{k.Name}: {k.Value.ToInt32()}"))} }}" +
                (index.GetValue("unique", false).ToBoolean() ? " unique" : "") +
                (index.TryGetValue("expireAfterSeconds", out var expiry) ? $" expireAfterSeconds {expiry.ToInt64()}" : ""))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
