using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Books.Tests.Infrastructure;

/// <summary>
/// Starts the real Books.AppHost once per test collection, in executable mode (a local mongod,
/// here the stand-in), and waits until books-api reports healthy.
/// </summary>
public sealed class BooksAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("books-tests-mongod-").FullName;
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started.");

    /// <summary>The key the AppHost generated for books-api's development tokens.</summary>
    public string SigningKey { get; private set; } = "";

    /// <summary>An HttpClient for books-api. By default it carries a write token for a caller of its own,
    /// so each client has its own rate-limit budget.</summary>
    public HttpClient CreateApiClient(bool authorized = true)
    {
        // Not App.CreateHttpClient: that client retries through the standard resilience handler, which
        // would resend a write whose first attempt was slow and hide what the API really answered.
        var client = new HttpClient { BaseAddress = App.GetEndpoint("books-api", "http"), Timeout = RequestTimeout };
        if (authorized)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.Writer(SigningKey));
        }

        return client;
    }

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Books_AppHost>(
            [$"MONGOD_PATH={MongodStandIn.LauncherPath}", $"MONGOD_DATA_PATH={_dataDirectory}"],
            timeout.Token);

        // Resource logs stay out of the console (the test platform replays all console output after any
        // failure, burying the failure itself); warnings and errors still come through.
        builder.Services.AddLogging(logging => logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning));
        _app = await builder.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("books-api", timeout.Token);
        var key = _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Single(p => p.Name == "books-api-signing-key");
        SigningKey = await key.GetValueAsync(timeout.Token) ?? throw new InvalidOperationException("No signing key.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
        }

        Directory.Delete(_dataDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class BooksAppCollection : ICollectionFixture<BooksAppFixture>
{
    public const string Name = "Books AppHost";
}
