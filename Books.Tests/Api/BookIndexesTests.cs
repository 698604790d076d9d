using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Books.Api.Books;
using Books.Api.Security;
using Books.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using MongoDB.Driver;

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
    public async Task Ready_means_every_index_exists_with_its_keys_and_options()
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
                "created_id { createdAt: 1, _id: 1 }",
                "created_id_year { createdAt: 1, _id: 1, yearKey: 1 }",
                "isbn_unique { isbn: 1 } unique",
                "tags_created_id { tags: 1, createdAt: 1, _id: 1 }",
                "tags_title_id { tags: 1, titleKey: 1, _id: 1 }",
                "tags_year_id { tags: 1, yearKey: 1, _id: 1 }",
                "title_id { titleKey: 1, _id: 1 }",
                "title_id_year { titleKey: 1, _id: 1, yearKey: 1 }",
                "title_words { titleWords: 1 }",
                "year_id { yearKey: 1, _id: 1 }",
            ],
            books);
        Assert.Equal(["expiresAt_ttl { expiresAt: 1 } expireAfterSeconds 0"], await IndexesAsync(database, WriteLog.CollectionName));
    }

    [Fact]
    public async Task Writes_answer_503_until_the_unique_isbn_index_exists_and_transient_errors_are_retried()
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

            // Retried: each of the six books indexes is attempted again after the first back-off.
            var attempts = BookIndexes.Models.Count;
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

    // MongoDB manual, createIndexes: an index of the same keys under another name, or of the same name with other
    // keys or options, is refused with IndexOptionsConflict (85) or IndexKeySpecsConflict (86); a user without the
    // createIndex action gets Unauthorized (13). Retrying cannot clear any of them.
    [Theory]
    [InlineData(85, "Index already exists with a different name: isbn_1")]
    [InlineData(86, "An existing index has the same name as the requested index but different keys")]
    [InlineData(13, "not authorized on books to execute command { createIndexes: \"books\" }")]
    public async Task A_permanent_index_error_is_not_retried_and_is_reported_with_mongodbs_message(int code, string message)
    {
        var connectionString = mongod.NewDatabase();
        var failPoint = FailCreateIndexes(connectionString, code, message);
        var before = await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", failPoint, Cancellation);
        try
        {
            await using var api = BooksApiHost.Create(connectionString);
            using var client = api.CreateWriterClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));

            await Eventually.TrueAsync(async () => (await IndexCheckAsync(client, timeout.Token)).Description?.Contains(message) == true,
                "the server's message in books-indexes", timeout.Token);
            var attempted = await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", failPoint, timeout.Token) - before;
            await Task.Delay(BookIndexes.FirstRetryDelay * 2, timeout.Token); // long enough for a retry, had there been one
            var (status, description) = await IndexCheckAsync(client, timeout.Token);
            using var write = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), timeout.Token);

            Assert.Equal(BookIndexes.Models.Count, await mongod.ConfigureFailPointAsync("failCommand", "alwaysOn", failPoint, timeout.Token) - before);
            Assert.InRange(attempted, 1, BookIndexes.Models.Count);
            Assert.Equal("Unhealthy", status);
            Assert.Contains($"Index {BookIndexes.IsbnIndexName} cannot be created, and is not retried until books-api restarts: {message}", description);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
        }
        finally
        {
            await mongod.ConfigureFailPointAsync("failCommand", "off", failPoint, CancellationToken.None);
        }
    }

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
        var check = (await health.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("checks").GetProperty(BookIndexes.HealthCheckName);
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
