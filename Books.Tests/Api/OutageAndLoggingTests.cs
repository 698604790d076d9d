using Microsoft.Extensions.Logging.Testing;

namespace Books.Tests.Api;

/// <summary>
/// Books.Api pointed at a MongoDB that is not there, with credentials in its connection string: requests
/// fail fast with 503, /health names the failing check, and no log line of the whole run holds the password or the bearer token.
/// </summary>
public sealed class OutageAndLoggingTests
{
    private const string Password = "S3cret-Pa55word-never-logged";
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Unreachable_mongodb_gives_fast_503s()
    {
        await using var nothingThere = new GatedTcpProxy(targetPort: 0); // bound by this test, never opened: drops every connection
        var connectionString = $"mongodb://books:{Password}@127.0.0.1:{nothingThere.Port}/booksdb?authSource=admin";
        await using var api = BooksApiHost.Create(connectionString, services => services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Trace)
            .AddFakeLogging()));
        var token = await BooksApiHost.Identity.Tokens.WriterTokenAsync(Cancellation);
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        client.Timeout = TimeSpan.FromSeconds(30);

        var stopwatch = Stopwatch.StartNew();
        var responses = await Task.WhenAll(
            client.GetAsync("/api/books/65a1b2c3d4e5f60718293a4b", Cancellation),
            client.GetAsync("/api/books?tag=x", Cancellation),
            client.PostAsJsonAsync("/api/books", TestBooks.Body(), Cancellation));
        var elapsed = stopwatch.Elapsed;
        using var health = await client.GetAsync("/health", Cancellation);
        using var alive = await client.GetAsync("/alive", Cancellation);

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode));
        Assert.All(responses, response => Assert.Equal("5", response.Headers.RetryAfter?.ToString()));
        var problem = await responses[0].ProblemAsync(Cancellation);
        Assert.Equal("Database unavailable", problem.GetProperty("title").GetString());
        // Fails within the default 5 s server-selection timeout, not the driver's 30 s (margin for a loaded machine).
        Assert.True(elapsed < TimeSpan.FromSeconds(15), $"503s took {elapsed}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var report = await health.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("Unhealthy", report.GetProperty("checks").GetProperty("MongoDB.Driver").GetProperty("status").GetString());
        Assert.Equal("Unhealthy", report.GetProperty("checks").GetProperty("books-indexes").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

        var logs = api.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        Assert.Contains(logs, log => log.Message.Contains($"uses server(s) 127.0.0.1:{nothingThere.Port}, database booksdb", StringComparison.Ordinal));
        Assert.Contains(logs, log => log.Category?.StartsWith("MongoDB.", StringComparison.Ordinal) == true); // driver logs flow through ILoggerFactory
        var leaks = logs.Where(log => $"{log.Message} {log.Exception} {string.Join(' ', log.StructuredState ?? [])}" is var text
            && (text.Contains(Password, StringComparison.Ordinal) || text.Contains(token, StringComparison.Ordinal)));
        Assert.Empty(leaks);
        Assert.DoesNotContain(Password, await health.Content.ReadAsStringAsync(Cancellation));
        foreach (var response in responses)
        {
            Assert.DoesNotContain(Password, await response.Content.ReadAsStringAsync(Cancellation));
            response.Dispose();
        }
    }

    // MongoDB's connection-string specification (SRV): the client finds its servers through DNS. RFC 6761 6.4: no name
    // under .invalid ever resolves. books-api starts anyway (no crash loop; the client keeps resolving in the
    // background), answers 503, and says what is wrong: /health, that DNS gave no server; the log, which record.
    [Fact]
    public async Task Unresolvable_srv_name_does_not_stop_the_process()
    {
        await using var api = BooksApiHost.Create("mongodb+srv://cluster0.books.invalid/booksdb?serverSelectionTimeoutMS=1000",
            services => services.AddFakeLogging());
        using var client = api.CreateClient(); // starts the host: a lookup failing at startup would throw here
        using var read = await client.GetAsync("/api/books?limit=1", Cancellation);
        using var health = await client.GetAsync("/health", Cancellation);
        using var alive = await client.GetAsync("/alive", Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        Assert.Equal("Database unavailable", (await read.ProblemAsync(Cancellation)).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var check = (await health.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("checks").GetProperty("MongoDB.Driver");
        Assert.StartsWith("MongoDB ping failed: DNS has given no server for the mongodb+srv:// connection string", check.GetProperty("description").GetString());
        Assert.DoesNotContain("books.invalid", check.GetProperty("description").GetString()); // /health answers anyone
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Contains(api.Services.GetFakeLogCollector().GetSnapshot(),
            log => log.Message.Contains("uses server(s) from the DNS SRV record _mongodb._tcp.cluster0.books.invalid, database booksdb", StringComparison.Ordinal));
    }

    // MongoDB's connection-string specification (SRV): the driver reads the host's TXT record too. A resolver that never
    // answers held books-api's startup 15.5 s and then stopped it (DnsResponseException from the client's settings).
    // Run as a deployment runs it, the built books-api in a process of its own whose /etc/resolv.conf names a resolver
    // on this machine that reads every query and answers none: it serves (the lookup bounded at 5 s), /alive answers, and /health
    // says why it is not ready.
    [Fact]
    public async Task Silent_resolver_does_not_stop_startup()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Assert.Skip("Needs root on Linux: the test gives books-api its own /etc/resolv.conf in a mount namespace (unshare -m).");
        }

        var resolver = new System.Net.IPEndPoint(IPAddress.Parse("127.77.0.53"), 53);
        using var silent = new System.Net.Sockets.UdpClient(resolver); // reads nothing, answers nothing
        var resolvConf = Path.Combine(Path.GetTempPath(), $"resolv-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(resolvConf, $"nameserver {resolver.Address}\n", Cancellation);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__booksdb"] = "mongodb+srv://cluster0.books.example/booksdb?serverSelectionTimeoutMS=1000",
            ["Authentication__Schemes__Bearer__Authority"] = "http://127.0.0.1:1/",
            ["Authentication__Schemes__Bearer__ValidAudiences__0"] = "books-api",
        };
        var clock = Stopwatch.StartNew();
        try
        {
            await using var api = await BuiltBooksApi.StartAsync(environment, BooksApiBuild.Directory, Cancellation,
                "unshare", ["-m", "sh", "-c", $"mount --bind '{resolvConf}' /etc/resolv.conf && exec dotnet '{BuiltBooksApi.Dll}'"]);
            var startedAfter = clock.Elapsed;
            using var client = api.CreateClient();
            using var alive = await client.GetAsync("/alive", Cancellation);
            using var health = await client.GetAsync("/health", Cancellation);
            var check = (await health.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("checks").GetProperty("MongoDB.Driver");

            Assert.False(api.HasExited, string.Join("\n", api.Output));
            TestContext.Current.SendDiagnosticMessage($"listening {startedAfter.TotalSeconds:0.0} s after start (the TXT lookup's bound: 5 s)");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.StartsWith("The DNS TXT record of the mongodb+srv:// host could not be read at startup", check.GetProperty("description").GetString());
            Assert.Contains(api.Output, line => line.Contains("The DNS TXT record of cluster0.books.example could not be read within 5000 ms", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(resolvConf);
        }
    }
}
