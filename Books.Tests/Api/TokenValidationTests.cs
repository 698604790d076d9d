using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Aspire.Hosting;
using Books.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Books.Tests.Api;

/// <summary>What a write token must be, checked claim by claim against books-api in this process.</summary>
[Collection(MongodStandInCollection.Name)]
public sealed class TokenValidationTests(MongodStandInFixture mongod)
{
    private const string Key = BooksApiHost.SigningKey;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string> Refused =>
        ["wrong issuer", "wrong audience", "expired", "not yet valid", "no expiry", "alg none", "another key"];

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_write_with_a_token_that_is_not_valid_is_401_and_stores_nothing(string kind)
    {
        var token = kind switch
        {
            "wrong issuer" => TestTokens.Custom(Key, issuer: "someone-else"),
            "wrong audience" => TestTokens.Custom(Key, audience: "another-api"),
            // Beyond the handler's 5-minute clock skew either way.
            "expired" => TestTokens.Custom(Key, notBefore: DateTime.UtcNow.AddHours(-2), lifetime: TimeSpan.FromHours(1)),
            "not yet valid" => TestTokens.Custom(Key, notBefore: DateTime.UtcNow.AddHours(1)),
            "no expiry" => TestTokens.Custom(Key, withoutExpiry: true),
            "alg none" => TestTokens.Unsigned(),
            _ => TestTokens.Custom("another-signing-key-the-api-does-not-know-0123"),
        };
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var body = TestBooks.Body();

        using var response = await client.PostAsJsonAsync("/api/books", body, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var lookup = await client.GetAsync($"/api/books/by-isbn/{body["isbn"]}", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Theory]
    [InlineData("scope", "books.write", HttpStatusCode.Created)]
    [InlineData("scp", "books.write", HttpStatusCode.Created)]
    [InlineData("scope", "books.read books.write", HttpStatusCode.Created)]
    [InlineData("scope", "books.read", HttpStatusCode.Forbidden)]
    [InlineData("scope", "books.writer", HttpStatusCode.Forbidden)]
    [InlineData("scope", "BOOKS.WRITE", HttpStatusCode.Forbidden)]
    public async Task The_write_scope_is_read_from_scope_or_scp_as_one_of_several_names(string claim, string value, HttpStatusCode expected)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            TestTokens.Custom(Key, claims: [new Claim("sub", $"scoped-{Guid.NewGuid():N}"), new Claim(claim, value)]));

        using var response = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), Cancellation);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Callers_without_a_subject_share_their_address_budget_and_one_with_a_subject_has_its_own()
    {
        const int permits = 3;
        // A clock that stands still, so the writes cannot straddle two windows.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), services => services.AddSingleton<TimeProvider>(clock), new Dictionary<string, string>
        {
            ["Books:RateLimit:WritesPerWindow"] = permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Books:RateLimit:WindowSeconds"] = "3600",
        });
        HttpClient ClientFor(IEnumerable<Claim> claims)
        {
            var client = api.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.Custom(Key, claims: claims));
            return client;
        }

        using var first = ClientFor([new Claim("scope", DevTokens.WriteScope), new Claim("client_id", "a")]);
        using var second = ClientFor([new Claim("scope", DevTokens.WriteScope), new Claim("client_id", "b")]);
        using var named = ClientFor([new Claim("scope", DevTokens.WriteScope), new Claim("sub", $"someone-{Guid.NewGuid():N}")]);

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < permits + 1; i++)
        {
            using var response = await (i % 2 == 0 ? first : second).PostAsJsonAsync("/api/books", TestBooks.Body(), Cancellation);
            answers.Add(response.StatusCode);
        }

        using var own = await named.PostAsJsonAsync("/api/books", TestBooks.Body(), Cancellation);

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Created, permits), HttpStatusCode.TooManyRequests], answers);
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
    }
}
