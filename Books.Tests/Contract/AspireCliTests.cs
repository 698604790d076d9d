namespace Books.Tests.Contract;

/// <summary>
/// The Aspire CLI (Aspire.Cli 13.6.5, a .NET tool) runs the app as <c>dotnet run --project Books.AppHost</c> does,
/// finding the AppHost through the checked-in <c>aspire.config.json</c>, and writes nothing into the repository.
/// On the README's fixed ports, so in the collection that runs alone.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class AspireCliTests : IDisposable
{
    private const string CliVersion = "13.6.5";
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);
    private readonly DirectoryInfo _tools = Directory.CreateTempSubdirectory("books-aspire-cli-");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => _tools.Delete(recursive: true);

    [Fact]
    public async Task Aspire_start_and_stop_run_the_app()
    {
        var root = SettingsTableTests.RepositoryRoot;
        var install = await ProcessRunner.RunAsync("dotnet", ["tool", "install", "Aspire.Cli", "--version", CliVersion, "--tool-path", _tools.FullName], s_timeout);
        Assert.True(install.ExitCode == 0, install.Text + install.Error);
        var aspire = Path.Combine(_tools.FullName, "aspire");
        var before = await GitStatusAsync(root);
        var environment = new Dictionary<string, string>
        {
            ["MONGOD_PATH"] = Path.Combine(root, "tools", "mongo-stand-in", "mongod"), // as the README's command sets it
            ["ASPIRE_CLI_TELEMETRY_OPTOUT"] = "true",
        };

        var start = await ProcessRunner.RunAsync(aspire, ["start", "--non-interactive", "--nologo"], s_timeout, root, environment);
        try
        {
            Assert.True(start.ExitCode == 0, start.Text + start.Error);
            Assert.Contains("Books.AppHost/Books.AppHost.csproj", start.Text);
            using var client = new HttpClient { BaseAddress = new Uri("http://localhost:5180"), Timeout = TimeSpan.FromSeconds(5) };
            using var ready = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            ready.CancelAfter(s_timeout);
            await Eventually.StatusAsync(client, "/health", HttpStatusCode.OK, ready.Token);
        }
        finally
        {
            var stop = await ProcessRunner.RunAsync(aspire, ["stop", "--non-interactive", "--nologo"], s_timeout, root, environment);
            await ExecutableDocsTests.PortsFreedAsync();
            Assert.True(stop.ExitCode == 0, stop.Text + stop.Error);
        }

        Assert.Equal(before, await GitStatusAsync(root)); // no aspire.config.json or .aspire folder written
    }

    private static async Task<string> GitStatusAsync(string root) =>
        (await ProcessRunner.RunAsync("git", ["status", "--porcelain", "--untracked-files=all"], TimeSpan.FromSeconds(30), root)).Text;
}
