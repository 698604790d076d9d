using Books.Api.Database;
using Aspire.Hosting.Eventing;

namespace Books.Tests.Distributed;

/// <summary>
/// MongoDB manual, unique indexes: MongoDB cannot build a unique index over stored data that violates it (11000). A
/// catalogue that holds two books with one ISBN (written before the index existed, or by hand) must not take every
/// replica out of the load balancer: both replicas of the real AppHost start over such a catalogue, serve reads and
/// stay ready the whole time, refuse writes with a 503 that says what is wrong, and take writes again, without a
/// restart, once the extra book is removed.
/// </summary>
public sealed class StoredDuplicatesTests(StoredDuplicatesTests.DuplicatesStoredFirst fixture) : IClassFixture<StoredDuplicatesTests.DuplicatesStoredFirst>
{
    /// <summary>
    /// The real AppHost, books-api at two replicas, with two books sharing an ISBN written into MongoDB once it is healthy
    /// and before books-api starts (as a catalogue from before the unique index, or written by hand). The fixture's start
    /// waits for books-api to be healthy: that it starts at all shows readiness survives the duplicates.
    /// </summary>
    public sealed class DuplicatesStoredFirst : BooksAppFixture
    {
        public string Isbn { get; } = TestBooks.NewIsbn();

        public ObjectId Extra { get; } = ObjectId.GenerateNewId();

        private int _stored;

        protected override string[] AppHostArguments() => [.. base.AppHostArguments(), $"BooksApi:Replicas={ReplicatedAppFixture.Replicas}"];

        protected override ValueTask ConfigureAsync(IDistributedApplicationTestingBuilder builder, CancellationToken cancellationToken)
        {
            var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "books-api");
            var database = builder.Resources.OfType<IResourceWithConnectionString>().Single(r => r.Name == "booksdb");
            builder.Eventing.Subscribe<BeforeResourceStartedEvent>(api, async (_, token) =>
            {
                if (Interlocked.Exchange(ref _stored, 1) == 0) // once, before the first replica
                {
                    var books = await CollectionAsync(database, token);
                    await books.InsertManyAsync([TestBooks.Stored(ObjectId.GenerateNewId(), Isbn), TestBooks.Stored(Extra, Isbn)], cancellationToken: token);
                }
            });
            return default;
        }

        public Task<IMongoCollection<BsonDocument>> BooksAsync(CancellationToken cancellationToken) =>
            CollectionAsync(App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<IResourceWithConnectionString>().Single(r => r.Name == "booksdb"),
                cancellationToken);

        private static async Task<IMongoCollection<BsonDocument>> CollectionAsync(IResourceWithConnectionString database, CancellationToken cancellationToken)
        {
            var url = MongoUrl.Create(await database.GetConnectionStringAsync(cancellationToken)
                ?? throw new InvalidOperationException("booksdb has no connection string."));
            return new MongoClient(url).GetDatabase(url.DatabaseName).GetCollection<BsonDocument>(BooksServiceCollectionExtensions.CollectionName);
        }
    }

    [Fact]
    public async Task Replicas_over_stored_duplicates_serve_reads()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var stored = await fixture.BooksAsync(timeout.Token);
        using var client = fixture.CreateApiClient();
        var readsAndProbes = new List<(string What, HttpStatusCode Status)>();
        async Task<HttpResponseMessage> WriteAsync()
        {
            using var read = await client.GetAsync("/api/books?q=stored%20twice", timeout.Token);
            using var ready = await client.GetAsync("/health", timeout.Token);
            readsAndProbes.Add(("read", read.StatusCode));
            readsAndProbes.Add(("/health", ready.StatusCode));
            return await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);
        }

        // Both replicas (the proxy takes turns): each refuses, saying why.
        for (var i = 0; i < 4; i++)
        {
            using var refused = await WriteAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("5", refused.Headers.RetryAfter?.ToString());
            var problem = await refused.ProblemAsync(timeout.Token);
            Assert.Equal("Not ready for writes", problem.GetProperty("title").GetString());
            Assert.Contains("1 ISBN is stored on more than one book", problem.GetProperty("detail").GetString());
        }

        await stored.DeleteOneAsync(new BsonDocument("_id", fixture.Extra), timeout.Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var created = 0;
        while (created < 4) // four in a row: both replicas take writes again
        {
            using var write = await WriteAsync();
            Assert.True(write.StatusCode is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, $"a write answered {(int)write.StatusCode}");
            created = write.StatusCode == HttpStatusCode.Created ? created + 1 : 0;
            if (created == 0)
            {
                await Task.Delay(250, timeout.Token);
            }
        }

        Reports.Write("stored-duplicates", $"stored duplicates: writes resumed on both replicas {clock.Elapsed.TotalSeconds:0.0} s after the extra book was removed; "
            + $"{readsAndProbes.Count} reads and readiness probes during the test, {readsAndProbes.Count(r => r.Status == HttpStatusCode.OK)} of them 200");
        Assert.All(readsAndProbes, r => Assert.True(r.Status == HttpStatusCode.OK, $"a {r.What} answered {(int)r.Status}"));
        Assert.True(clock.Elapsed < BookIndexBuilder.OperatorRetryDelay, $"writes resumed after {clock.Elapsed}");
        var sameIsbn = TestBooks.Body();
        sameIsbn["isbn"] = fixture.Isbn;
        using var third = await client.PostAsJsonAsync("/api/books", sameIsbn, timeout.Token);
        Assert.Equal(HttpStatusCode.Conflict, third.StatusCode); // the unique index is there now
    }
}
