using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Books.Tests.Deployment;

/// <summary>
/// DEPLOYMENT.md's Compose runbook (Path 3) is a test case: its blocks run as written, in order, in a copy of deploy/,
/// with only what the page says a machine without a registry adds (COMPOSE_FILE and the local images, given in the
/// environment, which Compose reads before .env) and the rate limits off (the load is one caller). The page's names and
/// ports are used (the project books, 8443), so the test refuses to touch a project named books that it did not start.
///
/// | step (block)                              | expected                                                               |
/// |-------------------------------------------|------------------------------------------------------------------------|
/// | start: cp .env.example, make-secrets, make-certificate, up, curl /health | each command exits 0; /health answers through the proxy |
/// | a token, then a create (RFC 9110 15.3.2)  | 201 with the book, through the proxy                                   |
/// | ./roll NAME=VALUE: a changed setting      | both replicas recreated with it; under 32 clients, no request fails    |
/// | ./roll BOOKS_API_TAG=...: an upgrade      | both replicas recreated; no request fails; every acknowledged write read back |
/// | docker-compose down                       | no container of the project left                                       |
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed partial class RunbookTests
{
    private const string Project = "books"; // .env.example's COMPOSE_PROJECT_NAME
    private const int HttpsPort = 8443; // .env.example's BOOKS_HTTPS_PORT, the port the page's commands name
    private static readonly TimeSpan s_blockTimeout = TimeSpan.FromMinutes(5);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Compose_runbook_runs_as_written_under_load()
    {
        var images = await ComposeDeployment.RequireImagesAsync();
        Assert.True(await ProjectContainersAsync() == "",
            $"A Compose project named '{Project}' has containers here; this test runs the page's commands, which use that name, and would replace it.");
        var blocks = PathThreeBlocks();
        var start = Assert.Single(blocks, block => block.Contains("docker-compose up -d", StringComparison.Ordinal));
        var request = Assert.Single(blocks, block => block.Contains("/connect/token", StringComparison.Ordinal));
        var operations = Assert.Single(blocks, block => block.Contains("./roll", StringComparison.Ordinal)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var root = Directory.CreateTempSubdirectory("books-runbook-");
        var deploy = Path.Combine(root.FullName, "deploy");
        // What DEPLOYMENT.md says a machine without a registry sets (in .env; here in the environment, which Compose reads first).
        var environment = new Dictionary<string, string>
        {
            ["COMPOSE_FILE"] = "compose.yaml:compose.stand-in.yaml",
            ["MONGO_IMAGE"] = images.MongoDB,
            ["PROXY_IMAGE"] = images.Proxy,
            ["DASHBOARD_IMAGE"] = images.Dashboard,
            ["BOOKS_RATE_LIMIT_ENABLED"] = "false",
        };
        var steps = new List<string>();
        DeploymentLoad? load = null;
        try
        {
            await ProcessRunner.RunAsync("cp", ["-a", Path.Combine(Contract.SettingsTableTests.RepositoryRoot, "deploy"), deploy], s_blockTimeout);
            // A fresh machine has none of what the runbook makes (a developer's checkout may).
            foreach (var made in new[] { ".env", "secrets", "certificates" }.Select(name => Path.Combine(deploy, name)))
            {
                if (Directory.Exists(made))
                {
                    Directory.Delete(made, recursive: true);
                }

                File.Delete(made);
            }

            var started = await BashAsync(start, root.FullName, environment, steps, "start");
            Assert.Contains("\"Healthy\"", started);

            var created = await BashAsync(request + "\nprintf '\\n%s' \"$TOKEN\"\n", deploy, environment, steps, "a token and a create");
            Assert.Contains("\"title\":\"The Dispossessed\"", created);
            var token = created.Split('\n')[^1];

            using var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(deploy, "certificates", "ca.crt"));
            using var client = ComposeDeployment.CreateProxyClient(authority, HttpsPort, token: token);
            load = new DeploymentLoad(client);
            await load.SeedAsync(20, Cancellation);
            load.Start();
            await Task.Delay(TimeSpan.FromSeconds(3), Cancellation);

            var stop = Assert.Single(operations, line => line.StartsWith("docker-compose down", StringComparison.Ordinal));
            foreach (var operation in operations.Where(line => line != stop))
            {
                var before = await ReplicaContainersAsync();
                await BashAsync(operation, deploy, environment, steps, operation.Split('#')[0].Trim());
                var after = await ReplicaContainersAsync();
                Assert.True(before.Intersect(after).Count() == 0, $"'{operation}' left a replica as it was: before {string.Join(", ", before)}, after {string.Join(", ", after)}");
                if (Regex.Match(operation, @"BOOKS_READS_PER_WINDOW=(\d+)") is { Success: true } setting)
                {
                    foreach (var container in after)
                    {
                        Assert.Contains($"Books__RateLimit__ReadsPerWindow={setting.Groups[1].Value}",
                            await ContainerEngine.RunAsync("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", container));
                    }
                }
            }

            await load.StopAsync();
            var wrong = await load.LostOrChangedAsync(Cancellation);
            var summary = $"runbook (DEPLOYMENT.md, Path 3, as written): {string.Join("; ", steps)}; through the proxy from the first roll to the last: " +
                $"{load.Summary()}; {wrong.Count} lost or changed wrongly";
            Reports.Write("deployment-runbook", summary);
            Assert.True(load.Failures.IsEmpty, $"{summary}\nfailures: {string.Join("\n", load.Failures.Take(10))}");
            Assert.True(wrong.Count == 0, $"{summary}\n{string.Join("\n", wrong.Take(10))}");

            await BashAsync(stop, deploy, environment, steps, "stop");
            Assert.Equal("", await ProjectContainersAsync());
        }
        finally
        {
            if (load is not null)
            {
                await load.StopAsync();
            }

            if (File.Exists(Path.Combine(deploy, ".env")))
            {
                await ProcessRunner.RunAsync("docker-compose", ["down", "--volumes", "--remove-orphans", "--timeout", "5"], s_blockTimeout, deploy, environment);
            }

            root.Delete(recursive: true);
        }
    }

    /// <summary>Runs one block as written with bash (-e: the first command that fails ends it); returns what it printed.</summary>
    private static async Task<string> BashAsync(string block, string directory, Dictionary<string, string> environment, List<string> steps, string name)
    {
        var timer = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync("bash", ["-euo", "pipefail", "-c", block], s_blockTimeout, directory, environment);
        Assert.True(result.ExitCode == 0, $"DEPLOYMENT.md's block ({name}) exited {result.ExitCode}:\n{block}\n{result.Error}\n{result.Text}");
        steps.Add($"{name} {timer.Elapsed.TotalSeconds:0.0} s");
        return result.Text;
    }

    private static async Task<string> ProjectContainersAsync() =>
        (await ContainerEngine.RunAsync("ps", "-a", "-q", "--filter", $"label=com.docker.compose.project={Project}")).Trim();

    /// <summary>The running books-api replicas' container ids.</summary>
    private static async Task<string[]> ReplicaContainersAsync() =>
        [.. (await ContainerEngine.RunAsync("ps", "--no-trunc", "--filter", $"label=com.docker.compose.project={Project}",
                "--format", "{{.ID}} {{.Label \"com.docker.compose.service\"}}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.Split(' ')[1].StartsWith("books-api-", StringComparison.Ordinal))
            .Select(line => line.Split(' ')[0])];

    /// <summary>The bash blocks of DEPLOYMENT.md's "Path 3: Compose", in order.</summary>
    private static List<string> PathThreeBlocks()
    {
        var page = File.ReadAllText(Path.Combine(Contract.SettingsTableTests.RepositoryRoot, "DEPLOYMENT.md"));
        var section = page[page.IndexOf("### Path 3: Compose", StringComparison.Ordinal)..page.IndexOf("### Path 4", StringComparison.Ordinal)];
        return [.. BashBlock().Matches(section).Select(match => match.Groups[1].Value)];
    }

    [GeneratedRegex("```bash\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();
}
