using Books.AppHost;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Books.Bench;

/// <summary>The real AppHost (executable mode), its books-api process, and the seeded book ids.</summary>
internal sealed class BenchTarget : IAsyncDisposable
{
    private readonly string _dataDirectory;

    private BenchTarget(DistributedApplication app, string dataDirectory, Uri apiAddress, string connectionString, Process apiProcess, IReadOnlyList<string> ids)
    {
        App = app;
        _dataDirectory = dataDirectory;
        ApiAddress = apiAddress;
        ConnectionString = connectionString;
        ApiProcess = apiProcess;
        BookIds = ids;
    }

    public DistributedApplication App { get; }
    public Uri ApiAddress { get; }
    public string ConnectionString { get; }
    public Process ApiProcess { get; }
    public IReadOnlyList<string> BookIds { get; }

    public static async Task<DistributedApplication> StartAppAsync(BenchOptions options, string dataDirectory, CancellationToken cancellationToken)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Books_AppHost>(
            [$"MONGOD_PATH={options.MongodPath}", $"MONGOD_DATA_PATH={dataDirectory}", "Logging:LogLevel:Default=Warning",
             $"{BooksApiTokens.KeyDirectoryKey}={Path.Combine(dataDirectory, "identity-keys")}"], cancellationToken);

        // books-api as deployed: its launch profile says Development (scope validation on every request,
        // developer pages), which is what `dotnet run` of the AppHost is for, not what a benchmark measures.
        // Its telemetry is still collected in-process (traces, the driver's spans, metrics), but not exported:
        // the test builder runs no dashboard, so the OTLP endpoint it hands out has nobody listening, and
        // failed exports with in-memory retries would be measured instead of the API.
        builder.CreateResourceBuilder<ProjectResource>("books-api")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Production")
            // No per-caller limits and no cap on concurrent listings: one wrk process from one address is not abuse.
            .WithEnvironment("Books__RateLimit__Enabled", "false")
            .WithEnvironment("Books__Queries__MaxConcurrentListings", "1000")
            .WithEnvironment("AllowedHosts", "localhost;127.0.0.1")
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
                foreach (var (name, value) in options.ApiEnvironment)
                {
                    context.EnvironmentVariables[name] = value;
                }
            });
        var app = await builder.BuildAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("books-api", cancellationToken);
        return app;
    }

    public static async Task<BenchTarget> StartAsync(BenchOptions options)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var dataDirectory = Directory.CreateTempSubdirectory("books-bench-").FullName;
        var app = await StartAppAsync(options, dataDirectory, timeout.Token);
        var connectionString = await app.GetConnectionStringAsync("booksdb", timeout.Token)
            ?? throw new InvalidOperationException("booksdb has no connection string.");
        var apiProcess = Process.GetProcessesByName("Books.Api").Single();

        // Seed once (the only writes of the run) with a token from books-identity, as the dashboard's command does; then read the ids back.
        await app.ResourceNotifications.WaitForResourceHealthyAsync(BooksApiTokens.IdentityResourceName, timeout.Token);
        var secret = await app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Single(p => p.Name == BooksApiTokens.DashboardClientSecretParameter).GetValueAsync(timeout.Token);
        var token = await ProviderTokens.RequestAsync(
            app.GetEndpoint(BooksApiTokens.IdentityResourceName, "http"), BooksApiTokens.DashboardClientId, secret!, BooksApiTokens.DashboardScopes, timeout.Token);
        using var client = app.CreateHttpClient("books-api");
        using (var seed = new HttpRequestMessage(HttpMethod.Post, "/api/admin/books/seed"))
        {
            seed.Headers.Authorization = new("Bearer", token);
            (await client.SendAsync(seed, timeout.Token)).EnsureSuccessStatusCode();
        }

        var ids = new List<string>();
        for (string? cursor = null; ;)
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/books?limit=100{(cursor is null ? "" : $"&cursor={cursor}")}", timeout.Token);
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
            if ((cursor = page.GetProperty("nextCursor").GetString()) is null)
            {
                break;
            }
        }

        // Load goes straight to books-api's Kestrel port: the orchestrator's proxy in front of it is a
        // development convenience, not part of the API's path (the MongoDB proxy is on both paths).
        return new BenchTarget(app, dataDirectory, KestrelAddress(apiProcess.Id), connectionString, apiProcess, ids);
    }

    /// <summary>The address Kestrel listens on, from the process's own ASPNETCORE_URLS.</summary>
    private static Uri KestrelAddress(int pid)
    {
        var urls = File.ReadAllText($"/proc/{pid}/environ").Split('\0')
            .Single(variable => variable.StartsWith("ASPNETCORE_URLS=", StringComparison.Ordinal))["ASPNETCORE_URLS=".Length..];
        return new Uri(urls.Split(';').First(url => url.StartsWith("http://", StringComparison.Ordinal)));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
