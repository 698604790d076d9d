using Books.Api.Security;

namespace Books.Tests.Distributed;

/// <summary>Who may write: bearer tokens with the books.write scope; reads stay anonymous; writes are rate-limited per caller.</summary>
[Collection(BooksAppCollection.Name)]
public sealed class SecurityTests(BooksAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private HttpClient ClientWith(string? token)
    {
        var client = fixture.CreateApiClient(authorized: false);
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    [Fact]
    public async Task Reads_are_anonymous()
    {
        using var anonymous = ClientWith(null);
        var book = await fixture.CreateApiClient().CreateAsync(TestBooks.Body(), Cancellation);

        using var list = await anonymous.GetAsync("/api/books?limit=1", Cancellation);
        using var one = await anonymous.GetAsync($"/api/books/{book.Id()}", Cancellation);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
    }

    /// <summary>RFC 6750 3.1 (no or malformed token), RFC 9068 4 (a real token from another issuer, or for another audience).</summary>
    public static TheoryData<string> Rejected => ["none", "garbage", "another provider", "another audience"];

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task Writes_without_a_valid_token_are_401(string kind)
    {
        using var client = ClientWith(kind switch
        {
            "none" => null,
            "garbage" => "not-a-jwt",
            "another provider" => await BooksApiHost.Identity.Tokens.WriterTokenAsync(Cancellation),
            _ => await fixture.Tokens.TokenAsync(TestClients.OtherAudience, "other.write", Cancellation),
        });
        var body = TestBooks.Body();

        using var response = await client.PostAsJsonAsync("/api/books", body, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Contains("bearer token", (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
        using var lookup = await client.GetAsync($"/api/books/by-isbn/{body["isbn"]}", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    [InlineData("SEED")]
    public async Task Every_write_needs_a_token(string method)
    {
        var book = await fixture.CreateApiClient().CreateAsync(TestBooks.Body(), Cancellation);
        using var anonymous = ClientWith(null);
        using var request = method == "SEED"
            ? new HttpRequestMessage(HttpMethod.Post, "/api/admin/books/seed")
            : TestBooks.Write(method, book.Id());

        using var response = await anonymous.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await response.ProblemAsync(Cancellation);
    }

    [Fact]
    public async Task Token_without_the_write_scope_returns_403_problem()
    {
        using var reader = ClientWith(await fixture.Tokens.ReaderTokenAsync(Cancellation));

        using var response = await reader.PostAsJsonAsync("/api/books", TestBooks.Body(), Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("books.write", (await response.ProblemAsync(Cancellation)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Writes_past_the_caller_limit_are_429()
    {
        using var busy = fixture.CreateApiClient();
        using var other = fixture.CreateApiClient();
        var invalid = TestBooks.Json("""{ "title": "" }"""); // cheap to refuse; still a write attempt

        // Bounded by time, not by a count that a slow machine could spread over two windows: within two whole
        // windows (the fixture keeps the default) plus slack, one window sees the whole budget spent.
        HttpResponseMessage? limited = null;
        var sending = System.Diagnostics.Stopwatch.StartNew();
        while (limited is null && sending.Elapsed < TimeSpan.FromSeconds(2 * RateLimitSettings.Defaults.WindowSeconds + 10))
        {
            var response = await busy.PostAsync("/api/books", TestBooks.Json("""{ "title": "" }"""), Cancellation);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
            Assert.Equal("Too many writes", (await limited.ProblemAsync(Cancellation)).GetProperty("title").GetString());
        }

        using var otherResponse = await other.PostAsync("/api/books", invalid, Cancellation);
        Assert.Equal(HttpStatusCode.BadRequest, otherResponse.StatusCode);
    }
}
