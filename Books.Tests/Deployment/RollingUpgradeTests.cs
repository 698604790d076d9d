namespace Books.Tests.Deployment;

/// <summary>
/// A deployment mid-upgrade: books-api-1 runs the previous version's image (the newest commit whose
/// <c>Version</c> in Directory.Build.props is lower than this one's, built from a git worktree), books-api-2 this
/// version's, on one database; MongoDB is published on 127.0.0.1 so the test can read what each version stored.
/// </summary>
public sealed class UpgradeDeployment : ComposeDeployment
{
    private static readonly Lazy<Task<(string Commit, string Version)>> s_previous = new(BuildPreviousAsync);

    /// <summary>The previous version's books-api image (built once per test run): its commit and Version, the image tag.</summary>
    public static Task<(string Commit, string Version)> PreviousAsync() => s_previous.Value;

    public string PreviousCommit { get; private set; } = "";
    public string PreviousVersion { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["BOOKS_RATE_LIMIT_ENABLED"] = "false",
    };

    protected override async Task<string?> OverrideAsync(Images images)
    {
        (PreviousCommit, PreviousVersion) = await s_previous.Value;
        return Override(PreviousVersion);
    }

    /// <summary>
    /// books-api-1 on the image of <paramref name="version"/>; MongoDB published on 127.0.0.1. A version before this one
    /// predates settings files (SettingsFiles), so it gets its connection string as its own compose file gave it then: in
    /// the environment.
    /// </summary>
    public string Override(string version) => $$"""
        services:
          books-api-1:
            image: books-api:{{version}}
            {{(version == Built?.Version ? "" : $"environment: {{ ConnectionStrings__booksdb: \"{ConnectionString}\" }}")}}
          {{PublishMongo}}
        """;

    private static async Task<(string Commit, string Version)> BuildPreviousAsync()
    {
        var repository = Tool("DeployDirectory", "..");
        var current = await VersionAtAsync(repository, "HEAD");
        // The commit that brought this version in is the oldest one since the version changed; its parent is the newest
        // commit of the version before.
        var introducing = "HEAD";
        foreach (var commit in (await RunAsync("git", ["-C", repository, "log", "--first-parent", "--format=%H", "--", "Directory.Build.props"], BuildTimeout))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (await VersionAtAsync(repository, commit) != current)
            {
                break;
            }

            introducing = commit;
        }

        var previous = (await RunAsync("git", ["-C", repository, "rev-parse", $"{introducing}^"], BuildTimeout)).Trim();
        var version = await VersionAtAsync(repository, previous);
        if (string.IsNullOrEmpty(version) || new Version(version) >= new Version(current))
        {
            throw new InvalidOperationException($"No earlier version before {introducing} (version {current}); found '{version}' at {previous}.");
        }

        var worktree = Path.Combine(Path.GetTempPath(), $"books-previous-{Guid.NewGuid():N}");
        await RunAsync("git", ["-C", repository, "worktree", "add", "--detach", worktree, previous], BuildTimeout);
        try
        {
            var started = Stopwatch.StartNew();
            await RunAsync(Tool("ContainerImagesDirectory", "build-apps"), [worktree, version, "Books.Api"], BuildTimeout);
            Reports.Write("deployment-previous-image", $"books-api:{version} (commit {previous[..10]}) built from a git worktree in {started.Elapsed.TotalSeconds:0} s");
        }
        finally
        {
            await RunAsync("git", ["-C", repository, "worktree", "remove", "--force", worktree], BuildTimeout);
        }

        return (previous, version);
    }

    private static async Task<string> VersionAtAsync(string repository, string commit)
    {
        var props = await RunAsync("git", ["-C", repository, "show", $"{commit}:Directory.Build.props"], BuildTimeout);
        var match = System.Text.RegularExpressions.Regex.Match(props, "<Version>([^<]+)</Version>");
        return match.Success ? match.Groups[1].Value : "";
    }
}

