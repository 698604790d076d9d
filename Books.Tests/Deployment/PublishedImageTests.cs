using System.Text.RegularExpressions;

namespace Books.Tests.Deployment;

/// <summary>
/// The books-api image run under exactly the environment Aspire's manifest gives the project in publish mode (Azure
/// Container Apps reads it): the manifest's variables as written, its parameters filled in as a deployer fills them, and
/// nothing else. The manifest switches on ASP.NET Core's own forwarded-headers middleware
/// (ASPNETCORE_FORWARDEDHEADERS_ENABLED=true), whose trust lists are cleared, so on its own it would believe
/// X-Forwarded-For from any source. No proxy is configured here, so books-api must believe none:
///
/// | clause                                                           | request                                   | expected                                      |
/// |------------------------------------------------------------------|-------------------------------------------|-----------------------------------------------|
/// | RFC 7239 8.3: forwarded headers are believed only from a proxy the deployer trusts; OWASP API4 (the read limit per address) | 1,001 reads, each with another forged X-Forwarded-For | counted as the one connecting address: the 1,001st is a 429 |
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed partial class PublishedImageTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Under_the_manifest_s_environment_no_forged_forwarded_header_is_believed()
    {
        var images = await ComposeDeployment.RequireImagesAsync();
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var filled = new Dictionary<string, string>
        {
            ["booksdb.connectionString"] = $"mongodb://admin:{password}@mongo:27017/booksdb?authSource=admin",
            ["books-api.bindings.http.targetPort"] = "8080",
            ["books-api-authority.value"] = "http://127.0.0.1:1/", // never fetched: only writes need it
            ["books-api-audience.value"] = "books-api",
            ["books-api-allowed-hosts.value"] = "books.example.com",
        };
        var environment = (await ManifestEnvironmentAsync()).ToDictionary(variable => variable.Key,
            variable => Placeholder().Replace(variable.Value, match => filled[match.Groups[1].Value]));
        Assert.Equal("true", environment["ASPNETCORE_FORWARDEDHEADERS_ENABLED"]);

        var name = $"books-published-{Guid.NewGuid():N}"[..24];
        try
        {
            await ContainerEngine.RunAsync("network", "create", name);
            await ContainerEngine.RunAsync("run", "-d", "--name", $"{name}-mongo", "--network", name, "--network-alias", "mongo",
                "-e", "MONGO_INITDB_ROOT_USERNAME=admin", "-e", $"MONGO_INITDB_ROOT_PASSWORD={password}", images.MongoDB);
            await ContainerEngine.RunAsync(["run", "-d", "--name", $"{name}-api", "--network", name, "-p", "127.0.0.1::8080", "--read-only", "--tmpfs", "/tmp",
                .. environment.SelectMany(variable => new[] { "-e", $"{variable.Key}={variable.Value}" }), images.Api]);
            var port = (await ContainerEngine.RunAsync("port", $"{name}-api", "8080")).Trim().Split(':')[^1];
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Host = "books.example.com";
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation))
            {
                timeout.CancelAfter(s_timeout);
                await Eventually.StatusAsync(client, "/health", HttpStatusCode.OK, timeout.Token);
            }

            // The default read limit, 1,000 per address in any 10 s: a forged address per request would never reach it.
            var answers = new List<HttpStatusCode>();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i <= 1000 && !answers.Contains(HttpStatusCode.TooManyRequests); i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/books/{ObjectId.GenerateNewId()}");
                request.Headers.Add("X-Forwarded-For", $"203.0.{i / 250}.{i % 250 + 1}");
                using var response = await client.SendAsync(request, Cancellation);
                answers.Add(response.StatusCode);
            }

            var summary = $"{answers.Count} reads with forged addresses in {clock.Elapsed.TotalSeconds:0.0} s: " +
                string.Join(", ", answers.GroupBy(status => status).Select(group => $"{(int)group.Key} x {group.Count()}"));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{summary}: slower than the limit's window, so it proves nothing");
            Assert.True(answers.Count == 1001 && answers[^1] == HttpStatusCode.TooManyRequests && answers.SkipLast(1).All(status => status == HttpStatusCode.NotFound),
                $"{summary}; expected 1,000 answered, then 429: one address counted");
            TestContext.Current.SendDiagnosticMessage(summary);
        }
        finally
        {
            await ContainerEngine.TryRunAsync("rm", "-f", $"{name}-api", $"{name}-mongo");
            await ContainerEngine.TryRunAsync("network", "rm", name);
        }
    }

    /// <summary>books-api's variables in the manifest the built AppHost publishes (the command DEPLOYMENT.md's Path 1 gives).</summary>
    private static async Task<Dictionary<string, string>> ManifestEnvironmentAsync()
    {
        var output = Directory.CreateTempSubdirectory("books-manifest-");
        try
        {
            using var document = JsonDocument.Parse(await Hosting.ManifestTests.PublishManifestAsync(output.FullName));
            return document.RootElement.GetProperty("resources").GetProperty("books-api").GetProperty("env").EnumerateObject()
                .ToDictionary(variable => variable.Name, variable => variable.Value.GetString()!);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"\{([^{}]+)\}")]
    private static partial Regex Placeholder();
}
