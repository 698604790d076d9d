using Books.Api;
using Books.Api.Security;
using Books.Identity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Books.Tests.Api;

/// <summary>
/// books-api while its identity provider is away or rotates its keys: books-identity in this process behind a TCP
/// gate (a provider that is down drops connections), books-api in this process trusting the gate's address, and a
/// metadata refresh interval of 2 s so the recoveries happen in seconds.
/// </summary>
[Collection(Name)]
public sealed class IdentityProviderOutageTests(MongodStandInFixture mongod) : IAsyncLifetime
{
    public const string Name = "identity provider outages";

    private static readonly TimeSpan s_refreshInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_recoveryBound = TimeSpan.FromSeconds(20);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly InProcessIdentityProvider _provider = new();
    private GatedTcpProxy _gate = null!;
    private ProviderTokenSource _tokens = null!;

    public ValueTask InitializeAsync()
    {
        _gate = new GatedTcpProxy(_provider.Address.Port);
        _gate.Open();
        // The provider names itself after the address it is asked at, so tokens come through the gate too.
        _tokens = new ProviderTokenSource(() => new Uri($"http://127.0.0.1:{_gate.Port}/"), _provider.Clients);
        return default;
    }

    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Books.Api.BooksApiAssembly> Api() =>
        BooksApiHost.Create(mongod.NewDatabase(), settings: new Dictionary<string, string>(_provider.ApiSettings(_tokens.Provider))
        {
            [BooksApiSettings.RefreshIntervalKey] = s_refreshInterval.ToString(),
        });

    private static async Task<HttpResponseMessage> WriteAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/books") { Content = JsonContent.Create(TestBooks.Body()) };
        request.Headers.Authorization = new("Bearer", token);
        return await client.SendAsync(request, Cancellation);
    }

    /// <summary>RFC 9110 15.6.4: the server cannot handle the request for now; Retry-After says when to try again.</summary>
    [Fact]
    public async Task Writes_are_503_until_the_provider_answers()
    {
        var token = await _tokens.WriterTokenAsync(Cancellation);
        _gate.Close();
        await using var api = Api();
        using var client = api.CreateClient();

        using var read = await client.GetAsync("/api/books?limit=1", Cancellation);
        using var write = await WriteAsync(client, token);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
        Assert.Equal("5", write.Headers.RetryAfter?.ToString());
        var problem = await write.ProblemAsync(Cancellation);
        Assert.Equal("Identity provider unavailable", problem.GetProperty("title").GetString());

        _gate.Open();
        var recovered = await EventuallyStatusAsync(() => WriteAsync(client, token), HttpStatusCode.Created);
        Assert.True(recovered < s_recoveryBound, $"writes recovered after {recovered}");
    }

    [Fact]
    public async Task Keys_fetched_before_the_provider_went_down_keep_validating()
    {
        var before = await _tokens.WriterTokenAsync(Cancellation);
        var alsoBefore = await _tokens.WriterTokenAsync(Cancellation);
        await using var api = Api();
        using var client = api.CreateClient();
        using (var first = await WriteAsync(client, before))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        _gate.Close();
        await Task.Delay(s_refreshInterval + TimeSpan.FromSeconds(1), Cancellation); // past the refresh interval, too

        using var during = await WriteAsync(client, alsoBefore);
        Assert.Equal(HttpStatusCode.Created, during.StatusCode);
    }

    /// <summary>
    /// RFC 7517 and OpenID Connect Discovery 1.0 section 10.1.1 (rotation of signing keys): a new key is published beside the old one;
    /// the relying party refetches the JWKS when a token names a key it has not seen.
    /// </summary>
    [Fact]
    public async Task Rotated_in_key_is_accepted_without_a_restart()
    {
        var old = await _tokens.WriterTokenAsync(Cancellation);
        await using var api = Api();
        using var client = api.CreateClient();
        using (var first = await WriteAsync(client, old))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        SigningKeys.Create(_provider.KeyDirectory, DateTimeOffset.UtcNow.AddMinutes(1)); // sorts after the first key: it signs from now on
        await _provider.RestartAsync();
        var rotated = await _tokens.WriterTokenAsync(Cancellation);
        Assert.NotEqual(new JsonWebToken(old).Kid, new JsonWebToken(rotated).Kid);

        var accepted = await EventuallyStatusAsync(() => WriteAsync(client, rotated), HttpStatusCode.Created);
        using var stillOld = await WriteAsync(client, old);

        Assert.True(accepted < s_recoveryBound, $"the rotated key was accepted after {accepted}");
        Assert.Equal(HttpStatusCode.Created, stillOld.StatusCode);
    }

    /// <summary>Sends until <paramref name="expected"/> comes back, at most <see cref="s_recoveryBound"/>; returns how long it took.</summary>
    private static async Task<TimeSpan> EventuallyStatusAsync(Func<Task<HttpResponseMessage>> send, HttpStatusCode expected)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode last;
        do
        {
            using var response = await send();
            last = response.StatusCode;
            if (last == expected)
            {
                return clock.Elapsed;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), Cancellation);
        }
        while (clock.Elapsed < s_recoveryBound);

        throw new TimeoutException($"still {last} after {clock.Elapsed}, not {expected}");
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.DisposeAsync();
        await _provider.DisposeAsync();
    }
}

/// <summary>
/// A stand-in of its own, so these tests (mostly waiting on the provider's refresh interval) run beside the
/// in-process collection instead of after it.
/// </summary>
[CollectionDefinition(IdentityProviderOutageTests.Name)]
public sealed class IdentityProviderOutageCollection : ICollectionFixture<MongodStandInFixture>;