/// <summary>
/// A rolling upgrade, and its rollback, as an orchestrator does them, with two versions on one database (expand, then
/// contract). Before any replacement each version reads and patches what the other stored and keeps the fields only
/// the other knows. Then, while 32 clients read and write through the proxy, books-api-1 gets SIGTERM and is started
/// again as this version (the upgrade), then as the previous version again (the rollback). What a client must see (the proxy resends a request only when its connection failed,
/// so nothing of it reached a replica): no 5xx, no reset connection, no timeout, and every book it was told was stored
/// read back as acknowledged. Right after SIGTERM a replica's readiness fails while it still serves every request (the
/// proxy's probe takes it out); it exits, with 0, well before Compose would kill it (stop_grace_period, 10 s).
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class RollingUpgradeTests(UpgradeDeployment deployment) : IClassFixture<UpgradeDeployment>
{
    /// <summary>
    /// Below compose.yaml's stop_grace_period (10 s), after which the engine kills the replica. Usually 2.6-3.5 s (the 2 s
    /// drain, then in-flight requests); one fresh-clone CI run saw 6.7 s with the whole suite sharing the 2 cores.
    /// </summary>
    private static readonly TimeSpan s_exitBound = TimeSpan.FromSeconds(8);
    private static readonly BsonValue s_wordsVersion = Books.Api.Books.BookWords.Version;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
    private static readonly string s_first = ComposeDeployment.Replicas[0];
    private static readonly string s_second = ComposeDeployment.Replicas[1];

    [Fact]
    public async Task Each_version_keeps_the_others_fields()
    {
        deployment.Require();
        var token = await deployment.TokenAsync("books.write", Cancellation);
        using var previous = ReplicaClient(s_first, token);
        using var current = ReplicaClient(s_second, token);
        using var mongo = deployment.CreateMongoClient();
        var stored = mongo.GetDatabase("booksdb").GetCollection<BsonDocument>("books");

        // Stored by this version (with wordsVersion, which the previous one does not know), read and patched by the previous.
        var byCurrent = await current.CreateAsync(TestBooks.Body(title: "Cien años de soledad"), Cancellation);
        using (var read = await previous.GetAsync($"/api/books/{byCurrent.Id()}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        await PatchAsync(previous, byCurrent.Id(), """{ "summary": "patched by the previous version" }""");
        var afterPrevious = await stored.Find(Builders<BsonDocument>.Filter.Eq("_id", ObjectId.Parse(byCurrent.Id()))).SingleAsync(Cancellation);
        Assert.Equal(s_wordsVersion, afterPrevious.GetValue("wordsVersion", BsonNull.Value));

        // Stored by the previous version (no wordsVersion), read and patched by this one, then read by the previous again.
        var byPrevious = await previous.CreateAsync(TestBooks.Body(title: "Der Zauberberg"), Cancellation);
        var readByCurrent = await current.GetFromJsonAsync<JsonElement>($"/api/books/{byPrevious.Id()}", Cancellation);
        Assert.Equal("Der Zauberberg", readByCurrent.GetProperty("title").GetString());
        await PatchAsync(current, byPrevious.Id(), """{ "summary": "patched by this version" }""");
        var readByPrevious = await previous.GetFromJsonAsync<JsonElement>($"/api/books/{byPrevious.Id()}", Cancellation);
        Assert.Equal("patched by this version", readByPrevious.GetProperty("summary").GetString());
    }

    /// <summary>
    /// Longer than the proxy takes to put a replica that turned ready back in the pool (deploy/haproxy.cfg: two good
    /// probes 500 ms apart): stopping the other one sooner would leave it no ready replica.
    /// </summary>
    private static readonly TimeSpan s_proxyTakesItBack = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Rolling_upgrade_fails_no_request()
    {
        deployment.Require();
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation));
        var load = new DeploymentLoad(client);
        await load.SeedAsync(20, Cancellation);
        load.Start();

        var steps = new List<string>();
        using var replacing = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        replacing.CancelAfter(TimeSpan.FromMinutes(3));
        await Task.Delay(TimeSpan.FromSeconds(5), replacing.Token);
        // The upgrade of books-api-1 beside books-api-2 (this version), then its rollback. (Replacing a replica by the same
        // image, which deploy/roll does, is RunbookTests'.)
        foreach (var (replica, version) in new[] { (s_first, deployment.Built!.Version), (s_first, deployment.PreviousVersion) })
        {
            steps.Add(await ReplaceAsync(replica, version, replacing.Token));
            await Task.Delay(s_proxyTakesItBack, replacing.Token);
        }

        var remaining = DeploymentLoad.MinimumDuration - load.Elapsed;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, replacing.Token);
        }

        await load.StopAsync();
        var wrong = await load.LostOrChangedAsync(Cancellation);

        var summary = $"rolling: books-api {deployment.PreviousVersion} (commit {deployment.PreviousCommit[..10]}) beside {deployment.Built.Version}, " +
            $"through the proxy: {load.Summary()}; {wrong.Count} lost or changed wrongly; {string.Join("; ", steps)}";
        if (!load.Failures.IsEmpty)
        {
            summary += $"\nproxy: {(await ContainerEngine.TryRunAsync("logs", "--tail", "20", deployment.Container("proxy"))).Error}";
        }

        Reports.Write("deployment-rolling", summary);
        Assert.True(load.Failures.IsEmpty, $"{summary}\nfailures: {string.Join("\n", load.Failures.Take(10))}");
        Assert.True(wrong.Count == 0, $"{summary}\n{string.Join("\n", wrong.Take(10))}");
        Assert.True(load.Total > 1000, summary);
    }

    /// <summary>
    /// SIGTERM to a replica; what the proxy meets during its drain; its exit; then it runs again on the image of
    /// <paramref name="version"/> (Compose recreates it when the image changed, else starts it).
    /// </summary>
    private async Task<string> ReplaceAsync(string replica, string version, CancellationToken cancellationToken)
    {
        var container = deployment.Container(replica);
        var stopping = Stopwatch.StartNew();
        await ContainerEngine.RunAsync("kill", "--signal", "SIGTERM", container);
        var drain = await ObserveDrainAsync(replica, cancellationToken);
        await Eventually.TrueAsync(async () => (await ContainerEngine.RunAsync("inspect", "--format", "{{.State.Running}}", container)).Trim() == "false",
            $"{replica} exits", cancellationToken);
        var exitCode = (await ContainerEngine.RunAsync("inspect", "--format", "{{.State.ExitCode}}", container)).Trim();
        var step = $"{replica} exited {exitCode} within {stopping.Elapsed.TotalSeconds:0.0} s of SIGTERM ({drain})";
        if (stopping.Elapsed >= s_exitBound)
        {
            var log = await ContainerEngine.TryRunAsync("logs", "--timestamps", "--tail", "30", container);
            Assert.Fail($"{step}; its last log lines:\n{log.Output}{log.Error}");
        }

        Assert.Equal("0", exitCode);
        Assert.StartsWith("/health 503 while GET /api/books 200", drain);

        var starting = Stopwatch.StartNew();
        if (replica == s_first)
        {
            File.WriteAllText(deployment.OverrideFile, deployment.Override(version));
        }

        await deployment.ComposeAsync("up", "-d", "--no-deps", replica);
        await deployment.WaitHealthyAsync(replica, cancellationToken);
        return $"{step}, then {version} healthy {starting.Elapsed.TotalSeconds:0.0} s later";
    }

    /// <summary>
    /// What a caller meets right after SIGTERM, during the drain: readiness failing (the proxy's probe takes the replica
    /// out), and a request still served.
    /// </summary>
    private async Task<string> ObserveDrainAsync(string replica, CancellationToken cancellationToken)
    {
        using var probe = deployment.CreateReplicaClient(replica);
        probe.Timeout = TimeSpan.FromSeconds(2);
        try
        {
            // The signal reaches the process a moment after docker kill returns.
            var health = HttpStatusCode.OK;
            for (var i = 0; i < 10 && health == HttpStatusCode.OK; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
                using var answer = await probe.GetAsync("/health", cancellationToken);
                health = answer.StatusCode;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/books?limit=1");
            request.Headers.Host = ComposeDeployment.ApiHost;
            using var read = await probe.SendAsync(request, cancellationToken);
            var title = read.Content.Headers.ContentType?.MediaType == "application/problem+json"
                ? (await read.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("title").GetString()
                : "";
            return $"/health {(int)health} while GET /api/books {(int)read.StatusCode} {title}".TrimEnd();
        }
        catch (HttpRequestException ex)
        {
            return $"no answer right after SIGTERM: {ex.Message}";
        }
    }

    private HttpClient ReplicaClient(string replica, string token)
    {
        var client = deployment.CreateReplicaClient(replica);
        client.DefaultRequestHeaders.Host = ComposeDeployment.ApiHost;
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task PatchAsync(HttpClient client, string id, string patch)
    {
        using var request = TestBooks.Write("PATCH", id, patch: patch);
        using var response = await client.SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
