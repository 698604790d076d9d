using System.Net;
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
[Collection(MongodStandInCollection.Name)]
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
        await Eventually.StatusAsync(client, "/health", HttpStatusCode.OK, timeout.Token);
        var database = api.Services.GetRequiredService<IMongoDatabase>();

        var books = await IndexesAsync(database, BooksServiceCollectionExtensions.CollectionName);
        Assert.Equal(
            [
                "authors { authorKeys: 1 }",
                "created_id { createdAt: 1, _id: 1 }",
                "isbn_unique { isbn: 1 } unique",
                "tags { tags: 1 }",
                "title_id { titleKey: 1, _id: 1 }",
                "year_id { yearKey: 1, _id: 1 }",
            ],
            books);
        Assert.Equal(["expiresAt_ttl { expiresAt: 1 } expireAfterSeconds 0"], await IndexesAsync(database, WriteWindow.CollectionName));
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
