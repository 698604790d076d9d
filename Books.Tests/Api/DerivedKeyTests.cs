namespace Books.Tests.Api;

/// <summary>
/// The stored book keeps search and sort keys derived from its fields (author keys, title key, year key);
/// every write path must keep them in step, or filters and sorts go stale after an update.
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class DerivedKeyTests(MongodStandInFixture mongod)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Author_filter_follows_a_patch()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(author: "Old Author"), Cancellation);

        await PatchAsync(client, book.Id(), """{ "authors": ["New Author"] }""");

        Assert.Equal([book.Id()], await IdsAsync(client, "?author=new%20author"));
        Assert.Empty(await IdsAsync(client, "?author=Old%20Author"));
    }

    [Fact]
    public async Task Title_sort_follows_a_patch()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var tag = TestBooks.NewTag();
        var moving = await client.CreateAsync(TestBooks.Body(title: "Aardvarks", tag: tag), Cancellation);
        var middle = await client.CreateAsync(TestBooks.Body(title: "Middlemarch", tag: tag), Cancellation);

        await PatchAsync(client, moving.Id(), """{ "title": "zebras" }""");

        Assert.Equal([middle.Id(), moving.Id()], await IdsAsync(client, $"?tag={tag}&sort=title"));
    }

    [Fact]
    public async Task Removed_year_sorts_with_undated_books()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var tag = TestBooks.NewTag();
        var dated = await client.CreateAsync(TestBooks.Body(tag: tag, year: 1900), Cancellation);
        var undating = await client.CreateAsync(TestBooks.Body(tag: tag, year: 2000), Cancellation);

        await PatchAsync(client, undating.Id(), """{ "publishedYear": null }""");

        Assert.Equal([undating.Id(), dated.Id()], await IdsAsync(client, $"?tag={tag}&sort=publishedYear"));
        var stored = await client.GetFromJsonAsync<JsonElement>($"/api/books/{undating.Id()}", Cancellation);
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("publishedYear").ValueKind);
    }

    [Fact]
    public async Task Year_sort_follows_a_patch()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var tag = TestBooks.NewTag();
        var moving = await client.CreateAsync(TestBooks.Body(tag: tag, year: 1900), Cancellation);
        var staying = await client.CreateAsync(TestBooks.Body(tag: tag, year: 1950), Cancellation);

        await PatchAsync(client, moving.Id(), """{ "publishedYear": 2000 }""");

        Assert.Equal([staying.Id(), moving.Id()], await IdsAsync(client, $"?tag={tag}&sort=publishedYear"));
        Assert.Equal([moving.Id()], await IdsAsync(client, $"?tag={tag}&yearFrom=1999"));
    }

    [Fact]
    public async Task Patching_to_a_taken_isbn_is_409()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var taken = await client.CreateAsync(TestBooks.Body(), Cancellation);
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);

        using var request = TestBooks.Write("PATCH", book.Id(), patch: $$"""{ "isbn": "{{taken.GetProperty("isbn").GetString()}}", "title": "Should not stick" }""");
        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var stored = await client.GetFromJsonAsync<JsonElement>($"/api/books/{book.Id()}", Cancellation);
        Assert.Equal(book.GetProperty("isbn").GetString(), stored.GetProperty("isbn").GetString());
        Assert.Equal(book.GetProperty("title").GetString(), stored.GetProperty("title").GetString());
        Assert.Equal(1, stored.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Patched_isbn_10_is_stored_as_isbn_13()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateWriterClient();
        var book = await client.CreateAsync(TestBooks.Body(), Cancellation);

        var patched = await PatchAsync(client, book.Id(), """{ "isbn": "0-262-03384-4" }""");

        Assert.Equal("9780262033848", patched.GetProperty("isbn").GetString());
        foreach (var form in new[] { "0262033844", "978-0-262-03384-8" })
        {
            var found = await client.GetFromJsonAsync<JsonElement>($"/api/books/by-isbn/{form}", Cancellation);
            Assert.Equal(book.Id(), found.Id());
        }
    }

    private static async Task<JsonElement> PatchAsync(HttpClient client, string id, string patch)
    {
        using var request = TestBooks.Write("PATCH", id, patch: patch);
        using var response = await client.SendAsync(request, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    private static async Task<List<string>> IdsAsync(HttpClient client, string query) =>
        [.. (await client.GetFromJsonAsync<JsonElement>($"/api/books{query}", Cancellation)).GetProperty("items").EnumerateArray().Select(b => b.Id())];
}
