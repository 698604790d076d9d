namespace Books.Tests.Deployment;

/// <summary>
/// deploy/stack.yaml with stack.test.yaml on Docker Swarm, as DEPLOYMENT.md's Path 4 deploys it: a swarm made by this
/// fixture on 127.0.0.1 when the engine is in none (and left again at the end), the secrets make-secrets writes, the
/// images the SDK built and the local proxy and MongoDB images (nothing pulled). Rate limits off: the load is one caller.
/// </summary>
public sealed class SwarmDeployment : ComposeDeployment
{
    public const int Tasks = 2;
    private bool _madeTheSwarm;

    public string Stack { get; } = $"books-swarm-{Guid.NewGuid():N}"[..20];
    public string ApiService => $"{Stack}_books-api";

    protected override async Task<string?> UnavailableReasonAsync() =>
        await base.UnavailableReasonAsync()
        ?? (ContainerEngine.Runtime == "docker" ? null : $"Swarm mode is Docker's; the container engine here is {ContainerEngine.Runtime}.");

    protected override async Task StartAsync(Images built, string certificates)
    {
        if ((await ContainerEngine.RunAsync("info", "--format", "{{.Swarm.LocalNodeState}}")).Trim() != "active")
        {
            await ContainerEngine.RunAsync("swarm", "init", "--advertise-addr", "127.0.0.1");
            _madeTheSwarm = true;
        }

        Variables = new Dictionary<string, string>
        {
            ["BOOKS_API_TAG"] = built.Version,
            ["BOOKS_API_REPLICAS"] = $"{Tasks}",
            ["MONGO_IMAGE"] = built.MongoDB,
            ["PROXY_IMAGE"] = built.Proxy,
            ["DASHBOARD_IMAGE"] = built.Dashboard,
            ["BOOKS_CERTIFICATES"] = certificates,
            ["BOOKS_SECRETS"] = SecretsDirectory,
            ["BOOKS_HTTPS_PORT"] = $"{HttpsPort}",
            ["BOOKS_RATE_LIMIT_ENABLED"] = "false",
        };

        var started = Stopwatch.StartNew();
        await DockerAsync("stack", "deploy", "-c", "stack.yaml", "-c", "stack.test.yaml", Stack);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await Eventually.TrueAsync(async () => await ReadyTasksAsync() == $"{Tasks}/{Tasks}", $"{Tasks} books-api tasks run, healthy", timeout.Token);
        Reports.Write("deployment-start-swarm", $"swarm: docker stack deploy to {Tasks} books-api tasks running: {started.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The environment docker stack deploy reads the stack files' variables from.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; private set; } = new Dictionary<string, string>();

    /// <summary>Runs docker in deploy/ with <see cref="Variables"/>; fails with its output unless it exits 0.</summary>
    public async Task<string> DockerAsync(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(ContainerEngine.Runtime, arguments, StartTimeout, Tool("DeployDirectory", "."),
            new Dictionary<string, string>(Variables));
        return result.ExitCode == 0
            ? result.Text
            : throw new InvalidOperationException($"'docker {string.Join(' ', arguments)}' exited with {result.ExitCode}:\n{result.Error}\n{result.Text}");
    }

    /// <summary>books-api's tasks running (healthy, as its health check gates them) of those wanted, as docker service ls shows them: 2/2.</summary>
    public async Task<string> ReadyTasksAsync() =>
        (await DockerAsync("service", "ls", "--filter", $"name={ApiService}", "--format", "{{.Replicas}}")).Trim();

    protected override async Task StopAsync()
    {
        try
        {
            await ProcessRunner.RunAsync(ContainerEngine.Runtime, ["stack", "rm", Stack], StartTimeout);
            // stack rm returns before the tasks and networks are gone.
            using var timeout = new CancellationTokenSource(StartTimeout);
            await Eventually.TrueAsync(async () => (await ContainerEngine.TryRunAsync("network", "ls", "--filter", $"label=com.docker.stack.namespace={Stack}", "-q"))
                .Output.Trim().Length == 0, "the stack's networks are removed", timeout.Token);
            // stack rm leaves named volumes; MongoDB's is removed once its container is gone.
            await Eventually.TrueAsync(async () => (await ContainerEngine.TryRunAsync("volume", "rm", $"{Stack}_mongo-data")).ExitCode == 0
                || (await ContainerEngine.TryRunAsync("volume", "inspect", $"{Stack}_mongo-data")).ExitCode != 0, "MongoDB's volume is removed", timeout.Token);
        }
        finally
        {
            if (_madeTheSwarm)
            {
                await ContainerEngine.TryRunAsync("swarm", "leave", "--force");
            }
        }
    }
}

/// <summary>
/// The stack on Swarm, under the deployment tests' load (32 clients through the proxy: reads; creates, patches,
/// replacements and deletes): what an operator does to it loses no request and no acknowledged write, and a replica that
/// dies fails at most the requests it held. Each row is run while the load runs, for at least 30 s:
///
/// | operation                                                     | expected                                  |
/// |---------------------------------------------------------------|-------------------------------------------|
/// | docker service update --image (the build's commit tag)        | 0 failed (start-first, readiness-gated)   |
/// | docker service rollback                                       | 0 failed, the Version tag runs again      |
/// | docker service scale 2 -> 4 -> 2                              | 0 failed                                  |
/// | SIGKILL of one task                                           | at most one request per client fails      |
///
/// Not the previous version's image: 1.1.0 predates settings files (SettingsFiles), so it cannot read the connection
/// string the stack gives only as a Docker secret; its tasks never turn healthy and Swarm rolls the update back.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class SwarmTests(SwarmDeployment deployment) : IClassFixture<SwarmDeployment>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Endpoints_work_through_the_proxy()
    {
        deployment.Require();
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write books.admin", Cancellation));

        var book = await client.CreateAsync(TestBooks.Body(title: "Swarm"), Cancellation);
        using var read = await client.GetAsync($"/api/books/{book.Id()}", Cancellation);
        using var seed = await client.PostAsync("/api/admin/books/seed", null, Cancellation);
        using var delete = await client.DeleteAsync($"/api/books/{book.Id()}", Cancellation);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, seed.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }

    [Fact]
    public async Task No_secret_is_in_the_environment_or_the_service_definition()
    {
        deployment.Require();
        var secrets = deployment.SecretValues();

        var services = await deployment.DockerAsync("service", "inspect", deployment.ApiService, $"{deployment.Stack}_books-identity", $"{deployment.Stack}_mongo");
        var task = (await deployment.DockerAsync("ps", "-q", "--filter", $"label=com.docker.swarm.service.name={deployment.ApiService}")).Split('\n')[0].Trim();
        var container = await deployment.DockerAsync("inspect", task);

        Assert.NotEmpty(secrets);
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, services + container));
    }

    [Fact]
    public async Task Updates_rollback_and_scaling_under_load_fail_no_request()
    {
        deployment.Require();
        var version = $"books-api:{deployment.Built!.Version}";
        var commit = (await ProcessRunner.RunAsync("git", ["rev-parse", "HEAD"], TimeSpan.FromSeconds(30), Contract.SettingsTableTests.RepositoryRoot,
            new Dictionary<string, string>())).Text.Trim();
        var byCommit = $"books-api:{commit[..12]}"; // the same build's second tag (ContainerImage.props)
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation));
        var load = new DeploymentLoad(client);
        await load.SeedAsync(20, Cancellation);
        load.Start();
        var steps = new List<string>();
        async Task StepAsync(string name, string runs, int tasks, params string[] arguments)
        {
            var step = Stopwatch.StartNew();
            await deployment.DockerAsync(arguments); // returns once the service converged (or rolled back)
            var converged = step.Elapsed;
            var running = (await deployment.DockerAsync("service", "ps", deployment.ApiService, "--filter", "desired-state=running", "--format", "{{.Image}}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // Each operation, and what follows it, under the load for at least DeploymentLoad.MinimumDuration.
            if (DeploymentLoad.MinimumDuration - step.Elapsed is { Ticks: > 0 } rest)
            {
                await Task.Delay(rest, Cancellation);
            }

            steps.Add($"{name} (converged in {converged.TotalSeconds:0} s, {step.Elapsed.TotalSeconds:0} s under load)");
            Assert.True(running.Length == tasks && running.All(image => image == runs), $"after {name}: the running tasks' images are {string.Join(", ", running)}");
        }

        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3), Cancellation);
            await StepAsync("update to the commit tag", byCommit, SwarmDeployment.Tasks, "service", "update", "--quiet", "--image", byCommit, deployment.ApiService);
            await StepAsync("rollback", version, SwarmDeployment.Tasks, "service", "rollback", "--quiet", deployment.ApiService);
            await StepAsync("scale to 4", version, 4, "service", "scale", "--detach=false", $"{deployment.ApiService}=4");
            await StepAsync("scale to 2", version, SwarmDeployment.Tasks, "service", "scale", "--detach=false", $"{deployment.ApiService}={SwarmDeployment.Tasks}");
        }
        finally
        {
            await load.StopAsync();
        }

        var wrong = await load.LostOrChangedAsync(Cancellation);
        var summary = $"swarm, through the proxy while books-api went through {string.Join(", ", steps)}: {load.Summary()}; {wrong.Count} lost or changed wrongly";
        Reports.Write("deployment-swarm-operations", summary);
        Assert.True(load.Failures.IsEmpty, $"{summary}\nfailures: {string.Join("\n", load.Failures.Take(10))}");
        Assert.True(wrong.Count == 0, $"{summary}\n{string.Join("\n", wrong.Take(10))}");
    }

    [Fact]
    public async Task A_killed_replica_fails_at_most_what_it_held()
    {
        deployment.Require();
        using var client = deployment.CreateClient(token: await deployment.TokenAsync("books.write", Cancellation));
        var load = new DeploymentLoad(client);
        await load.SeedAsync(20, Cancellation);
        var task = (await deployment.DockerAsync("ps", "-q", "--filter", $"label=com.docker.swarm.service.name={deployment.ApiService}")).Split('\n')[0].Trim();

        load.Start();
        await Task.Delay(TimeSpan.FromSeconds(5), Cancellation);
        var before = load.Total;
        var killedAt = DateTimeOffset.UtcNow;
        await deployment.DockerAsync("kill", "--signal", "SIGKILL", task);
        await Task.Delay(TimeSpan.FromSeconds(10), Cancellation);
        await load.StopAsync();

        // When the proxy stopped sending to it: its log line "Server books_api/... is DOWN", by the engine's timestamp.
        var proxyLog = await deployment.DockerAsync("service", "logs", "--timestamps", "--raw", $"{deployment.Stack}_proxy");
        var down = proxyLog.Split('\n').Where(line => line.Contains(" is DOWN", StringComparison.Ordinal) || line.Contains(" is going DOWN", StringComparison.Ordinal))
            .Select(line => DateTimeOffset.TryParse(line.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var at) ? at : (DateTimeOffset?)null)
            .FirstOrDefault(at => at > killedAt);
        var failures = load.Failures.ToList();
        var summary = $"swarm SIGKILL: one of {SwarmDeployment.Tasks} books-api tasks killed under {DeploymentLoad.Clients} clients; " +
            $"{load.Total - before} requests in the 10 s after, {failures.Count} failed; the proxy marked it down " +
            (down is { } at ? $"{(at - killedAt).TotalSeconds:0.00} s after SIGKILL" : "(no DOWN line in its log)") + $"; {load.Summary()}";
        Reports.Write("deployment-swarm-sigkill", summary);
        Assert.True(failures.Count <= DeploymentLoad.Clients, $"{summary}\nfailures: {string.Join("\n", failures.Take(10))}");
    }
}
