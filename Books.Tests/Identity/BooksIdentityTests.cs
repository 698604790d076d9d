using System.Text;
using Books.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Books.Tests.Identity;

/// <summary>books-identity as a client and a resource server see it: the token endpoint's answers (RFC 6749 5.1, 5.2),
/// the access token's shape (RFC 9068 2.2), the published keys (RFC 7517), and its refusals to start.</summary>
public sealed class BooksIdentityTests
{
    private static InProcessIdentityProvider Provider => BooksApiHost.Identity;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, JsonElement Body)> AskAsync(string clientId, string secret, string? scope)
    {
        using var client = new HttpClient { BaseAddress = Provider.Address, Timeout = TimeSpan.FromSeconds(30) };
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        using var response = await client.SendAsync(request, Cancellation);
        return (response.StatusCode, await JsonSerializer.DeserializeAsync<JsonElement>(await response.Content.ReadAsStreamAsync(Cancellation), cancellationToken: Cancellation));
    }

    /// <summary>RFC 6749 5.2: a wrong secret or an unknown client is invalid_client; a scope the client may not have is invalid_scope.</summary>
    [Theory]
    [InlineData(TestClients.Reader, "wrong secret", "books.read", HttpStatusCode.Unauthorized, "invalid_client")]
    [InlineData("no-such-client", null, "books.write", HttpStatusCode.Unauthorized, "invalid_client")]
    [InlineData(TestClients.Reader, null, "books.write", HttpStatusCode.BadRequest, "invalid_scope")]
    [InlineData(TestClients.Reader, null, "books.unknown", HttpStatusCode.BadRequest, "invalid_scope")]
    public async Task The_token_endpoint_refuses_with_the_oauth_error(string clientId, string? secret, string scope, HttpStatusCode status, string error)
    {
        var (answered, body) = await AskAsync(clientId, secret ?? Provider.Clients.Secret, scope);

        Assert.Equal(status, answered);
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.False(body.TryGetProperty("access_token", out _));
    }

    /// <summary>RFC 9068 2.2: iss, exp, aud, sub, client_id, iat, jti, and typ at+jwt; the audience is the API the scopes belong to.</summary>
    [Theory]
    [InlineData(TestClients.ReaderAndWriter, "books.read books.write", "books-api", "books.read books.write")]
    [InlineData(TestClients.OtherAudience, "other.write", "other-api", "other.write")]
    [InlineData(TestClients.Admin, null, "books-api", "books.write books.admin")] // no scope asked: all the client may have
    public async Task Token_carries_client_scopes_audience(string clientId, string? scope, string audience, string scopes)
    {
        var (status, body) = await AskAsync(clientId, Provider.Clients.Secret, scope);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());

        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal("RS256", token.Alg);
        Assert.Equal(Provider.Address.ToString(), token.Issuer);
        Assert.Equal([audience], token.Audiences);
        Assert.Equal(clientId, token.Subject);
        Assert.Equal(clientId, token.GetClaim("client_id").Value);
        Assert.Equal(scopes.Split(' ').Order(), token.GetClaim("scope").Value.Split(' ').Order());
        Assert.True(token.ValidTo > DateTime.UtcNow && token.ValidTo <= DateTime.UtcNow.AddHours(1).AddMinutes(1));
        Assert.NotEmpty(token.Id);
    }

    /// <summary>RFC 7517 and OpenID Connect Discovery: every key of the folder is published, and the newest one signs.</summary>
    [Fact]
    public async Task Newest_key_signs_and_all_are_published()
    {
        await using var provider = new InProcessIdentityProvider();
        var before = new JsonWebToken(await provider.Tokens.WriterTokenAsync(Cancellation)); // the empty folder gets its first key
        var first = provider.NewestKey().KeyId;
        Assert.Equal(first, before.Kid);
        SigningKeys.Create(provider.KeyDirectory, DateTimeOffset.UtcNow.AddMinutes(1));
        await provider.RestartAsync();
        var second = provider.NewestKey().KeyId;

        using var client = new HttpClient { BaseAddress = provider.Address, Timeout = TimeSpan.FromSeconds(30) };
        var discovery = await JsonSerializer.DeserializeAsync<JsonElement>(await client.GetStreamAsync("/.well-known/openid-configuration", Cancellation), cancellationToken: Cancellation);
        var jwks = await JsonSerializer.DeserializeAsync<JsonElement>(await client.GetStreamAsync(discovery.GetProperty("jwks_uri").GetString(), Cancellation), cancellationToken: Cancellation);
        var token = new JsonWebToken(await provider.Tokens.WriterTokenAsync(Cancellation));

        Assert.Equal(provider.Address.ToString(), discovery.GetProperty("issuer").GetString());
        Assert.Equal(["client_credentials"], discovery.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(new[] { first, second }.Order(), jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).Order());
        Assert.All(jwks.GetProperty("keys").EnumerateArray(), key => Assert.False(key.TryGetProperty("d", out _))); // public parts only
        Assert.Equal(second, token.Kid);
    }

    [Theory]
    [InlineData("", "Set 'Identity:KeyDirectory' to the folder that holds (or will hold) the provider's signing keys.")]
    [InlineData("no-secret", "Client 'c' has no secret ('Identity:Clients:c:Secret').")]
    [InlineData("unknown-scope", "Client 'c' is allowed scopes no API defines (books.nothing); define them under 'Identity:Scopes'.")]
    public async Task Books_identity_refuses_to_start_on_settings_it_cannot_serve(string problem, string message)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["urls"] = "http://127.0.0.1:0";
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Identity:KeyDirectory"] = problem == "" ? "" : Path.GetTempPath(),
            ["Identity:Clients:c:Secret"] = problem == "no-secret" ? "" : "s",
            ["Identity:Clients:c:Scopes"] = problem == "unknown-scope" ? "books.nothing" : "books.write",
        });

        builder.AddBooksIdentity();
        await using var app = builder.Build();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains(Flatten(refused), error => error is Microsoft.Extensions.Options.OptionsValidationException && error.Message == message);
    }

    private static IEnumerable<Exception> Flatten(Exception error) => error switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(Flatten).Prepend(error),
        { InnerException: { } inner } => Flatten(inner).Prepend(error),
        _ => [error],
    };
}
