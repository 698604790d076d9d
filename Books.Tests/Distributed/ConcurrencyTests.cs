namespace Books.Tests.Distributed;

/// <summary>Racing writers: the database, not luck, decides who wins.</summary>
[Collection(BooksAppCollection.Name)]
public sealed class ConcurrencyTests(BooksAppFixture fixture)
{
    private const int Writers = 32;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Concurrent_puts_with_one_if_match_have_one_winner()
    {
        using var api = fixture.CreateApiClient();
        var book = await api.CreateAsync(TestBooks.Body(), Cancellation);
        using var start = new SemaphoreSlim(0);

        var racing = Enumerable.Range(0, Writers).Select(async i =>
        {
            var replacement = TestBooks.Body(title: $"Writer {i}");
            replacement["isbn"] = book.GetProperty("isbn").GetString();
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/books/{book.Id()}") { Content = JsonContent.Create(replacement) };
            request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
            await start.WaitAsync(Cancellation);
            using var response = await api.SendAsync(request, Cancellation);
            return (response.StatusCode, Title: response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("title").GetString() : null);
        }).ToList();
        start.Release(Writers);
        var results = await Task.WhenAll(racing);

        var winner = Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(Writers - 1, results.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        var stored = await api.GetFromJsonAsync<JsonElement>($"/api/books/{book.Id()}", Cancellation);
        Assert.Equal(2, stored.GetProperty("version").GetInt64());
        Assert.Equal(winner.Title, stored.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Concurrent_posts_of_one_isbn_store_one()
    {
        using var api = fixture.CreateApiClient();
        var isbn = TestBooks.NewIsbn();
        using var start = new SemaphoreSlim(0);

        var racing = Enumerable.Range(0, Writers).Select(async i =>
        {
            var body = TestBooks.Body(title: $"Claimant {i}");
            body["isbn"] = isbn;
            await start.WaitAsync(Cancellation);
            using var response = await api.PostAsJsonAsync("/api/books", body, Cancellation);
            return response.StatusCode;
        }).ToList();
        start.Release(Writers);
        var results = await Task.WhenAll(racing);

        Assert.Equal(1, results.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(Writers - 1, results.Count(s => s == HttpStatusCode.Conflict));
        using var lookup = await api.GetAsync($"/api/books/by-isbn/{isbn}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
    }
}
