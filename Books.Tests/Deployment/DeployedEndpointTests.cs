namespace Books.Tests.Deployment;

/// <summary>The Compose deployment of the tests below: limits low enough to reach in a few requests.</summary>
public sealed class LimitedDeployment : ComposeDeployment
{
    public const int ReadsPerWindow = 20;
    public const int WritesPerWindow = 8;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["BOOKS_READS_PER_WINDOW"] = $"{ReadsPerWindow}",
        ["BOOKS_WRITES_PER_WINDOW"] = $"{WritesPerWindow}",
    };
}

/// <summary>
/// The deployed endpoints, as a client on the internet meets them: the images the SDK built, two replicas behind the
/// TLS proxy, tokens from the deployment's provider. Each test is one clause:
///
/// | clause                                                        | through        | expected                            |
/// |---------------------------------------------------------------|----------------|-------------------------------------|
/// | RFC 9110 9.3 (methods), 15.3.2 (201 + Location)               | proxy, HTTPS   | CRUD and listing work               |
/// | RFC 9110 10.2.2: Location is resolved against the request URI | proxy, HTTPS   | https://api.books.test:PORT/...     |
/// | RFC 9110 7.2 (Host); OWASP API8 (misconfiguration)             | proxy, HTTPS   | unknown Host: 400                   |
/// | RFC 7239 5.2 / X-Forwarded-For: believed from the proxy only   | two clients    | counted apart by the read limit     |
/// |                                                               | direct, forged | counted by the connecting address   |
/// | OWASP API4: one caller's write limit, whichever replica        | proxy          | exactly the limit admitted          |
/// | readiness and liveness probes per replica                     | direct         | /health, /alive 200 on each         |
/// | Unicode NFKD folding (UAX #15) in the shipped binary            | proxy          | accents do not matter to ?q=        |
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class DeployedEndpointTests(LimitedDeployment deployment) : IClassFixture<LimitedDeployment>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Crud_works_through_the_proxy()
    {
        deployment.Require();
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation));
        var tag = TestBooks.NewTag();

        using var created = await client.PostAsJsonAsync("/api/books", TestBooks.Body(tag: tag), Cancellation);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var book = await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var location = new Uri(client.BaseAddress!, created.Headers.Location!);
        Assert.Equal(("https", ComposeDeployment.ApiHost, deployment.HttpsPort), (location.Scheme, location.Host, location.Port));
        Assert.Equal($"/api/books/{book.Id()}", location.AbsolutePath);

        using var patch = TestBooks.Write("PATCH", book.Id(), patch: """{ "title": "Deployed" }""");
        patch.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
        using (var patched = await client.SendAsync(patch, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        var read = await client.GetFromJsonAsync<JsonElement>(location, Cancellation);
        Assert.Equal("Deployed", read.GetProperty("title").GetString());
        var page = await client.GetFromJsonAsync<JsonElement>($"/api/books?tag={tag}", Cancellation);
        Assert.Equal([book.Id()], page.GetProperty("items").EnumerateArray().Select(item => item.Id()));

        using (var deleted = await client.DeleteAsync(location, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var gone = await client.GetAsync(location, Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_request_for_an_unknown_host_gets_400()
    {
        deployment.Require();
        using var client = deployment.CreateClient(checkName: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/books");
        request.Headers.Host = "evil.example";

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("garcia")]
    [InlineData("García")]
    [InlineData("anos")]
    [InlineData("AÑOS")]
    public async Task Shipped_binary_folds_accents(string q)
    {
        deployment.Require();
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation));
        var tag = TestBooks.NewTag();
        var body = TestBooks.Body(title: "Cien años de soledad", tag: tag, author: "Gabriel García Márquez");
        var book = await client.CreateAsync(body, Cancellation);

        var page = await client.GetFromJsonAsync<JsonElement>($"/api/books?tag={tag}&q={Uri.EscapeDataString(q)}", Cancellation);

        Assert.Equal([book.Id()], page.GetProperty("items").EnumerateArray().Select(item => item.Id()));
    }

    [Fact]
    public async Task Each_replica_answers_its_probes()
    {
        deployment.Require();
        foreach (var replica in ComposeDeployment.Replicas)
        {
            using var client = deployment.CreateReplicaClient(replica);
            using var health = await client.GetAsync("/health", Cancellation);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            var report = await health.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("MongoDB.Driver").GetProperty("status").GetString());
            using var alive = await client.GetAsync("/alive", Cancellation);
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
    }

    [Fact]
    public async Task Clients_behind_the_proxy_are_counted_apart()
    {
        deployment.Require();

        // Two clients with addresses of their own on the deployment's network (both alive at once, so they cannot share
        // one): containers that speak HTTPS to the proxy. The first reads until refused (each replica counts on its own,
        // so up to twice the limit gets through); then the second reads once.
        await using var firstClient = await ClientContainer.StartAsync(deployment);
        await using var secondClient = await ClientContainer.StartAsync(deployment);
        var first = await firstClient.ReadAsync(LimitedDeployment.ReadsPerWindow * 3);
        var second = await secondClient.ReadAsync(1);

        Assert.Contains("429", first);
        Assert.Equal(["200"], second);
    }

    [Fact]
    public async Task Forged_forwarded_for_is_not_believed()
    {
        deployment.Require();

        // A client on the deployment's network that is not the proxy talks to a replica directly, each request claiming
        // another client address; believed, none would ever reach the limit. (A container of its own, so its address
        // is nobody else's and its budget is its own.)
        await using var forger = await ClientContainer.StartAsync(deployment);
        var statuses = await forger.ReadDirectlyAsync(ComposeDeployment.Replicas[0], LimitedDeployment.ReadsPerWindow + 5);

        Assert.Equal(LimitedDeployment.ReadsPerWindow, statuses.Count(status => status == "200"));
        Assert.Contains("429", statuses);
    }

    [Fact]
    public async Task One_callers_write_limit_holds_across_both_replicas()
    {
        deployment.Require();
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation, ComposeDeployment.SecondClientId));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < LimitedDeployment.WritesPerWindow * 2; i++)
        {
            using var response = await client.PostAsJsonAsync("/api/books", TestBooks.Body(), Cancellation);
            statuses.Add(response.StatusCode);
        }

        // Round robin sent half of them to each replica: a limit counted per replica would admit them all.
        Assert.Equal(LimitedDeployment.WritesPerWindow, statuses.Count(status => status == HttpStatusCode.Created));
        Assert.Equal(LimitedDeployment.WritesPerWindow, statuses.Count(status => status == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Image_runs_as_non_root_read_only()
    {
        deployment.Require();
        var container = deployment.Container(ComposeDeployment.Replicas[0]);

        var user = (await ContainerEngine.RunAsync("exec", container, "id", "-u")).Trim();
        var write = await ContainerEngine.TryRunAsync("exec", container, "touch", "/app/written");
        var logs = await ContainerEngine.TryRunAsync("logs", container);

        Assert.Equal("1654", user);
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.Error);
        Assert.Contains("Application started", logs.Output); // to stdout, where the engine collects it
    }

    /// <summary>
    /// The image DEPLOYMENT.md's command builds, as a registry and an orchestrator read it: tagged with the Version
    /// compose.yaml asks for and with the commit (the SDK's own default is "latest"); a numeric user, which Kubernetes'
    /// runAsNonRoot can verify (a user name it refuses: "cannot verify user is non-root"); the OCI annotations
    /// org.opencontainers.image.version and .revision (OCI image spec, annotations.md).
    /// </summary>
    [Fact]
    public async Task Image_names_its_version_commit_and_numeric_user()
    {
        deployment.Require();
        var image = deployment.Built!.Api;
        var commit = (await ProcessRunner.RunAsync("git", ["rev-parse", "HEAD"], TimeSpan.FromSeconds(30), Books.Tests.Contract.SettingsTableTests.RepositoryRoot,
            new Dictionary<string, string>())).Text.Trim();

        var user = (await ContainerEngine.RunAsync("image", "inspect", "--format", "{{.Config.User}}", image)).Trim();
        var labels = JsonDocument.Parse(await ContainerEngine.RunAsync("image", "inspect", "--format", "{{json .Config.Labels}}", image)).RootElement;
        var byVersion = (await ContainerEngine.RunAsync("image", "inspect", "--format", "{{.Id}}", $"books-api:{deployment.Built.Version}")).Trim();
        var byCommit = (await ContainerEngine.TryRunAsync("image", "inspect", "--format", "{{.Id}}", $"books-api:{commit[..12]}")).Output.Trim();

        Assert.Equal("1654", user);
        Assert.Equal(deployment.Built.Version, labels.GetProperty("org.opencontainers.image.version").GetString());
        Assert.Equal(commit, labels.GetProperty("org.opencontainers.image.revision").GetString());
        // The repository's address, where its remote is one (a clone of a local folder has none to give).
        if (labels.TryGetProperty("org.opencontainers.image.source", out var source))
        {
            Assert.StartsWith("https://", source.GetString());
        }

        Assert.True(byVersion == byCommit, $"books-api:{commit[..12]} is not the image books-api:{deployment.Built.Version} is ({byCommit}, {byVersion})");
    }

    /// <summary>Every secret is a file (make-secrets, mounted in /run/secrets): none is in a container's definition.</summary>
    [Fact]
    public async Task No_secret_is_in_a_containers_definition()
    {
        deployment.Require();
        var secrets = deployment.SecretValues();
        var containers = (await ContainerEngine.RunAsync("ps", "-aq", "--filter", $"label=com.docker.compose.project={deployment.Project}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var definitions = await ContainerEngine.RunAsync(["inspect", .. containers]);

        Assert.Equal(6, containers.Length); // mongo, two replicas, the provider, the dashboard and the proxy
        Assert.Contains(deployment.Secret("booksdb-connection-string"), secrets); // the secrets are read at all
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, definitions));
    }

    [Fact]
    public async Task The_image_refuses_to_start_without_unicode_normalization()
    {
        deployment.Require();

        var run = await ContainerEngine.TryRunAsync("run", "--rm", "--read-only", "--tmpfs", "/tmp",
            "-e", "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1", "-e", "ConnectionStrings__booksdb=mongodb://127.0.0.1:1/booksdb",
            "-e", $"AllowedHosts={ComposeDeployment.ApiHost}",
            deployment.Built!.Api);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("needs Unicode normalization", run.Output + run.Error);
        // A deterministic build (ContinuousIntegrationBuild): the stack trace names /_/, not the build machine's folders.
        Assert.Contains(" in /_/Books.Api/", run.Output + run.Error);
        Assert.DoesNotContain(Path.GetFullPath(Contract.SettingsTableTests.RepositoryRoot).TrimEnd('/'), run.Output + run.Error);
    }

    /// <summary>A client in a container of its own on the deployment's network, so with an address of its own.</summary>
    private sealed class ClientContainer(string id) : IAsyncDisposable
    {
        public static async Task<ClientContainer> StartAsync(ComposeDeployment deployment) => new((await ContainerEngine.RunAsync(
            "run", "-d", "--rm", "--network", $"{deployment.Project}_edge", "--entrypoint", "sleep", deployment.Built!.Proxy, "120")).Trim());

        /// <summary>Reads one listing page <paramref name="requests"/> times through the proxy; each status code.</summary>
        public async Task<string[]> ReadAsync(int requests)
        {
            var script = $$"""
                for i in $(seq {{requests}}); do
                  printf 'GET /api/books?limit=1 HTTP/1.1\r\nHost: {{ComposeDeployment.ApiHost}}\r\nConnection: close\r\n\r\n' |
                    openssl s_client -quiet -connect {{ComposeDeployment.ApiHost}}:443 -servername {{ComposeDeployment.ApiHost}} 2>/dev/null | head -1 | cut -d' ' -f2
                done
                """;
            var output = await ContainerEngine.RunAsync("exec", id, "sh", "-c", script);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        /// <summary>
        /// Reads one listing page <paramref name="requests"/> times from a replica directly (plain HTTP, as the proxy
        /// does), each request with a forged <c>X-Forwarded-For</c> of another documentation address; each status code.
        /// </summary>
        public async Task<string[]> ReadDirectlyAsync(string replica, int requests)
        {
            var script = $$"""
                for i in $(seq {{requests}}); do
                  exec 3<>/dev/tcp/{{replica}}/8080
                  printf 'GET /api/books?limit=1 HTTP/1.1\r\nHost: {{ComposeDeployment.ApiHost}}\r\nX-Forwarded-For: 198.51.100.%s\r\nConnection: close\r\n\r\n' "$i" >&3
                  head -1 <&3 | cut -d' ' -f2
                  exec 3<&-
                done
                """;
            var output = await ContainerEngine.RunAsync("exec", id, "bash", "-c", script);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        public async ValueTask DisposeAsync() => await ContainerEngine.TryRunAsync("rm", "-f", id);
    }
}
