using Books.Api.Database;
using Books.Api.Security;
using Microsoft.Extensions.Logging.Testing;

namespace Books.Tests.Api;

/// <summary>
/// OWASP API4:2023 (unrestricted resource consumption): no request makes MongoDB work without bound. Every query
/// carries a time limit and one that runs out is a 503 that says so; reads are limited per client address;
/// listings hold a bounded share of the connection pool; books stored before search words existed get them.
/// </summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class BoundedWorkTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    // mongod's maxTimeAlwaysTimeOut fail point fails every command that carries maxTimeMS with error 50, as if its
    // limit had run out, and runs those without one: so a 503 here also shows the limit was sent.
    [Theory]
    [InlineData("GET", "/api/books?limit=5")]
    [InlineData("GET", "/api/books?q=test")]
    [InlineData("GET", "/api/books/{id}")]
    [InlineData("GET", "/api/books/by-isbn/{isbn}")]
    [InlineData("PATCH", "/api/books/{id}")]
    public async Task Query_at_its_time_limit_is_503(string method, string path)
    {
        var connectionString = mongod.NewDatabase();
        await using var api = BooksApiHost.Create(connectionString);
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var namespaceOnly = new BsonDocument("namespace", $"{MongoUrl.Create(connectionString).DatabaseName}.books");
        using var request = method == "PATCH"
            ? TestBooks.Write("PATCH", book.Id())
            : new HttpRequestMessage(HttpMethod.Get, path.Replace("{id}", book.Id()).Replace("{isbn}", book.GetProperty("isbn").GetString()));

        await mongod.ConfigureFailPointAsync("maxTimeAlwaysTimeOut", "alwaysOn", namespaceOnly, Cancellation);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, Cancellation);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("maxTimeAlwaysTimeOut", "off", namespaceOnly, CancellationToken.None);
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.RetryAfter?.ToString());
            Assert.Equal("Query took too long", (await response.ProblemAsync(Cancellation)).GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task Reads_are_limited_per_address()
    {
        const int Reads = 3;
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), settings: new Dictionary<string, string>
        {
            [RateLimitSettings.ReadsPerWindowKey] = Reads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [RateLimitSettings.WindowSecondsKey] = "60",
        });
        var port = api.StartOnKestrelPort(); // real connections, so the API sees each client's address

        using var first = LoopbackClients.From(IPAddress.Parse("127.0.0.1"), port);
        using var second = LoopbackClients.From(IPAddress.Parse("127.0.0.2"), port);

        for (var i = 0; i < Reads; i++)
        {
            using var allowed = await first.GetAsync("/api/books?limit=1", Cancellation);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var limited = await first.GetAsync("/api/books/65a1b2c3d4e5f60718293a4b", Cancellation);
        using var other = await second.GetAsync("/api/books?limit=1", Cancellation);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After {limited.Headers.RetryAfter}");
        var problem = await limited.ProblemAsync(Cancellation);
        Assert.Equal("Too many reads", problem.GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Listing_past_the_slots_gets_503()
    {
        var connectionString = mongod.NewDatabase();
        var queueTimeout = TimeSpan.FromMilliseconds(300);
        await using var api = BooksApiHost.Create(connectionString, settings: new Dictionary<string, string>
        {
            [QueryLimitSettings.MaxConcurrentListingsKey] = "1",
            [QueryLimitSettings.ListingQueueMillisecondsKey] = queueTimeout.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        // The next find on this database's books is held 2 s by MongoDB (mongod's failCommand with blockConnection).
        var hold = new BsonDocument
        {
            ["failCommands"] = new BsonArray { "find" },
            ["namespace"] = $"{MongoUrl.Create(connectionString).DatabaseName}.books",
            ["blockConnection"] = true,
            ["blockTimeMS"] = 2000,
        };
        await mongod.ConfigureFailPointAsync("failCommand", new BsonDocument("times", 1), hold, Cancellation);
        try
        {
            var slow = client.GetAsync("/api/books?limit=1", Cancellation);
            await Task.Delay(300, Cancellation); // the slow listing holds the only slot
            var waited = Stopwatch.StartNew();
            using var refused = await client.GetAsync("/api/books?limit=2", Cancellation);
            var refusedAfter = waited.Elapsed;
            using var byId = await client.GetAsync($"/api/books/{book.Id()}", Cancellation); // not a listing: not gated
            using var served = await slow;
            using var after = await client.GetAsync("/api/books?limit=2", Cancellation);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
            Assert.Equal("Too many listings at once", (await refused.ProblemAsync(Cancellation)).GetProperty("title").GetString());
            // Waited the queue time, but not for the slow one. Less 15 ms: the wait's timer may fire a little before the
            // stopwatch reads 300 ms (a fresh-clone CI run measured 299.5 ms).
            Assert.InRange(refusedAfter, queueTimeout - TimeSpan.FromMilliseconds(15), TimeSpan.FromMilliseconds(1700));
            Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", hold, CancellationToken.None);
        }
    }

    // The driver waits 2 minutes for a pooled connection by default; books-api waits its time limit, and a wait that runs
    // out means every connection is busy: MongoDB is slow to answer, so the caller is told to come back (overload).
    [Fact]
    public async Task Pool_wait_ends_at_the_time_limit_as_overload()
    {
        var connectionString = mongod.NewDatabase();
        await using var api = BooksApiHost.Create(connectionString + "?maxPoolSize=1", settings: new Dictionary<string, string>
        {
            [QueryLimitSettings.TimeLimitMillisecondsKey] = "500",
            [RateLimitSettings.EnabledKey] = "false",
        });
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var hold = new BsonDocument
        {
            ["failCommands"] = new BsonArray { "find" }, ["namespace"] = $"{MongoUrl.Create(connectionString).DatabaseName}.books",
            ["blockConnection"] = true, ["blockTimeMS"] = 2000,
        };
        await mongod.ConfigureFailPointAsync("failCommand", new BsonDocument("times", 1), hold, Cancellation);
        try
        {
            var slow = client.GetAsync($"/api/books/{book.Id()}", Cancellation); // holds the pool's only connection for 2 s
            await Task.Delay(300, Cancellation);
            var waited = Stopwatch.StartNew();
            using var refused = await client.GetAsync($"/api/books/{book.Id()}", Cancellation);
            var refusedAfter = waited.Elapsed;
            using var served = await slow;

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("Database overloaded", (await refused.ProblemAsync(Cancellation)).GetProperty("title").GetString());
            Assert.InRange(refusedAfter, TimeSpan.FromMilliseconds(450), TimeSpan.FromMilliseconds(1_600)); // the time limit, not the 2 s hold
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", hold, CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("before search words existed")]
    [InlineData("by a globalization-invariant build")]
    [InlineData("with only its title words remade")]
    public async Task Outdated_search_words_are_remade_at_startup(string storedHow)
    {
        var connectionString = mongod.NewDatabase();
        var url = MongoUrl.Create(connectionString);
        using (var direct = new MongoClient(url))
        {
            // As earlier versions stored them, none with a wordsVersion: no words at all; words with their accents kept
            // (invariant mode decomposed nothing); title words made by a PATCH, no author words.
            var collection = direct.GetDatabase(url.DatabaseName).GetCollection<BsonDocument>("books");
            var documents = Enumerable.Range(0, 3).Select(i => new BsonDocument
            {
                ["_id"] = ObjectId.GenerateNewId(), ["isbn"] = TestBooks.NewIsbn(), ["title"] = $"Légende number{i}",
                ["titleKey"] = $"légende number{i}", ["authors"] = new BsonArray { "Old Author" }, ["authorKeys"] = new BsonArray { "old author" },
                ["yearKey"] = 0, ["tags"] = new BsonArray(), ["createdAt"] = DateTime.UtcNow, ["updatedAt"] = DateTime.UtcNow, ["version"] = 1L,
            }.AddRange(storedHow switch
            {
                "by a globalization-invariant build" => new BsonDocument
                {
                    ["titleWords"] = new BsonArray { "légende", $"number{i}" }, ["authorWords"] = new BsonArray { "old", "author" },
                },
                "with only its title words remade" => new BsonDocument { ["titleWords"] = new BsonArray { "legende", $"number{i}" } },
                _ => [],
            }));
            await collection.InsertManyAsync(documents, cancellationToken: Cancellation);
        }

        await using var api = BooksApiHost.Create(connectionString);
        using var client = api.CreateClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        await Eventually.TrueAsync(async () =>
        {
            var page = await client.GetFromJsonAsync<JsonElement>("/api/books?q=legende%20old", timeout.Token);
            return page.GetProperty("items").GetArrayLength() == 3;
        }, "the old books found by their words", timeout.Token);
        var stored = await api.Services.GetRequiredService<IMongoCollection<Book>>().Find(FilterDefinition<Book>.Empty).ToListAsync(Cancellation);
        Assert.All(stored, book => Assert.Equal(["old", "author"], book.AuthorWords));
        Assert.All(stored, book => Assert.Equal(BookWords.Version, book.WordsVersion));
        Assert.All(stored, book => Assert.Equal(1, book.Version)); // derived fields: the representation did not change
        Assert.Contains(stored, book => book.TitleWords.SequenceEqual(["legende", "number1"]));
    }

    // The backfill keeps no position: each batch is the next books still outdated, found through the words_version
    // index (BookQueryShapeTests holds the query to it; the stand-in has neither explain nor maxTimeMS to show a scan).
    // More outdated books than two batches are all made again; then, with every book current, a start costs one find
    // that returns nothing and no update.
    [Fact]
    public async Task Backfill_finishes_then_costs_one_find()
    {
        var connectionString = mongod.NewDatabase();
        var url = MongoUrl.Create(connectionString);
        const int Outdated = 2 * BookWordsBackfill.BatchSize + 100;
        using (var direct = new MongoClient(url))
        {
            await direct.GetDatabase(url.DatabaseName).GetCollection<BsonDocument>("books").InsertManyAsync(
                Enumerable.Range(0, Outdated).Select(i => new BsonDocument(TestBooks.Stored(ObjectId.GenerateNewId(), TestBooks.NewIsbn()))
                {
                    ["title"] = $"Øresund {i}", ["wordsVersion"] = 1,
                }), cancellationToken: Cancellation);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await using (var first = BooksApiHost.Create(connectionString, services => services.AddFakeLogging()))
        {
            using var client = first.CreateClient();
            await Eventually.TrueAsync(() => Task.FromResult(first.Services.GetFakeLogCollector().GetSnapshot()
                .Any(r => r.Message == $"Search words and keys made again for {Outdated} books, by the rules of version {BookWords.Version}.")),
                "every outdated book made again", timeout.Token);
            var stored = first.Services.GetRequiredService<IMongoCollection<Book>>();
            Assert.Equal(0, await stored.CountDocumentsAsync(BookWordsBackfill.Outdated, cancellationToken: timeout.Token));
            Assert.Equal(Outdated, await stored.CountDocumentsAsync(b => b.TitleKey.StartsWith("oresund "), cancellationToken: timeout.Token));
        }

        // Counted, not failed: held 0 ms, then run.
        var books = $"{url.DatabaseName}.books";
        BsonDocument Count(string command) => new()
        {
            ["failCommands"] = new BsonArray { command }, ["namespace"] = books, ["blockConnection"] = true, ["blockTimeMS"] = 0,
        };
        var findsBefore = await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", Count("find"), timeout.Token);
        try
        {
            await using var second = BooksApiHost.Create(connectionString, services => services.AddFakeLogging());
            using var client = second.CreateClient();
            await Eventually.TrueAsync(() => Task.FromResult(second.Services.GetFakeLogCollector().GetSnapshot()
                .Any(r => r.Message.StartsWith("Search words and keys made again for 0 books", StringComparison.Ordinal))),
                "the backfill's run over current books", timeout.Token);

            Assert.Equal(1, await mongod.ConfigureFailPointAsync("failCommand", "off", Count("find"), timeout.Token) - findsBefore);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", Count("find"), CancellationToken.None);
        }
    }

    // The backfill reads a book, then writes its words only if the book is still at the version it read (the MongoDB
    // manual's optimistic pattern: a filter on the version). Here a PATCH of the authors lands between its read and
    // its write: the PATCH's words stay, and the book, read again, gets the title words it lacked.
    [Fact]
    public async Task Patch_racing_the_backfill_keeps_its_words()
    {
        var connectionString = mongod.NewDatabase();
        var url = MongoUrl.Create(connectionString);
        var id = ObjectId.GenerateNewId();
        using (var direct = new MongoClient(url))
        {
            await direct.GetDatabase(url.DatabaseName).GetCollection<BsonDocument>("books").InsertOneAsync(new BsonDocument
            {
                ["_id"] = id, ["isbn"] = TestBooks.NewIsbn(), ["title"] = "Raced Chronicle", ["titleKey"] = "raced chronicle",
                ["authors"] = new BsonArray { "Old Author" }, ["authorKeys"] = new BsonArray { "old author" }, ["yearKey"] = 0,
                ["tags"] = new BsonArray(), ["createdAt"] = DateTime.UtcNow, ["updatedAt"] = DateTime.UtcNow, ["version"] = 1L,
            }, cancellationToken: Cancellation);
        }

        // The backfill's bulk write is an update command (a PATCH is a findAndModify): held 3 s once it has read the book.
        var hold = new BsonDocument
        {
            ["failCommands"] = new BsonArray { "update" }, ["namespace"] = $"{url.DatabaseName}.books", ["blockConnection"] = true, ["blockTimeMS"] = 3000,
        };
        var before = await mongod.ConfigureFailPointAsync("failCommand", new BsonDocument("times", 1), hold, Cancellation);
        try
        {
            await using var api = BooksApiHost.Create(connectionString);
            using var client = api.CreateWriterClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            // Reading the count sets the fail point again (for one more update): the next update comes only after this one.
            await Eventually.TrueAsync(async () => await mongod.ConfigureFailPointAsync("failCommand", new BsonDocument("times", 1), hold, timeout.Token) > before,
                "the backfill's write held", timeout.Token);
            await mongod.ConfigureFailPointAsync("failCommand", "off", hold, timeout.Token);

            using var patch = await client.SendAsync(TestBooks.Write("PATCH", id.ToString(), patch: """{ "authors": ["Nova Writer"] }"""), timeout.Token);
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

            await Eventually.TrueAsync(async () =>
            {
                var page = await client.GetFromJsonAsync<JsonElement>("/api/books?q=raced%20nova", timeout.Token);
                return page.GetProperty("items").GetArrayLength() == 1;
            }, "found by its title and its new author", timeout.Token);
            var stored = await api.Services.GetRequiredService<IMongoCollection<Book>>().Find(b => b.Id == id).SingleAsync(timeout.Token);
            Assert.Equal(["nova", "writer"], stored.AuthorWords);
            Assert.Equal(BookWords.Version, stored.WordsVersion);
            var old = await client.GetFromJsonAsync<JsonElement>("/api/books?q=old", timeout.Token);
            Assert.Equal(0, old.GetProperty("items").GetArrayLength());
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", hold, CancellationToken.None);
        }
    }
}
