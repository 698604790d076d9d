using Microsoft.AspNetCore.Mvc.Testing;

namespace Books.Tests.Api;

/// <summary>
/// Two versions of books-api share one database during a rolling upgrade (or a rollback), and stored books outlive
/// both. MongoDB's flexible schema (manual, "Data Modeling": documents in one collection need not have the same
/// fields) lets either version store a book the other does not fully know:
///
/// | stored by          | the book                           | this version must                                    |
/// |--------------------|------------------------------------|------------------------------------------------------|
/// | a newer version    | holds a field this one lacks       | read it (GET, list), update it (PATCH, PUT) and keep  |
/// |                    | (top-level, nested)                | that field as it was                                 |
/// | an older version   | lacks a field this one added       | read it with the field's default, and update it      |
/// |                    | (the search words)                 |                                                      |
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class StoredDocumentVersionsTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly BsonDocument s_newerFields = new()
    {
        ["shelf"] = "B-12",
        ["loans"] = new BsonDocument { ["count"] = 3, ["last"] = new BsonDateTime(new DateTime(2026, 5, 1, 0, 0, 0, DateTimeKind.Utc)) },
    };

    [Fact]
    public async Task Book_with_newer_fields_is_listed()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var tag = TestBooks.NewTag();
        var book = await client.CreateAsync(TestBooks.Body(title: "Cien años de soledad", tag: tag), Cancellation);
        await StoredBooks(api).UpdateOneAsync(ById(book), new BsonDocument("$set", s_newerFields), cancellationToken: Cancellation);

        using var read = await client.GetAsync($"/api/books/{book.Id()}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(book.Id(), (await read.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).Id());
        Assert.Equal([book.Id()], await ListedIdsAsync(client, $"?tag={tag}"));
        Assert.Equal([book.Id()], await ListedIdsAsync(client, $"?tag={tag}&q=soledad"));
    }

    [Theory]
    [InlineData("PATCH")]
    [InlineData("PUT")]
    public async Task A_write_keeps_the_fields_of_a_newer_version(string method)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var books = StoredBooks(api);
        await books.UpdateOneAsync(ById(book), new BsonDocument("$set", s_newerFields), cancellationToken: Cancellation);

        using var write = TestBooks.Write(method, book.Id(), patch: """{ "title": "Renamed by the older version" }""");
        using var response = await client.SendAsync(write, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await books.Find(ById(book)).SingleAsync(Cancellation);
        Assert.Equal(2, stored["version"].ToInt64());
        Assert.Equal(s_newerFields["shelf"], stored["shelf"]);
        Assert.Equal(s_newerFields["loans"], stored["loans"]);
    }

    [Fact]
    public async Task Book_without_search_words_is_read_and_patched()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var tag = TestBooks.NewTag();
        var book = await client.CreateAsync(TestBooks.Body(tag: tag), Cancellation);
        var books = StoredBooks(api);
        await books.UpdateOneAsync(
            ById(book), new BsonDocument("$unset", new BsonDocument { ["titleWords"] = "", ["authorWords"] = "" }), cancellationToken: Cancellation);

        using var read = await client.GetAsync($"/api/books/{book.Id()}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal([book.Id()], await ListedIdsAsync(client, $"?tag={tag}"));

        using var patch = TestBooks.Write("PATCH", book.Id(), patch: """{ "title": "Der Zauberberg" }""");
        using var patched = await client.SendAsync(patch, Cancellation);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal([book.Id()], await ListedIdsAsync(client, $"?tag={tag}&q=zauber"));
    }

    private static IMongoCollection<BsonDocument> StoredBooks(WebApplicationFactory<Books.Api.BooksApiAssembly> api) =>
        api.Services.GetRequiredService<IMongoDatabase>().GetCollection<BsonDocument>(BooksServiceCollectionExtensions.CollectionName);

    private static FilterDefinition<BsonDocument> ById(JsonElement book) =>
        Builders<BsonDocument>.Filter.Eq("_id", ObjectId.Parse(book.Id()));

    private static async Task<string[]> ListedIdsAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/api/books{query}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        return [.. page.GetProperty("items").EnumerateArray().Select(item => item.Id())];
    }
}
