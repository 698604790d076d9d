using Books.Api.Http;
using Books.Api.Security;

namespace Books.Tests.Api;

/// <summary>
/// OWASP API8:2023 (security misconfiguration) at the edge: forwarded headers are believed only from configured
/// proxies (RFC 7239 section 8.3: a forwarded address is only as trustworthy as the proxy that added it), so the
/// address a client is limited by is its own; outside Development only the allowed Host names are answered
/// (RFC 9110 7.2: Host identifies the target; one this server is not for is refused), except the orchestrator's
/// probes; and the OpenAPI document never repeats a Host header back.
/// </summary>
[Collection(SecondMongodStandInCollection.Name)]
public sealed class FrontDoorTests(MongodStandInFixture mongod)
{
    private const string Proxy = "127.0.0.1";
    private const string NotAProxy = "127.0.0.2";
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    // One read per address per minute: the second read an address makes is a 429, so each answer shows which
    // address books-api counted. (A configured proxy, ASP.NET Core's own middleware switched on, and steps of
    // From, X-Forwarded-For, expected.) The framework's switch, ASPNETCORE_FORWARDEDHEADERS_ENABLED=true, is what Aspire's
    // manifest gives every project in publish mode (Azure Container Apps); switched on, ASP.NET Core adds its own middleware
    // with both trust lists cleared, which on its own believes any source.
    [Theory]
    [InlineData(true, false, new[] { Proxy, "203.0.113.7", "200", Proxy, "203.0.113.8", "200", Proxy, "203.0.113.7", "429" })]
    [InlineData(true, false, new[] { NotAProxy, "203.0.113.9", "200", NotAProxy, "203.0.113.10", "429" })]   // not a proxy: its own address counts
    [InlineData(false, false, new[] { Proxy, "203.0.113.7", "200", Proxy, "203.0.113.8", "429" })]           // no proxy configured: ignored
    [InlineData(true, true, new[] { Proxy, "203.0.113.7", "200", Proxy, "203.0.113.8", "200", Proxy, "203.0.113.7", "429" })]
    [InlineData(true, true, new[] { NotAProxy, "203.0.113.9", "200", NotAProxy, "203.0.113.10", "429" })]    // publish mode, not a proxy
    [InlineData(false, true, new[] { Proxy, "203.0.113.7", "200", Proxy, "203.0.113.8", "429" })]            // publish mode, no proxy: ignored
    [InlineData(false, true, new[] { NotAProxy, "203.0.113.7", "200", NotAProxy, "203.0.113.8", "429" })]
    public async Task Forwarded_for_is_believed_only_from_a_configured_proxy(bool proxyConfigured, bool frameworkForwards, string[] steps)
    {
        var settings = new Dictionary<string, string>
        {
            [RateLimitSettings.ReadsPerWindowKey] = "1",
            [RateLimitSettings.WindowSecondsKey] = "60",
        };
        if (proxyConfigured)
        {
            settings[$"{ForwardedHeadersSettings.KnownProxiesKey}:0"] = Proxy;
        }

        if (frameworkForwards)
        {
            settings[BooksFrontDoor.FrameworkForwardedHeadersKey] = "true";
        }

        await using var api = BooksApiHost.Create(mongod.NewDatabase(), settings: settings);
        var port = api.StartOnKestrelPort(); // real connections, so the API sees each client's address

        for (var i = 0; i < steps.Length; i += 3)
        {
            using var client = LoopbackClients.From(IPAddress.Parse(steps[i]), port);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/books?limit=1");
            request.Headers.Add("X-Forwarded-For", steps[i + 1]);

            using var response = await client.SendAsync(request, Cancellation);

            Assert.True(steps[i + 2] == ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"step {i / 3 + 1}: from {steps[i]} for {steps[i + 1]} answered {(int)response.StatusCode}, expected {steps[i + 2]}");
        }
    }

    [Theory]
    [InlineData("/api/books?limit=1", "books.example.com", HttpStatusCode.OK)]
    [InlineData("/api/books?limit=1", "api.books.example.com", HttpStatusCode.OK)]       // *.books.example.com
    [InlineData("/api/books?limit=1", "books.example.com:8443", HttpStatusCode.OK)]      // the port is not part of the name
    [InlineData("/api/books?limit=1", "evil.example", HttpStatusCode.BadRequest)]
    [InlineData("/openapi/v1.json", "evil.example", HttpStatusCode.BadRequest)]
    [InlineData("/alive", "10.1.2.3:8080", HttpStatusCode.OK)]                           // a kubelet probes the pod's address
    [InlineData("/health", "10.1.2.3:8080", HttpStatusCode.OK)]
    public async Task Only_allowed_hosts_are_answered(string path, string host, HttpStatusCode expected)
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase(), environment: "Production",
            settings: new Dictionary<string, string> { ["AllowedHosts"] = "books.example.com;*.books.example.com" });
        using var client = api.CreateClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        using var response = await client.SendAsync(request, timeout.Token);

        if (path == "/health")
        {
            Assert.NotEqual(HttpStatusCode.BadRequest, response.StatusCode); // ready or not, the probe is answered
            return;
        }

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.Equal("Unknown host", (await response.ProblemAsync(timeout.Token)).GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task OpenApi_document_ignores_the_host_sent()
    {
        await using var api = BooksApiHost.Create(mongod.NewDatabase()); // Development: any Host is answered
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "attacker.example";

        using var response = await client.SendAsync(request, Cancellation);
        var text = await response.Content.ReadAsStringAsync(Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("attacker.example", text);
        var server = Assert.Single(JsonDocument.Parse(text).RootElement.GetProperty("servers").EnumerateArray());
        Assert.Equal("/", server.GetProperty("url").GetString());
    }
}
