namespace Books.Tests.Api;

/// <summary>
/// Books whose numbers another tool wrote: mongosh stores every number as a double, the Node.js driver a small
/// integer as an int32, where books-api writes int64 versions and int32 years. MongoDB compares numbers by value
/// (manual, "Comparison/Sort Order"), so such a book is read, matched by every version-checked write (RFC 9110 13.1.1:
/// If-Match against the ETag its version makes), and given its words by the backfill, as one books-api stored.
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class StoredNumberTypesTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("double", "GET")]
    [InlineData("double", "PATCH")]
    [InlineData("double", "PUT")]
    [InlineData("double", "DELETE")]
    [InlineData("int32", "PATCH")]
    [InlineData("int32", "PUT")]
    [InlineData("int32", "DELETE")]
    public async Task Book_another_tool_stored_takes_preconditions(string numbers, string method)
    {
        var (api, id) = await StoreAsync(numbers, BookWords.Version);
        await using (api)
        {
            using var client = api.CreateWriterClient();
            using var request = TestBooks.Write(method, id.ToString());
            request.Headers.IfMatch.ParseAdd("\"3\"");

            using var response = await client.SendAsync(request, Cancellation);

            Assert.Equal(method switch { "DELETE" => HttpStatusCode.NoContent, _ => HttpStatusCode.OK }, response.StatusCode);
            if (method != "DELETE")
            {
                Assert.Equal(method == "GET" ? "\"3\"" : "\"4\"", response.Headers.ETag?.ToString());
                var book = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
                Assert.Equal(method == "PUT" ? 2001 : 1974, book.GetProperty("publishedYear").GetInt32());
            }
        }
    }

    [Theory]
    [InlineData("double")]
    [InlineData("int32")]
    public async Task Book_another_tool_stored_gets_its_words(string numbers)
    {
        var (api, id) = await StoreAsync(numbers, wordsVersion: 1);
        await using (api)
        {
            using var client = api.CreateClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));

            await Eventually.TrueAsync(async () =>
            {
                var page = await client.GetFromJsonAsync<JsonElement>("/api/books?q=soren%20lodz", timeout.Token);
                return page.GetProperty("items").GetArrayLength() == 1;
            }, "found by its words, made again", timeout.Token);
            var byYear = await client.GetFromJsonAsync<JsonElement>("/api/books?yearFrom=1974&yearTo=1974&sort=publishedYear", timeout.Token);
            Assert.Contains(byYear.GetProperty("items").EnumerateArray(), book => book.Id() == id.ToString());
        }
    }

    /// <summary>A book at version 3, published 1974, its numbers of the given BSON type, as another tool writes it.</summary>
    private async Task<(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Books.Api.BooksApiAssembly> Api, ObjectId Id)> StoreAsync(
        string numbers, int wordsVersion)
    {
        BsonValue Number(int value) => numbers == "double" ? new BsonDouble(value) : new BsonInt32(value);
        var connectionString = mongod.NewDatabase();
        var url = MongoUrl.Create(connectionString);
        var id = ObjectId.GenerateNewId();
        using (var direct = new MongoClient(url))
        {
            await direct.GetDatabase(url.DatabaseName).GetCollection<BsonDocument>(BooksServiceCollectionExtensions.CollectionName).InsertOneAsync(new BsonDocument
            {
                ["_id"] = id, ["isbn"] = TestBooks.NewIsbn(), ["title"] = "Łódź Letters", ["titleKey"] = "łódź letters",
                ["authors"] = new BsonArray { "Søren Writer" }, ["authorKeys"] = new BsonArray { "søren writer" },
                ["titleWords"] = new BsonArray { "łodz", "letters" }, ["authorWords"] = new BsonArray { "søren", "writer" },
                ["wordsVersion"] = Number(wordsVersion), ["publishedYear"] = Number(1974), ["yearKey"] = Number(1974), ["tags"] = new BsonArray(),
                ["createdAt"] = DateTime.UtcNow, ["updatedAt"] = DateTime.UtcNow, ["version"] = Number(3),
            }, cancellationToken: Cancellation);
        }

        return (BooksApiHost.Create(connectionString), id);
    }
}
