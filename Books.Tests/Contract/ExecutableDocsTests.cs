using System.Text;
using System.Text.RegularExpressions;

namespace Books.Tests.Contract;

/// <summary>
/// The README's commands and <c>Books.Api/Books.Api.http</c> are test cases: run as written, in the order a new user
/// runs them. The app starts with the README's first command (<c>dotnet run --project Books.AppHost</c>, on the fixed
/// ports the README names, so the collection that runs alone); the token block, then httpyac over the whole .http file
/// before the sample books are loaded; the write, read and seed block; httpyac again after the seed.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed partial class ExecutableDocsTests
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(4); // dotnet run builds first
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(1);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readme_commands_and_http_file_run_as_written()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(SettingsTableTests.RepositoryRoot, "README.md"), Cancellation);
        var blocks = BashBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        var runApp = blocks[0].Split('\n')[0];
        var tokenBlock = Assert.Single(blocks, b => b.Contains("/connect/token", StringComparison.Ordinal));
        var useBlock = Assert.Single(blocks, b => b.Contains("/api/admin/books/seed", StringComparison.Ordinal) && b.Contains("LOCATION=", StringComparison.Ordinal));
        Assert.Contains("dotnet run --project Books.AppHost", runApp);

        // Before the app runs, the token block fails loudly: a non-zero status and a message saying what to do.
        var early = await BashAsync(tokenBlock + "\n", new Dictionary<string, string>());
        Assert.NotEqual(0, early.ExitCode);
        Assert.Contains("is the app running?", early.Error);

        var app = StartApp(runApp, out var appOutput);
        try
        {
            await WaitHealthyAsync(app, appOutput);

            var token = await BashAsync(tokenBlock + "\nprintf '%s' \"$TOKEN\"\n", new Dictionary<string, string>());
            Assert.True(token.ExitCode == 0, token.Error);
            Assert.Equal(3, token.Text.Split('.').Length); // a JWT
            var environment = new Dictionary<string, string> { ["TOKEN"] = token.Text };

            var before = await HttpFileAsync(environment);

            var used = await BashAsync(useBlock, environment);
            Assert.True(used.ExitCode == 0, $"{used.Error}\n{used.Text}");
            Assert.Contains("\"title\":\"The Dispossessed\"", used.Text); // the read of what the write stored
            Assert.Matches("\"inserted\":[0-9]+", used.Text); // the seed

            var after = await HttpFileAsync(environment);
            Reports.Write("executable-docs", $"executable docs: README's token block (before the app: exit {early.ExitCode}, \"{early.Error.Trim()}\"), "
                + $"write/read/seed block exit {used.ExitCode}; Books.Api.http before the seed: {before}; after it: {after}");
        }
        finally
        {
            await StopAsync(app);
        }
    }

    /// <summary>
    /// DEPLOYMENT.md's first command, as written, from the repository's root: it writes the manifest Path 1 describes
    /// (the database a parameter, books-api a project, no books-identity) where Path 1 says, in the AppHost's project
    /// directory. Its Compose runbook runs as written in <see cref="Deployment.RunbookTests"/>.
    /// </summary>
    [Fact]
    public async Task Deployment_manifest_command_runs_as_written()
    {
        var deployment = await File.ReadAllTextAsync(Path.Combine(SettingsTableTests.RepositoryRoot, "DEPLOYMENT.md"), Cancellation);
        var block = Assert.Single(BashBlock().Matches(deployment).Select(m => m.Groups[1].Value),
            b => b.Contains("--publisher manifest", StringComparison.Ordinal));
        var manifest = Path.Combine(SettingsTableTests.RepositoryRoot, "Books.AppHost", "aspire-manifest.json"); // where DEPLOYMENT.md says it goes
        try
        {
            var result = await ProcessRunner.RunAsync("bash", ["-c", block], s_startTimeout, SettingsTableTests.RepositoryRoot, new Dictionary<string, string>());
            Assert.True(result.ExitCode == 0, $"{result.Error}\n{result.Text}");
            using var written = JsonDocument.Parse(await File.ReadAllBytesAsync(manifest, Cancellation));
            var resources = written.RootElement.GetProperty("resources");
            Assert.Equal("parameter.v0", resources.GetProperty("booksdb").GetProperty("type").GetString());
            Assert.Equal("project.v0", resources.GetProperty("books-api").GetProperty("type").GetString());
            Assert.False(resources.TryGetProperty("books-identity", out _), "books-identity is the development provider, not deployed");
            // The switch FrontDoorTests' publish-mode rows turn on: what the manifest gives books-api, it runs with.
            Assert.Equal("true", resources.GetProperty("books-api").GetProperty("env").GetProperty("ASPNETCORE_FORWARDEDHEADERS_ENABLED").GetString());
        }
        finally
        {
            File.Delete(manifest);
        }
    }

    /// <summary>Runs the whole .http file with httpyac; every request must answer 2xx. Returns the statuses in order.</summary>
    private static async Task<string> HttpFileAsync(IDictionary<string, string> environment)
    {
        await ContractTools.EnsureInstalledAsync();
        var httpyac = Path.Combine(ContractTools.Directory, "node_modules", ".bin", "httpyac");
        var reportFile = Path.GetTempFileName();
        try
        {
            // Into a file: node exits before a large report written to a pipe is flushed.
            var result = await ProcessRunner.RunAsync("bash", ["-c", "\"$0\" send Books.Api.http --all --json > \"$1\"", httpyac, reportFile], s_commandTimeout,
                Path.Combine(SettingsTableTests.RepositoryRoot, "Books.Api"), environment);
            Assert.True(result.ExitCode == 0, $"httpyac exited {result.ExitCode}: {result.Error}");
            return Statuses(await File.ReadAllBytesAsync(reportFile, Cancellation));
        }
        finally
        {
            File.Delete(reportFile);
        }
    }

    private static string Statuses(byte[] json)
    {
        using var report = JsonDocument.Parse(json);
        var requests = report.RootElement.GetProperty("requests").EnumerateArray()
            .Select(r => (Name: r.GetProperty("name").GetString(), Status: r.TryGetProperty("response", out var response) ? response.GetProperty("statusCode").GetInt32() : 0))
            .ToList();
        Assert.Equal(10, requests.Count); // every request of the file ran
        Assert.All(requests, r => Assert.True(r.Status is >= 200 and < 300, $"'{r.Name}' answered {r.Status}"));
        return string.Join(", ", requests.Select(r => r.Status));
    }

    private static Task<ProcessRunner.Result> BashAsync(string script, IDictionary<string, string> environment) =>
        ProcessRunner.RunAsync("bash", ["-c", script], s_commandTimeout, SettingsTableTests.RepositoryRoot, environment);

    private static Process StartApp(string command, out StringBuilder output)
    {
        var collected = new StringBuilder();
        var process = new Process
        {
            StartInfo = new ProcessStartInfo("bash", ["-c", command]) // one simple command: bash execs it, so the process is dotnet run
            {
                WorkingDirectory = SettingsTableTests.RepositoryRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            },
        };
        DataReceivedEventHandler collect = (_, e) =>
        {
            lock (collected)
            {
                collected.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = collected;
        return process;
    }

    private static async Task WaitHealthyAsync(Process app, StringBuilder output)
    {
        using var client = new HttpClient { BaseAddress = new Uri("http://localhost:5180"), Timeout = TimeSpan.FromSeconds(5) };
        using var started = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        started.CancelAfter(s_startTimeout);
        await Eventually.StatusAsync(client, "/health", HttpStatusCode.OK, started.Token,
            () => app.HasExited ? $"the app exited with {app.ExitCode}:\n{output}" : null);
    }

    /// <summary>Ctrl+C as a user stops it (SIGINT to dotnet run, which stops the AppHost and its resources), bounded.</summary>
    private static async Task StopAsync(Process app)
    {
        if (!app.HasExited)
        {
            Process.Start("kill", ["-INT", app.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit(5_000);
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await app.WaitForExitAsync(stopped.Token);
            }
            catch (OperationCanceledException)
            {
                app.Kill(entireProcessTree: true);
            }
        }

        app.Dispose();
        await PortsFreedAsync();
    }

    /// <summary>
    /// Waits (bounded) until nothing listens on the README's ports any more: the orchestrator stops the resources a
    /// few seconds after the AppHost, and the next test to run the app needs the ports.
    /// </summary>
    internal static async Task PortsFreedAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && (Listening(5180) || Listening(5181)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }

        static bool Listening(int port)
        {
            try
            {
                using var socket = new System.Net.Sockets.TcpClient();
                socket.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }
    }

    [GeneratedRegex("```bash\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();
}
