using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Books.Api.Security;
using Microsoft.IdentityModel.Tokens;

namespace Books.Tests.Api;

/// <summary>
/// What a write token must be (RFC 9068 section 4, RFC 8725 section 3, RFC 7519 section 4.1), checked against books-api in
/// this process, which trusts the in-process books-identity. Tokens that the provider can make come from it; the only
/// hand-made ones are shapes it never issues, each shown to be refused (or, without a subject, budgeted by address).
/// </summary>
[Collection(MongodStandInCollection.Name)]
public sealed class TokenValidationTests(MongodStandInFixture mongod)
{
    private static InProcessIdentityProvider Identity => BooksApiHost.Identity;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string> Refused =>
    [
        "another issuer", "another audience", "expired", "not yet valid", "no expiry",
        "alg none", "HS256 keyed with the public key", "key the provider does not publish", "payload altered after signing",
    ];

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Write_with_invalid_token_is_401(string kind)
    {
        var token = await TokenAsync(kind);
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), settings: new Dictionary<string, string> { [TokenValidationSettings.ClockSkewKey] = "00:00:00" });
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var body = TestBooks.Body();

        using var response = await client.PostAsJsonAsync("/api/books", body, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var lookup = await client.GetAsync($"/api/books/by-isbn/{body["isbn"]}", Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    private static async Task<string> TokenAsync(string kind)
    {
        var claims = Identity.WriterClaims($"forged-{Guid.NewGuid():N}");
        var now = DateTimeOffset.UtcNow;
        switch (kind)
        {
            case "another issuer": // RFC 9068 4: iss must be the provider's issuer; a second provider, same clients, other keys
                await using (var other = new InProcessIdentityProvider())
                {
                    return await other.Tokens.TokenAsync(other.Clients.NextWriter(), "books.write", Cancellation);
                }

            case "another audience": // RFC 9068 4 and RFC 8725 3.9: a real token of this provider, for another API
                return await Identity.Tokens.TokenAsync(TestClients.OtherAudience, "other.write", Cancellation);
            case "expired": // RFC 7519 4.1.4: a real token past its exp (it lives 1 s; the API allows no clock skew here)
                var shortLived = await Identity.Tokens.TokenAsync(TestClients.ShortLived, "books.write", Cancellation);
                await Task.Delay(TimeSpan.FromSeconds(2), Cancellation);
                return shortLived;
            case "not yet valid": // RFC 7519 4.1.5
                claims["nbf"] = now.AddHours(1).ToUnixTimeSeconds();
                return Identity.Sign(claims);
            case "no expiry": // RFC 9068 2.2: exp is required
                claims.Remove("exp");
                return Identity.Sign(claims);
            case "alg none": // RFC 8725 3.1: never accept an unsecured token
                static string Part(string json) => Base64UrlEncoder.Encode(json);
                return $"{Part("""{"alg":"none","typ":"at+jwt"}""")}.{Part(System.Text.Json.JsonSerializer.Serialize(claims))}.";
            case "HS256 keyed with the public key": // RFC 8725 2.1 and 3.1: algorithm confusion
                var publicKey = Identity.NewestKey().Rsa.ExportSubjectPublicKeyInfoPem();
                return Identity.Sign(claims, new SymmetricSecurityKey(Encoding.UTF8.GetBytes(publicKey)) { KeyId = Identity.NewestKey().KeyId }, SecurityAlgorithms.HmacSha256);
            case "key the provider does not publish": // RFC 7515 4.1.4: a kid that is not in the JWKS
                using (var rsa = RSA.Create(2048))
                {
                    return Identity.Sign(claims, new RsaSecurityKey(rsa) { KeyId = "not-published" });
                }

            default: // RFC 7515 5.2: a real writer's token with its payload swapped for another subject's
                var real = (await Identity.Tokens.TokenAsync(Identity.Clients.NextWriter(), "books.write", Cancellation)).Split('.');
                return $"{real[0]}.{Base64UrlEncoder.Encode(System.Text.Json.JsonSerializer.Serialize(claims))}.{real[2]}";
        }
    }

    /// <summary>Scopes as the provider grants them: the write scope alone, beside another, or missing.</summary>
    [Theory]
    [InlineData(TestClients.ReaderAndWriter, "books.read books.write", HttpStatusCode.Created)]
    [InlineData(TestClients.Admin, "books.write books.admin", HttpStatusCode.Created)]
    [InlineData(TestClients.Reader, "books.read", HttpStatusCode.Forbidden)]
    public async Task A_provider_token_writes_only_with_the_write_scope(string clientId, string scopes, HttpStatusCode expected)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase());
        using var client = api.CreateClientOf(clientId, scopes);

        using var response = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), Cancellation);

        Assert.Equal(expected, response.StatusCode);
    }

    /// <summary>RFC 8693 4.2 (<c>scope</c>, space-separated) and Entra ID's <c>scp</c>: one exact, case-sensitive name among several.</summary>
    [Theory]
    [InlineData("scope", "books.write", true)]
    [InlineData("scp", "books.write", true)]
    [InlineData("scope", "books.read books.write", true)]
    [InlineData("scope", "books.read", false)]
    [InlineData("scope", "books.writer", false)]
    [InlineData("scope", "BOOKS.WRITE", false)]
    public void Write_scope_is_read_from_scope_or_scp(string claim, string value, bool granted) =>
        Assert.Equal(granted, BooksSecurity.HasScope(new ClaimsPrincipal(new ClaimsIdentity([new Claim(claim, value)], "test")), BooksApiSettings.WriteScope));

    /// <summary>A provider that issues no <c>sub</c> (some do, for client credentials; ours always names the client) still budgets by caller address.</summary>
    [Fact]
    public async Task Callers_without_subject_share_an_address_budget()
    {
        const int permits = 3;
        // A clock that stands still, so the writes cannot straddle two windows.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), services => services.AddSingleton<TimeProvider>(clock), new Dictionary<string, string>
        {
            [RateLimitSettings.WritesPerWindowKey] = permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [RateLimitSettings.WindowSecondsKey] = "3600",
        });
        HttpClient WithoutSubject(string clientId)
        {
            var claims = Identity.WriterClaims("unused");
            claims.Remove("sub");
            claims["client_id"] = clientId;
            var client = api.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", Identity.Sign(claims));
            return client;
        }

        using var first = WithoutSubject("a");
        using var second = WithoutSubject("b");
        using var named = api.CreateWriterClient();

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
